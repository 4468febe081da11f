//! Spreading a page's CPU work (hashing, rendering) over the machine's cores, while the
//! next page is being read.

use std::sync::OnceLock;
use std::thread;

/// Rows per thread below which splitting a page costs more than it saves.
const MIN_CHUNK: usize = 250;

fn workers() -> usize {
    static WORKERS: OnceLock<usize> = OnceLock::new();
    *WORKERS.get_or_init(|| thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// Runs `work` over consecutive chunks of `items`, one scoped thread per chunk beyond
/// the first (which runs on the calling thread), each with its own reusable `state`.
/// Returns how many leading `states` hold this call's results, in the items' order.
pub(super) fn in_chunks<T: Sync, S: Send + Default>(
    items: &[T],
    states: &mut Vec<S>,
    work: impl Fn(&[T], &mut S) + Sync,
) -> usize {
    let chunks = workers().min(items.len() / MIN_CHUNK).max(1);
    if states.len() < chunks {
        states.resize_with(chunks, S::default);
    }
    let size = items.len().div_ceil(chunks).max(1);
    let mut parts = items.chunks(size).zip(states.iter_mut());
    let Some((first, first_state)) = parts.next() else {
        return 0;
    };
    let work = &work;
    thread::scope(|scope| {
        for (chunk, state) in parts {
            scope.spawn(move || work(chunk, state));
        }
        work(first, first_state);
    });
    items.len().div_ceil(size)
}
