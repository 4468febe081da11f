//! What a running projection shows operators, and how readers wait for a position.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeState {
    Starting,
    Running,
    /// Retrying a failing batch; `last_error` says why.
    Retrying,
    /// The log is not the history the target holds (it went back in time, or holds
    /// another event at the checkpoint): nothing is applied until the read models are
    /// rebuilt from it; `last_error` says where the two part.
    Diverged,
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectorStatus {
    pub name: String,
    pub state: RuntimeState,
    /// Last position applied.
    pub position: u64,
    /// Newest position the source knows.
    pub head: u64,
    pub last_error: Option<String>,
    pub dead_letters: u64,
    pub unknown_skipped: u64,
    pub applied: u64,
}

impl ProjectorStatus {
    pub fn lag(&self) -> u64 {
        self.head.saturating_sub(self.position)
    }
}

/// Shared between the runtime (writer) and the API (readers).
pub struct StatusBoard {
    status: Mutex<ProjectorStatus>,
    position: watch::Sender<u64>,
}

impl StatusBoard {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            status: Mutex::new(ProjectorStatus {
                name: name.into(),
                state: RuntimeState::Starting,
                position: 0,
                head: 0,
                last_error: None,
                dead_letters: 0,
                unknown_skipped: 0,
                applied: 0,
            }),
            position: watch::Sender::new(0),
        }
    }

    pub fn snapshot(&self) -> ProjectorStatus {
        self.lock().clone()
    }

    pub fn position(&self) -> u64 {
        *self.position.borrow()
    }

    /// The applied position as it moves.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.position.subscribe()
    }

    /// Waits until the projection has applied `position`; false after `timeout`.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        let mut receiver = self.position.subscribe();
        tokio::time::timeout(timeout, receiver.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut ProjectorStatus)) {
        let mut status = self.lock();
        change(&mut status);
        let position = status.position;
        if status.head < position {
            status.head = position;
        }
        export(&status);
        drop(status);
        self.position.send_if_modified(|p| {
            let moved = *p != position;
            *p = position;
            moved
        });
    }

    /// Sets how many events are parked now, after operators settled some.
    pub fn parked_now(&self, parked: u64) {
        self.update(|s| s.dead_letters = parked);
    }

    /// The projection's name, as its metrics label it.
    pub fn name(&self) -> String {
        self.lock().name.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProjectorStatus> {
        // Updates are plain field assignments: a poisoned status is still consistent.
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The status as gauges (`pitlane_projection_*{projection}`): what `/metrics` shows of
/// it is what the status API says.
fn export(status: &ProjectorStatus) {
    use crate::telemetry::names;
    let label = || [("projection", status.name.clone())];
    metrics::gauge!(names::PROJECTION_POSITION, &label()).set(status.position as f64);
    metrics::gauge!(names::PROJECTION_HEAD, &label()).set(status.head as f64);
    metrics::gauge!(names::PROJECTION_LAG_EVENTS, &label()).set(status.lag() as f64);
    metrics::gauge!(names::PROJECTION_DEAD_LETTERS, &label()).set(status.dead_letters as f64);
    if status.name.starts_with("rebuild") {
        let progress = match status.head {
            0 => 1.0,
            head => status.position as f64 / head as f64,
        };
        metrics::gauge!(names::PROJECTION_REBUILD, &label()).set(progress);
    }
}
