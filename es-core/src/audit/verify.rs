//! Verifying the store: every chain of the scope, page by page.

use crate::hash::Hash;
use crate::store::StoreError;

use super::chains::{Chains, Start, recompute};
use super::filter::Scope;
use super::parallel::in_chunks;
use super::progress::Progress;
use super::report::{Break, BrokenLink, VerifyReport};
use super::source::{Damage, Pages, Row, Source, blocking};

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
    mut progress: impl Progress,
) -> Result<VerifyReport, StoreError> {
    let mut pages = Pages::open(source.into(), scope, None, None).await?;
    progress.start(pages.expected());
    let mut chains = Chains::new(Start::Genesis);
    let mut hashing = Vec::new();
    let mut checked = 0;
    let mut next = pages.next(Vec::new()).await?;
    let mut spare = Vec::new();
    while let Some(page) = next {
        let rows = page.rows;
        let checking = blocking(move || {
            let outcome = check_page(&mut chains, &rows, &mut hashing);
            Ok((chains, rows, hashing, outcome))
        });
        let (read, checked_page) = futures::join!(pages.next(spare), checking);
        let (returned, rows, returned_hashing, (intact, broken)) = checked_page?;
        (chains, spare, hashing) = (returned, rows, returned_hashing);
        checked += intact;
        progress.advance(checked);
        let first_break = broken.or_else(|| page.damage.map(unreadable));
        if first_break.is_some() {
            return Ok(report(&chains, checked, first_break));
        }
        next = read?;
    }
    Ok(report(&chains, checked, None))
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

fn report(chains: &Chains, checked: u64, first_break: Option<BrokenLink>) -> VerifyReport {
    VerifyReport {
        events_checked: checked,
        streams_checked: chains.streams(),
        last_position: chains.last_position().unwrap_or(0),
        first_break,
    }
}
