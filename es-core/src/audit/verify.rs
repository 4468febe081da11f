//! Verifying the store: every chain of the scope, page by page.

use crate::hash::Hash;
use crate::store::StoreError;

use super::chains::{Chains, Start, recompute};
use super::filter::Scope;
use super::parallel::in_chunks;
use super::progress::Progress;
use super::report::{Break, BrokenLink, VerifyReport};
use super::source::{Damage, Pages, Row, Source, blocking};
use super::witnessed::{HeadCheck, Witnessed};

/// Checks every per-stream hash chain and version continuity (1..n, no gap, no repeat)
/// of `scope`, and that positions increase along `$all`; stops at the first broken
/// link, in read order, and names it in the report.
///
/// `source` is a store (`&dyn EventStore`, `&SqliteEventStore`, …) or a store file;
/// see [`Source`]. `$all` is read up to the store's head when the call starts, so it
/// ends while writers keep appending. Memory grows with the number of streams (one
/// version and hash each), not with the number of events. A row the store cannot
/// decode is a broken link ([`Break::Unreadable`]); the only error is a store that
/// cannot be read. An unknown stream verifies as zero events.
///
/// Each page is hashed on the blocking pool while the next one is read, so a long
/// verify neither stalls the async runtime nor waits for its own reads.
pub async fn verify<'a>(
    source: impl Into<Source<'a>>,
    scope: &Scope,
    progress: impl Progress,
) -> Result<VerifyReport, StoreError> {
    run(source.into(), scope, None, progress).await
}

/// [`verify`] of `$all`, also checked against its witnessed heads: the log's digest
/// must be the signed one at every trusted head, and the log must reach the newest
/// (see [`crate::heads`]). The report's `witness` says what the heads found.
///
/// Read the heads before calling: a head signed while the verification runs may lie
/// beyond the store's head as the verification saw it.
pub async fn verify_witnessed<'a>(
    source: impl Into<Source<'a>>,
    witnessed: Witnessed,
    progress: impl Progress,
) -> Result<VerifyReport, StoreError> {
    run(
        source.into(),
        &Scope::All,
        Some(HeadCheck::new(witnessed)),
        progress,
    )
    .await
}

/// Runs a verification and counts its outcome (`pitlane_audit_verify_runs_total`).
async fn run(
    source: Source<'_>,
    scope: &Scope,
    heads: Option<HeadCheck>,
    progress: impl Progress,
) -> Result<VerifyReport, StoreError> {
    let report = check(source, scope, heads, progress).await;
    let outcome = match &report {
        Ok(report) if report.is_intact() => "intact",
        Ok(_) => "broken",
        Err(_) => "failed",
    };
    metrics::counter!(crate::telemetry::names::VERIFY_RUNS, "outcome" => outcome).increment(1);
    report
}

async fn check(
    source: Source<'_>,
    scope: &Scope,
    mut heads: Option<HeadCheck>,
    mut progress: impl Progress,
) -> Result<VerifyReport, StoreError> {
    let mut pages = Pages::open(source, scope, None, None).await?;
    progress.start(pages.expected());
    let mut chains = Chains::new(Start::Genesis);
    let mut hashing = Vec::new();
    let mut checked = 0;
    let mut next = pages.next(Vec::new()).await?;
    let mut spare = Vec::new();
    while let Some(page) = next {
        let rows = page.rows;
        let checking = blocking(move || {
            let outcome = check_page(&mut chains, heads.as_mut(), &rows, &mut hashing);
            Ok((chains, heads, rows, hashing, outcome))
        });
        let (read, checked_page) = futures::join!(pages.next(spare), checking);
        let (returned, returned_heads, rows, returned_hashing, (intact, broken)) = checked_page?;
        (chains, heads, spare, hashing) = (returned, returned_heads, rows, returned_hashing);
        checked += intact;
        progress.advance(checked);
        let first_break = broken.or_else(|| page.damage.map(unreadable));
        if first_break.is_some() {
            return Ok(report(&chains, heads, checked, first_break));
        }
        next = read?;
    }
    Ok(report(&chains, heads, checked, None))
}

/// One hashing thread's results and scratch buffer.
#[derive(Default)]
struct Hashed {
    hashes: Vec<Result<Hash, String>>,
    scratch: Vec<u8>,
}

/// Checks a page: hashes on every core, then links in order. Returns how many events
/// held and the first broken link.
fn check_page(
    chains: &mut Chains,
    mut heads: Option<&mut HeadCheck>,
    rows: &[Row],
    hashing: &mut Vec<Hashed>,
) -> (u64, Option<BrokenLink>) {
    let used = in_chunks(rows, hashing, |chunk, hashed| {
        hashed.hashes.clear();
        let scratch = &mut hashed.scratch;
        hashed
            .hashes
            .extend(chunk.iter().map(|row| recompute(row, scratch)));
    });
    let hashes = hashing[..used].iter_mut().flat_map(|h| h.hashes.drain(..));
    let mut intact = 0;
    for (row, recomputed) in rows.iter().zip(hashes) {
        // Genesis chains never jump: a gap is a `Version` break.
        if let Err(link) = chains.link(row, recomputed) {
            return (intact, Some(*link));
        }
        if let Some(heads) = heads.as_deref_mut() {
            heads.advance(row.event.position, &row.event.hash);
        }
        intact += 1;
    }
    (intact, None)
}

fn unreadable(damage: Damage) -> BrokenLink {
    BrokenLink {
        stream_id: damage.stream_id,
        version: damage.version,
        position: damage.position,
        problem: Break::Unreadable {
            reason: damage.reason,
        },
    }
}

fn report(
    chains: &Chains,
    heads: Option<HeadCheck>,
    checked: u64,
    first_break: Option<BrokenLink>,
) -> VerifyReport {
    let last_position = chains.last_position().unwrap_or(0);
    let complete = first_break.is_none();
    VerifyReport {
        events_checked: checked,
        streams_checked: chains.streams(),
        last_position,
        first_break,
        witness: heads.map(|heads| heads.finish(last_position, complete)),
    }
}
