//! History: the stored events of one stream, or of `$all` through a [`Filter`], with
//! their whole envelopes, a page at a time.

use crate::envelope::EventEnvelope;
use crate::vault::Vault;

use super::error::AuditError;
use super::filter::{Filter, Scope};
use super::source::{Pages, Source};

/// The most events one page may return.
pub const MAX_PAGE: usize = 1_000;

/// How many `$all` events one page reads at most while looking for matches: a filter
/// that matches little still answers in bounded time, with a cursor to go on from.
pub const SCAN_BUDGET: u64 = 100_000;

/// One page of history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryQuery {
    pub scope: Scope,
    /// Which events of the scope to return; the default keeps all.
    pub filter: Filter,
    /// The cursor: the page starts after it (a version for a stream, a position for
    /// `$all`); 0 starts at the beginning.
    pub after: u64,
    /// 1..=[`MAX_PAGE`].
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// In version order (a stream) or position order (`$all`). Personal data is opened
    /// when a vault is given: in clear, or `null` once erased; otherwise it stays sealed.
    pub events: Vec<EventEnvelope>,
    /// The `after` of the next page; `None` when the scope holds nothing further.
    pub next: Option<u64>,
    /// Events read to fill this page (more than returned when a filter skips some).
    pub scanned: u64,
}

/// A page of the scope's history. An unknown stream is [`AuditError::UnknownStream`];
/// a `$all` page ends early (with a `next` cursor) after [`SCAN_BUDGET`] events read.
pub async fn history(
    source: Source<'_>,
    vault: Option<&Vault>,
    query: &HistoryQuery,
) -> Result<HistoryPage, AuditError> {
    if !(1..=MAX_PAGE).contains(&query.limit) {
        return Err(AuditError::Invalid {
            field: "limit",
            reason: format!("must be between 1 and {MAX_PAGE}, not {}", query.limit),
        });
    }
    let mut pages = match &query.scope {
        Scope::Stream(id) => {
            ensure_stream_exists(source, id).await?;
            Pages::stream_from(source, id, query.after.saturating_add(1)).await?
        }
        Scope::All => {
            let from = query
                .after
                .saturating_add(1)
                .max(query.filter.from_position.unwrap_or(1));
            Pages::open(source, &Scope::All, Some(from), query.filter.to_position).await?
        }
    };
    let mut page = HistoryPage {
        events: Vec::new(),
        next: None,
        scanned: 0,
    };
    let mut cursor = query.after;
    'pages: while let Some(read) = pages.next(Vec::new()).await? {
        let damage = read.damage;
        for row in read.rows {
            if page.events.len() == query.limit || budget_spent(&query.scope, page.scanned) {
                page.next = Some(cursor);
                break 'pages;
            }
            page.scanned += 1;
            let event = row.into_envelope()?;
            cursor = match query.scope {
                Scope::Stream(_) => event.version,
                Scope::All => event.position,
            };
            if query.filter.matches(&event) {
                page.events.push(event);
            }
        }
        if let Some(damage) = damage {
            return Err(damage.into_store_error().into());
        }
    }
    open_all(vault, &mut page.events).await?;
    Ok(page)
}

fn budget_spent(scope: &Scope, scanned: u64) -> bool {
    matches!(scope, Scope::All) && scanned >= SCAN_BUDGET
}

/// Opens each event's sealed personal data in place (see [`Vault::open_envelope`]).
pub(super) async fn open_all(
    vault: Option<&Vault>,
    events: &mut [EventEnvelope],
) -> Result<(), AuditError> {
    if let Some(vault) = vault {
        for event in events {
            vault.open_envelope(event).await?;
        }
    }
    Ok(())
}

/// [`AuditError::UnknownStream`] unless the stream has a first event.
pub(super) async fn ensure_stream_exists(
    source: Source<'_>,
    stream_id: &str,
) -> Result<(), AuditError> {
    let mut pages = Pages::stream_from(source, stream_id, 1).await?;
    match pages.next(Vec::new()).await? {
        Some(page) if !page.rows.is_empty() || page.damage.is_some() => Ok(()),
        _ => Err(AuditError::UnknownStream(stream_id.to_owned())),
    }
}
