//! How long audit runs tell a front-end how far they got (a progress bar, log lines).

/// Receives progress of a verify or an export, once per page of events.
///
/// Any `FnMut(u64)` closure is one (it gets the events done so far); implement the
/// trait to also learn the expected total up front, e.g. for a bar with an ETA.
pub trait Progress {
    /// Called once before the first event, with an upper bound of the events to come
    /// when the source can tell cheaply (the store's head for `$all`), else `None`.
    fn start(&mut self, expected_events: Option<u64>) {
        let _ = expected_events;
    }

    /// Called after each page with the number of events done so far.
    fn advance(&mut self, events_done: u64);
}

impl<F: FnMut(u64)> Progress for F {
    fn advance(&mut self, events_done: u64) {
        self(events_done)
    }
}

/// No progress reporting.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn advance(&mut self, _events_done: u64) {}
}
