//! The loop that feeds a target from a source.

use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::StreamExt;

use super::status::{RuntimeState, StatusBoard};
use super::{ApplyError, Checkpoint, EventSource, ProjectionTarget};
use crate::envelope::EventEnvelope;
use crate::hash::Hash;
use crate::telemetry::names;
use tracing::Instrument as _;

/// How failures are retried before an event is parked.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per event before it becomes a dead letter.
    pub attempts: u32,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// Events applied per transaction at most.
    pub batch: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(2),
            batch: 2_000,
        }
    }
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_jitter()
            .with_max_times(self.attempts.saturating_sub(1) as usize)
    }
}

/// Runs until `shutdown` resolves (or the source ends for good).
pub async fn run(
    source: Arc<dyn EventSource>,
    mut target: impl ProjectionTarget,
    status: Arc<StatusBoard>,
    policy: RetryPolicy,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    let first_delay = policy.min_delay.max(Duration::from_millis(100)) / 2;
    let mut delay = first_delay;
    loop {
        let started = std::time::Instant::now();
        tokio::select! {
            () = &mut shutdown => break,
            outcome = follow(source.as_ref(), &mut target, &status, policy) => {
                if let Err(error) = outcome {
                    // Said once, not on every retry of the same failure.
                    if status.snapshot().last_error.as_deref() != Some(error.message.as_str()) {
                        tracing::warn!(projector = %status.snapshot().name, %error, "projection interrupted; resubscribing");
                    }
                    status.update(|s| {
                        // A diverged log stays reported as such while it is retried.
                        if s.state != RuntimeState::Diverged {
                            s.state = RuntimeState::Retrying;
                        }
                        s.last_error = Some(error.message.clone());
                    });
                    // A failure right after the last one waits longer each time (up to
                    // 5 s); after a while of progress, it starts short again.
                    if started.elapsed() > Duration::from_secs(10) {
                        delay = first_delay;
                    }
                    delay = (delay * 2).min(Duration::from_secs(5));
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }
    status.update(|s| s.state = RuntimeState::Stopped);
}

/// One subscription's worth of work; returns when the subscription fails.
async fn follow(
    source: &dyn EventSource,
    target: &mut impl ProjectionTarget,
    status: &StatusBoard,
    policy: RetryPolicy,
) -> Result<(), ApplyError> {
    let Checkpoint {
        position: mut checkpoint,
        hash: applied,
    } = target.checkpoint().await?;
    let head = source
        .head()
        .await
        .map_err(|e| ApplyError::transient(e.0))?;
    if source.head_is_the_logs() && head < checkpoint {
        return Err(rewound(status, head, checkpoint));
    }
    if let Some(applied) = applied
        && checkpoint > 0
        && checkpoint <= head
        && let Some(found) = source
            .hash_at(checkpoint)
            .await
            .map_err(|e| ApplyError::transient(e.0))?
        && found != applied
    {
        return Err(replaced(status, head, checkpoint, applied, found));
    }
    status.update(|s| {
        s.position = checkpoint;
        s.head = head;
        // The log and the target agree again (rebuilt, or the right store put back).
        if s.state == RuntimeState::Diverged {
            s.last_error = None;
        }
        s.state = RuntimeState::Running;
    });
    let mut events = source
        .subscribe(checkpoint)
        .await
        .map_err(|e| ApplyError::transient(e.0))?;
    // Read ahead on another task, so the next events are fetched and decoded while
    // this one applies a batch (bounded: at most two batches wait).
    let (ahead, mut batches) = tokio::sync::mpsc::channel(2);
    let batch = policy.batch.max(1);
    let _reader = AbortOnDrop(tokio::spawn(async move {
        let mut chunks = events.by_ref().ready_chunks(batch);
        while let Some(chunk) = chunks.next().await {
            if ahead.send(chunk).await.is_err() {
                break;
            }
        }
    }));
    // The head is looked at while waiting too, so events that do not come show as lag
    // (and a stall is said once in the log), not as a projection that is up to date.
    let mut looking = tokio::time::interval(HEAD_EVERY);
    looking.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut progress = Progress::new(checkpoint);
    loop {
        let batch = tokio::select! {
            batch = batches.recv() => match batch {
                Some(batch) => batch,
                None => break,
            },
            _ = looking.tick() => {
                if let Ok(head) = source.head().await {
                    status.update(|s| s.head = head);
                    progress.look(head, checkpoint);
                }
                continue;
            }
        };
        let mut fresh = Vec::with_capacity(batch.len());
        let mut high = checkpoint;
        for event in batch {
            let event = event.map_err(|e| ApplyError::transient(e.0))?;
            // At-least-once sources redeliver, also within one batch: anything at or
            // below the highest position taken so far is a duplicate.
            if event.position > high {
                high = event.position;
                fresh.push(event);
            }
        }
        if fresh.is_empty() {
            // Only duplicates: still acknowledged, or a Kafka source would redeliver
            // them after every restart.
            source.committed(checkpoint).await;
            continue;
        }
        // The log reaches at least this batch: while it is applied (a slow or stuck
        // projection), the status shows it as lag rather than as up to date.
        status.update(|s| s.head = s.head.max(high));
        apply_or_park(source, target, status, policy, &fresh).await?;
        checkpoint = fresh.last().map_or(checkpoint, |e| e.position);
        source.committed(checkpoint).await;
        progress.moved(checkpoint);
        if let Ok(head) = source.head().await {
            status.update(|s| s.head = head);
        }
    }
    Err(ApplyError::transient("the event source ended"))
}

/// How often the runtime looks at the source's head while no events arrive.
const HEAD_EVERY: Duration = Duration::from_secs(1);
/// How long the log may be ahead with no event arriving before the stall is logged.
const STALL_AFTER: Duration = Duration::from_secs(10);

/// When the projection last moved, to say once when it stalls behind the log.
struct Progress {
    since: std::time::Instant,
    at: u64,
    said: bool,
}

impl Progress {
    fn new(at: u64) -> Self {
        Self {
            since: std::time::Instant::now(),
            at,
            said: false,
        }
    }

    fn moved(&mut self, to: u64) {
        if self.said {
            tracing::info!(position = to, "projections move again");
        }
        *self = Self::new(to);
    }

    /// Logs, once per stall, a log ahead of the projection with no event arriving.
    fn look(&mut self, head: u64, checkpoint: u64) {
        if head <= checkpoint {
            self.since = std::time::Instant::now();
            return;
        }
        let waited = self.since.elapsed();
        if !self.said && waited >= STALL_AFTER {
            tracing::warn!(
                head,
                position = self.at,
                waited_seconds = waited.as_secs(),
                "projections stalled: the log is at position {head}, the read models at {}, and \
                 no event has arrived for {} s (is the event source delivering?)",
                self.at,
                waited.as_secs()
            );
            self.said = true;
        }
    }
}

/// The log ends before what the target already holds: a restored backup or a cut tail.
/// Applying on would serve events the log no longer has and skip the new ones written
/// at the same positions, so nothing is applied: the status says why (not ready), the
/// log says it once, and the runtime looks again later.
fn rewound(status: &StatusBoard, head: u64, checkpoint: u64) -> ApplyError {
    let message = format!(
        "the log ends at position {head} but the read models hold events up to position \
         {checkpoint}: the log went back in time (a restored backup or a cut tail); nothing \
         is applied until an operator verifies the log and rebuilds the read models"
    );
    halt(status, head, checkpoint, message)
}

/// The log holds another event at the position the target last applied: it went back
/// in time and grew again (a restored backup written to since), or its history was
/// rewritten. Its head alone cannot show this; the checkpoint's hash does. Handled like
/// a rewound log: nothing is applied on top of a history the read models do not share.
fn replaced(
    status: &StatusBoard,
    head: u64,
    checkpoint: u64,
    applied: Hash,
    found: Hash,
) -> ApplyError {
    let message = format!(
        "the log's event at position {checkpoint} is not the one the read models applied \
         (hash {} then, {} now): the log was replaced (a restored backup written to since, \
         or a rewritten history); nothing is applied until an operator verifies the log and \
         rebuilds the read models",
        short(applied),
        short(found)
    );
    halt(status, head, checkpoint, message)
}

fn short(hash: Hash) -> String {
    hash.to_hex()[..12].to_owned()
}

/// Reports why the runtime applies nothing (status and, once, the log) and gives the
/// error it retries on, so it notices when an operator has repaired things.
fn halt(status: &StatusBoard, head: u64, checkpoint: u64, message: String) -> ApplyError {
    if status.snapshot().last_error.as_deref() != Some(message.as_str()) {
        tracing::error!(projector = %status.snapshot().name, head, checkpoint, "{message}");
    }
    status.update(|s| {
        s.state = RuntimeState::Diverged;
        s.head = head;
        s.position = checkpoint;
        s.last_error = Some(message.clone());
    });
    ApplyError::transient(message)
}

/// Stops the read-ahead task when the subscription it feeds is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Applies a batch; if it keeps failing, finds the failing event by applying one at a
/// time, parks it after its retries, and carries on with the rest. Runs in a span
/// linked to the trace of each event's command (its envelope's `traceparent`).
async fn apply_or_park(
    source: &dyn EventSource,
    target: &mut impl ProjectionTarget,
    status: &StatusBoard,
    policy: RetryPolicy,
    events: &[EventEnvelope],
) -> Result<(), ApplyError> {
    let span = tracing::info_span!(
        "projection_batch",
        projection = %status.name(),
        events = events.len(),
        first_position = events.first().map_or(0, |e| e.position),
    );
    for event in events {
        crate::telemetry::link_to(&span, event.traceparent.as_deref());
    }
    apply_or_park_in(source, target, status, policy, events)
        .instrument(span)
        .await
}

async fn apply_or_park_in(
    source: &dyn EventSource,
    target: &mut impl ProjectionTarget,
    status: &StatusBoard,
    policy: RetryPolicy,
    events: &[EventEnvelope],
) -> Result<(), ApplyError> {
    if let Ok(report) = apply_with_retries(target, status, policy, events).await {
        record(status, events, report);
        return Ok(());
    }
    for event in events {
        let one = std::slice::from_ref(event);
        match apply_with_retries(target, status, policy, one).await {
            Ok(report) => record(status, one, report),
            Err(error) => {
                tracing::error!(position = event.position, stream_id = %event.stream_id, %error, "parking event as a dead letter");
                source
                    .dead_letter(event, &error.message, policy.attempts)
                    .await
                    .map_err(|e| ApplyError::transient(e.0))?;
                target.park(event, &error.message, policy.attempts).await?;
                status.update(|s| {
                    s.state = RuntimeState::Running;
                    s.position = event.position;
                    s.dead_letters += 1;
                    s.last_error = Some(format!("parked {}: {}", event.position, error.message));
                });
            }
        }
    }
    Ok(())
}

async fn apply_with_retries(
    target: &mut impl ProjectionTarget,
    status: &StatusBoard,
    policy: RetryPolicy,
    events: &[EventEnvelope],
) -> Result<super::BatchReport, ApplyError> {
    let mut attempt = 0u32;
    let mut backoff = policy.backoff().build();
    let mut transient_delay = policy.min_delay;
    let projection = [("projection", status.name())];
    loop {
        let started = std::time::Instant::now();
        let applied = target.apply(events).await;
        metrics::histogram!(names::PROJECTION_BATCH, &projection)
            .record(started.elapsed().as_secs_f64());
        if applied.is_err() {
            metrics::counter!(names::PROJECTION_RETRIES, &projection).increment(1);
        }
        match applied {
            Ok(report) => return Ok(report),
            Err(error) if error.transient => {
                // The store, not the events: wait for it as long as it takes (status and
                // log say so), and never count it against the events.
                status.update(|s| {
                    s.state = RuntimeState::Retrying;
                    s.last_error = Some(format!("retrying (transient): {}", error.message));
                });
                tracing::warn!(error = %error.message, delay_ms = transient_delay.as_millis() as u64, "read-model store failing; retrying the batch");
                tokio::time::sleep(transient_delay).await;
                transient_delay = (transient_delay * 2).min(policy.max_delay);
            }
            Err(error) => {
                attempt += 1;
                status.update(|s| {
                    s.state = RuntimeState::Retrying;
                    s.last_error = Some(error.message.clone());
                });
                match backoff.next() {
                    Some(delay) if attempt < policy.attempts => tokio::time::sleep(delay).await,
                    _ => return Err(error),
                }
            }
        }
    }
}

fn record(status: &StatusBoard, events: &[EventEnvelope], report: super::BatchReport) {
    let Some(last) = events.last() else { return };
    let age = (chrono::Utc::now() - last.recorded_at)
        .num_milliseconds()
        .max(0) as f64
        / 1_000.0;
    metrics::gauge!(names::PROJECTION_LAG_SECONDS, "projection" => status.name()).set(age);
    status.update(|s| {
        // Recovered from retries: the error no longer holds and must not linger in the
        // status. (A parked event's note stays: its state went back to running.)
        if s.state == RuntimeState::Retrying {
            s.last_error = None;
        }
        s.state = RuntimeState::Running;
        s.position = last.position;
        // `parked` counts dead letters (one event may be parked by one projection and
        // unknown to another), so the difference is a floor, never below zero.
        let skipped = report.unknown + report.parked;
        s.applied += (events.len() as u64).saturating_sub(skipped);
        s.unknown_skipped += report.unknown;
        s.dead_letters += report.parked;
    });
}

#[cfg(test)]
mod tests;
