//! The loop that feeds a target from a source.

use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::StreamExt;

use super::status::{RuntimeState, StatusBoard};
use super::{ApplyError, EventSource, ProjectionTarget};
use crate::envelope::EventEnvelope;

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
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            outcome = follow(source.as_ref(), &mut target, &status, policy) => {
                if let Err(error) = outcome {
                    tracing::warn!(projector = %status.snapshot().name, %error, "projection interrupted; resubscribing");
                    status.update(|s| {
                        s.state = RuntimeState::Retrying;
                        s.last_error = Some(error.0.clone());
                    });
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(policy.min_delay.max(Duration::from_millis(100))) => {}
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
    let mut checkpoint = target.checkpoint().await?;
    let head = source.head().await.map_err(|e| ApplyError(e.0))?;
    status.update(|s| {
        s.position = checkpoint;
        s.head = head;
        s.state = RuntimeState::Running;
    });
    let mut events = source
        .subscribe(checkpoint)
        .await
        .map_err(|e| ApplyError(e.0))?;
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
    while let Some(batch) = batches.recv().await {
        let mut fresh = Vec::with_capacity(batch.len());
        let mut high = checkpoint;
        for event in batch {
            let event = event.map_err(|e| ApplyError(e.0))?;
            // At-least-once sources redeliver, also within one batch: anything at or
            // below the highest position taken so far is a duplicate.
            if event.position > high {
                high = event.position;
                fresh.push(event);
            }
        }
        if fresh.is_empty() {
            continue;
        }
        apply_or_park(target, status, policy, &fresh).await?;
        checkpoint = fresh.last().map_or(checkpoint, |e| e.position);
        if let Ok(head) = source.head().await {
            status.update(|s| s.head = head);
        }
    }
    Err(ApplyError("the event source ended".into()))
}

/// Stops the read-ahead task when the subscription it feeds is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Applies a batch; if it keeps failing, finds the failing event by applying one at a
/// time, parks it after its retries, and carries on with the rest.
async fn apply_or_park(
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
                target.park(event, &error.0, policy.attempts).await?;
                status.update(|s| {
                    s.position = event.position;
                    s.dead_letters += 1;
                    s.last_error = Some(format!("parked {}: {}", event.position, error.0));
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
    loop {
        attempt += 1;
        match target.apply(events).await {
            Ok(report) => return Ok(report),
            Err(error) => {
                status.update(|s| {
                    s.state = RuntimeState::Retrying;
                    s.last_error = Some(error.0.clone());
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
    status.update(|s| {
        s.state = RuntimeState::Running;
        s.position = last.position;
        s.applied += events.len() as u64 - report.unknown - report.parked;
        s.unknown_skipped += report.unknown;
        s.dead_letters += report.parked;
    });
}
