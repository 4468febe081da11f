//! Catch-up subscriptions to `$all`: history first, then live, with no gap and no
//! duplicate at the hand-over.
//!
//! There is no separate "live mode" to hand over to: the subscriber always reads
//! `read_all(last_seen, batch)`, and when it has caught up it sleeps on the store's
//! head watch. The watch value is marked seen *before* each read, so a commit that lands
//! during the read wakes the subscriber again instead of being missed; and because it
//! resumes strictly after the last position it delivered, nothing is delivered twice.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::Stream;
use tokio::sync::watch;

use crate::envelope::EventEnvelope;
use crate::store::{EventStore, StoreError};

/// Events read per round-trip by a subscription.
pub const DEFAULT_BATCH: usize = 512;

struct State {
    store: Arc<dyn EventStore>,
    head: watch::Receiver<u64>,
    last: u64,
    batch: usize,
    buffer: VecDeque<EventEnvelope>,
    failed: bool,
}

/// Every event after `after_position`, in `$all` order, forever. The stream ends only
/// when the store is dropped, or after yielding an error (resubscribe from the last
/// position you processed).
pub fn subscribe(
    store: Arc<dyn EventStore>,
    after_position: u64,
    batch: usize,
) -> impl Stream<Item = Result<EventEnvelope, StoreError>> + Send + 'static {
    let state = State {
        head: store.head(),
        store,
        last: after_position,
        batch: batch.max(1),
        buffer: VecDeque::new(),
        failed: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(event) = s.buffer.pop_front() {
                s.last = event.position;
                return Some((Ok(event), s));
            }
            if s.failed {
                return None;
            }
            let head = *s.head.borrow_and_update();
            if head > s.last {
                match s.store.read_all(s.last, s.batch).await {
                    Ok(events) if !events.is_empty() => {
                        s.buffer.extend(events);
                        continue;
                    }
                    Ok(_) => {}
                    Err(error) => {
                        s.failed = true;
                        return Some((Err(error), s));
                    }
                }
            }
            if s.head.changed().await.is_err() {
                return None;
            }
        }
    })
}
