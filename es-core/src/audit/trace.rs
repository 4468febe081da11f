//! Tracing one request: every event that carries its correlation id, across streams,
//! in causal order.

use std::collections::HashMap;

use uuid::Uuid;

use crate::envelope::EventEnvelope;
use crate::store::StoreError;
use crate::vault::Vault;

use super::error::AuditError;
use super::filter::{Filter, Scope};
use super::history::open_all;
use super::source::{PAGE, Pages, Row, Source, blocking};

/// One event of a trace and where it sits in the causal tree.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceStep {
    pub event: EventEnvelope,
    /// 0 for an event caused from outside the trace (a command); one more than its
    /// cause otherwise.
    pub depth: usize,
    /// The event of this trace whose id is this event's `causation_id`, if any.
    pub caused_by: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub correlation_id: String,
    /// Causal order: each event after its cause; events without a cause in the trace
    /// (and siblings) in position order. A depth-first walk, so a cause's whole
    /// subtree follows it.
    pub steps: Vec<TraceStep>,
    /// The streams touched, in order of first appearance.
    pub streams: Vec<String>,
}

/// Every event of `correlation_id`, in causal order. A correlation id nothing carries
/// is an empty trace, not an error (a rejected request appends nothing).
pub async fn trace(
    source: Source<'_>,
    vault: Option<&Vault>,
    correlation_id: &str,
) -> Result<Trace, AuditError> {
    let mut events = correlated(source, correlation_id).await?;
    open_all(vault, &mut events).await?;
    let steps = causal_order(events);
    let mut streams: Vec<String> = Vec::new();
    for step in &steps {
        if !streams.contains(&step.event.stream_id) {
            streams.push(step.event.stream_id.clone());
        }
    }
    Ok(Trace {
        correlation_id: correlation_id.to_owned(),
        steps,
        streams,
    })
}

/// The events of a correlation id in position order: through the embedded store's
/// index when reading its file, otherwise by scanning `$all`.
async fn correlated(
    source: Source<'_>,
    correlation_id: &str,
) -> Result<Vec<EventEnvelope>, AuditError> {
    #[cfg(feature = "sqlite")]
    if let Source::SqliteFile(path) = source {
        let (path, id) = (path.to_path_buf(), correlation_id.to_owned());
        let rows = blocking(move || {
            let file = super::sqlite::EventsFile::open(&path)?;
            let (mut all, mut page, mut after) = (Vec::new(), Vec::new(), 0);
            loop {
                if let Some(damage) = file.read_correlated(&id, after, PAGE, &mut page)? {
                    return Err(damage.into_store_error());
                }
                let full = page.len() == PAGE;
                after = page.last().map_or(after, |row: &Row| row.event.position);
                all.append(&mut page);
                if !full {
                    return Ok(all);
                }
            }
        })
        .await?;
        return rows
            .into_iter()
            .map(Row::into_envelope)
            .collect::<Result<_, StoreError>>()
            .map_err(Into::into);
    }
    let filter = Filter {
        correlation_id: Some(correlation_id.to_owned()),
        ..Filter::default()
    };
    let mut pages = Pages::open(source, &Scope::All, None, None).await?;
    let mut events = Vec::new();
    while let Some(page) = pages.next(Vec::new()).await? {
        for row in page
            .rows
            .into_iter()
            .filter(|row| filter.matches(&row.event))
        {
            events.push(row.into_envelope()?);
        }
        if let Some(damage) = page.damage {
            return Err(damage.into_store_error().into());
        }
    }
    Ok(events)
}

/// Orders `events` (given in position order) depth-first along causation links.
fn causal_order(events: Vec<EventEnvelope>) -> Vec<TraceStep> {
    let index: HashMap<String, usize> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.event_id.to_string(), i))
        .collect();
    let parent: Vec<Option<usize>> = events
        .iter()
        .enumerate()
        .map(|(i, e)| index.get(&e.causation_id).copied().filter(|&p| p != i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); events.len()];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = p {
            children[*p].push(i);
        }
    }
    let mut order = Vec::with_capacity(events.len());
    let mut seen = vec![false; events.len()];
    let roots = (0..events.len()).filter(|&i| parent[i].is_none());
    // Events caught in a causation cycle (impossible unless the log was forged) have no
    // root; they follow in position order.
    let stragglers: Vec<usize> = (0..events.len()).collect();
    for start in roots.chain(stragglers) {
        let mut stack = vec![(start, 0)];
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            order.push((i, depth));
            // Reversed, so the earliest child is walked first.
            stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
        }
    }
    let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
    let mut slots: Vec<Option<EventEnvelope>> = events.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(i, depth)| {
            Some(TraceStep {
                event: slots[i].take()?,
                depth,
                caused_by: parent[i].map(|p| ids[p]),
            })
        })
        .collect()
}
