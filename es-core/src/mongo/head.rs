//! The head: the highest position below which everything has committed.
//!
//! Because positions commit in order (see `counter`), the committed counter value *is*
//! that position. This process's own appends advance the head as they commit; a
//! background task follows the counter document's change stream for everyone else's
//! (other replicas of the command service, tools), re-reading the counter whenever the
//! stream (re)opens so nothing committed while it was down is missed. Change streams
//! only report majority-committed changes, so the head never runs ahead of what a
//! majority read of `$all` returns.

use std::sync::Weak;
use std::time::Duration;

use futures::StreamExt;
use mongodb::Collection;
use mongodb::bson::{Document, doc};
use mongodb::options::FullDocumentType;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::counter;

/// Back-off between attempts to reopen a failed change stream; the counter is re-read
/// at each attempt, so this also bounds the head's lag when change streams fail.
const MIN_REOPEN_DELAY: Duration = Duration::from_millis(50);
const MAX_REOPEN_DELAY: Duration = Duration::from_secs(1);

/// Moves the head up to `position`; never down (the counter never goes back, and two
/// sources — an append and the change stream — may report out of order).
pub(super) fn advance(head: &watch::Sender<u64>, position: u64) {
    head.send_if_modified(|current| {
        let newer = position > *current;
        if newer {
            *current = position;
            metrics::gauge!(crate::telemetry::names::LOG_HEAD).set(position as f64);
        }
        newer
    });
}

/// Follows other writers' commits until the store (the owner of `head`) is dropped.
pub(super) fn spawn(
    counters: Collection<Document>,
    head: Weak<watch::Sender<u64>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut delay = MIN_REOPEN_DELAY;
        loop {
            let started = tokio::time::Instant::now();
            let stopped = follow(&counters, &head).await;
            if started.elapsed() > MAX_REOPEN_DELAY * 10 {
                // It had been working: this is a fresh failure, not a persisting one.
                delay = MIN_REOPEN_DELAY;
            }
            match stopped {
                Ok(Stopped::StoreDropped) => return,
                Ok(Stopped::StreamEnded) => delay = MIN_REOPEN_DELAY,
                Err(error) => {
                    if delay == MIN_REOPEN_DELAY {
                        tracing::warn!(%error, "event store head: change stream failed; polling the counter while reopening it");
                    }
                    poll(&counters, &head).await;
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_REOPEN_DELAY);
        }
    })
}

enum Stopped {
    StoreDropped,
    StreamEnded,
}

/// Opens the counter's change stream, catches up with one read of the counter, then
/// applies every change until the stream ends or fails.
async fn follow(
    counters: &Collection<Document>,
    head: &Weak<watch::Sender<u64>>,
) -> Result<Stopped, mongodb::error::Error> {
    let mut changes = counters
        .watch()
        .pipeline([doc! { "$match": { "documentKey._id": counter::ID } }])
        .full_document(FullDocumentType::UpdateLookup)
        .await?;
    // Opened first, read second: a commit between the two is in the stream.
    let mut last = counter::read(counters).await?;
    loop {
        let Some(sender) = head.upgrade() else {
            return Ok(Stopped::StoreDropped);
        };
        if let Some(position) = last {
            advance(&sender, position);
        }
        drop(sender);
        let Some(change) = changes.next().await.transpose()? else {
            return Ok(Stopped::StreamEnded);
        };
        last = match change.full_document.as_ref().and_then(counter::value) {
            Some(position) => Some(position),
            None => counter::read(counters).await?,
        };
    }
}

/// One read of the counter, so the head keeps moving while change streams are down.
async fn poll(counters: &Collection<Document>, head: &Weak<watch::Sender<u64>>) {
    if let (Ok(Some(position)), Some(sender)) = (counter::read(counters).await, head.upgrade()) {
        advance(&sender, position);
    }
}
