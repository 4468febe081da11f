//! The single writer thread and its group commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot, watch};

use crate::envelope::{EventEnvelope, now};
use crate::hash::Hash;
use crate::seal::{SealedEvent, StreamHead, seal};
use crate::snapshot::Snapshot;
use crate::store::{AppendRequest, StoreError};
use crate::telemetry::names;
use crate::time;

/// Most jobs one transaction takes; bounds the latency of the batch's first caller.
const MAX_BATCH: usize = 1_024;

pub(super) enum Job {
    /// Requests appended together (one, or an atomic group), each with its
    /// canonical payloads.
    Append {
        requests: Vec<(AppendRequest, Vec<String>)>,
        reply: oneshot::Sender<Result<Vec<Vec<EventEnvelope>>, StoreError>>,
    },
    Snapshot {
        snapshot: Snapshot,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

impl Job {
    /// Answers the job with `error` without running it.
    fn fail(self, error: StoreError) -> Outcome {
        match self {
            Job::Append { reply, .. } => Outcome::Append(reply, Err(error)),
            Job::Snapshot { reply, .. } => Outcome::Snapshot(reply, Err(error)),
        }
    }
}

/// A job's answer, held back until its transaction has committed.
enum Outcome {
    Append(
        oneshot::Sender<Result<Vec<Vec<EventEnvelope>>, StoreError>>,
        Result<Vec<Vec<EventEnvelope>>, StoreError>,
    ),
    Snapshot(
        oneshot::Sender<Result<(), StoreError>>,
        Result<(), StoreError>,
    ),
}

pub(super) struct Writer {
    conn: Connection,
    next_position: u64,
    head: watch::Sender<u64>,
    stats: Arc<Stats>,
}

/// What the writer has done, for benchmarks, tests and the status views.
#[derive(Debug, Default)]
pub(super) struct Stats {
    pub commits: AtomicU64,
    pub appends: AtomicU64,
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn last_position(conn: &Connection) -> Result<u64, StoreError> {
    conn.query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |row| {
        row.get::<_, i64>(0)
    })
    .map(|p| p as u64)
    .map_err(unavailable)
}

impl Writer {
    pub(super) fn new(
        conn: Connection,
        stats: Arc<Stats>,
    ) -> Result<(Self, watch::Receiver<u64>), StoreError> {
        let last = last_position(&conn)?;
        let (head, receiver) = watch::channel(last);
        let writer = Self {
            conn,
            next_position: last + 1,
            head,
            stats,
        };
        Ok((writer, receiver))
    }

    /// Runs until every sender is gone, answering each job after its batch commits.
    pub(super) fn run(mut self, mut queue: mpsc::Receiver<Job>) {
        while let Some(first) = queue.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.commit_batch(batch);
        }
    }

    fn commit_batch(&mut self, batch: Vec<Job>) {
        let mut outcomes = Vec::with_capacity(batch.len());
        let started = std::time::Instant::now();
        let jobs = batch.len();
        let committed = self.run_transaction(batch, &mut outcomes);
        metrics::histogram!(names::APPEND_DURATION, "store" => "sqlite")
            .record(started.elapsed().as_secs_f64());
        metrics::histogram!(names::APPEND_BATCH, "store" => "sqlite").record(jobs as f64);
        match committed {
            Ok(next_position) => {
                self.stats.commits.fetch_add(1, Ordering::Relaxed);
                let appends = outcomes
                    .iter()
                    .filter(|o| matches!(o, Outcome::Append(_, Ok(_))))
                    .count();
                self.stats
                    .appends
                    .fetch_add(appends as u64, Ordering::Relaxed);
                if next_position != self.next_position {
                    self.next_position = next_position;
                    self.head.send_replace(next_position - 1);
                    metrics::gauge!(names::LOG_HEAD).set((next_position - 1) as f64);
                }
            }
            Err(error) => {
                tracing::error!(%error, "event store commit failed; the batch is rejected");
                // What is stored is what the file says; recount from it.
                if let Ok(last) = last_position(&self.conn) {
                    self.next_position = last + 1;
                }
                for outcome in &mut outcomes {
                    match outcome {
                        Outcome::Append(_, result) => *result = Err(error.clone()),
                        Outcome::Snapshot(_, result) => *result = Err(error.clone()),
                    }
                }
            }
        }
        for outcome in outcomes {
            // A caller that stopped waiting does not undo a commit.
            match outcome {
                Outcome::Append(reply, result) => drop(reply.send(result)),
                Outcome::Snapshot(reply, result) => drop(reply.send(result)),
            }
        }
    }

    /// One transaction for the whole batch; returns the next free position on commit.
    fn run_transaction(
        &mut self,
        batch: Vec<Job>,
        outcomes: &mut Vec<Outcome>,
    ) -> Result<u64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let mut next_position = self.next_position;
        let recorded_at = now();
        // After a storage failure the transaction is doomed; the remaining jobs are
        // answered with that failure instead of being run.
        let mut failure: Option<StoreError> = None;
        for job in batch {
            if let Some(error) = &failure {
                outcomes.push(job.fail(error.clone()));
                continue;
            }
            match job {
                Job::Append { requests, reply } => {
                    let result = append_group(&tx, requests, next_position, recorded_at);
                    match &result {
                        Ok(appended) => {
                            next_position += appended.iter().map(Vec::len).sum::<usize>() as u64;
                        }
                        // Refused by a rule before writing: fails alone.
                        Err(
                            StoreError::Concurrency { .. }
                            | StoreError::InvalidAppend { .. }
                            | StoreError::IdempotencyKeyUsed(_),
                        ) => {}
                        // Storage failed mid-write: the whole batch rolls back.
                        Err(error) => failure = Some(error.clone()),
                    }
                    outcomes.push(Outcome::Append(reply, result));
                }
                Job::Snapshot { snapshot, reply } => {
                    let result = save_snapshot(&tx, &snapshot);
                    if let Err(error) = &result {
                        failure = Some(error.clone());
                    }
                    outcomes.push(Outcome::Snapshot(reply, result));
                }
            }
        }
        if let Some(error) = failure {
            return Err(error);
        }
        tx.commit().map_err(unavailable)?;
        Ok(next_position)
    }
}

/// Appends a group of requests (one, or an atomic group). Everything that can refuse
/// any of them is checked before the first insert, so a refusal writes nothing and an
/// insert that fails means storage failed and the batch must roll back.
fn append_group(
    tx: &Transaction<'_>,
    requests: Vec<(AppendRequest, Vec<String>)>,
    first_position: u64,
    recorded_at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Vec<EventEnvelope>>, StoreError> {
    let mut next_position = first_position;
    let mut checked = Vec::with_capacity(requests.len());
    for (request, payloads) in requests {
        let stream_id = request.stream_id();
        let idempotency = request.idempotency.clone();
        if let Some(key) = &idempotency
            && let Some(record) = super::rows::find_idempotency(tx, &key.key)?
        {
            return Err(StoreError::IdempotencyKeyUsed(Box::new(record)));
        }
        let head = stream_head(tx, &stream_id)?;
        let sealed = seal(request, payloads, head, next_position, recorded_at)?;
        refuse_stored_event_ids(tx, &stream_id, &sealed)?;
        next_position += sealed.len() as u64;
        checked.push((idempotency, sealed));
    }
    checked
        .into_iter()
        .map(|(idempotency, sealed)| insert(tx, idempotency, sealed, recorded_at))
        .collect()
}

/// Inserts one request's sealed events and its idempotency record.
fn insert(
    tx: &Transaction<'_>,
    idempotency: Option<crate::store::IdempotencyKey>,
    sealed: Vec<SealedEvent>,
    recorded_at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO events (position, event_id, stream_id, aggregate_type, \
             aggregate_id, version, event_type, schema_version, occurred_at, recorded_at, \
             correlation_id, causation_id, actor_subject, actor_role, traceparent, payload, \
             prev_hash, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )
        .map_err(unavailable)?;
    for SealedEvent {
        envelope: e,
        canonical_payload,
    } in &sealed
    {
        insert
            .execute(params![
                e.position as i64,
                e.event_id.to_string(),
                e.stream_id,
                e.aggregate_type,
                e.aggregate_id,
                e.version as i64,
                e.event_type,
                e.schema_version,
                time::format(&e.occurred_at),
                time::format(&e.recorded_at),
                e.correlation_id,
                e.causation_id,
                e.actor.subject,
                e.actor.role,
                e.traceparent,
                canonical_payload,
                &e.prev_hash.0[..],
                &e.hash.0[..],
            ])
            .map_err(unavailable)?;
    }
    if let (Some(key), Some(last)) = (idempotency, sealed.last()) {
        tx.prepare_cached(
            "INSERT INTO idempotency (key, fingerprint, stream_id, version, position, recorded_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                key.key,
                key.fingerprint,
                last.envelope.stream_id,
                last.envelope.version as i64,
                last.envelope.position as i64,
                time::format(&recorded_at),
            ])
        })
        .map_err(unavailable)?;
    }
    Ok(sealed.into_iter().map(|s| s.envelope).collect())
}

fn refuse_stored_event_ids(
    tx: &Transaction<'_>,
    stream_id: &str,
    sealed: &[SealedEvent],
) -> Result<(), StoreError> {
    let mut exists = tx
        .prepare_cached("SELECT 1 FROM events WHERE event_id = ?1")
        .map_err(unavailable)?;
    for event in sealed {
        let id = event.envelope.event_id.to_string();
        if exists.exists(params![id]).map_err(unavailable)? {
            return Err(StoreError::InvalidAppend {
                stream_id: stream_id.to_owned(),
                reason: format!("event id {id} is already stored"),
            });
        }
    }
    Ok(())
}

fn stream_head(tx: &Transaction<'_>, stream_id: &str) -> Result<StreamHead, StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT version, hash FROM events WHERE stream_id = ?1 ORDER BY version DESC LIMIT 1",
        )
        .map_err(unavailable)?;
    let mut rows = stmt.query(params![stream_id]).map_err(unavailable)?;
    let Some(row) = rows.next().map_err(unavailable)? else {
        return Ok(StreamHead::default());
    };
    let version: i64 = row.get(0).map_err(unavailable)?;
    let hash: Vec<u8> = row.get(1).map_err(unavailable)?;
    let hash = Hash::from_slice(&hash).map_err(|reason| StoreError::Corrupt {
        stream_id: stream_id.to_owned(),
        version: version as u64,
        reason: format!("column hash: {reason}"),
    })?;
    Ok(StreamHead {
        version: version as u64,
        hash,
    })
}

fn save_snapshot(tx: &Transaction<'_>, s: &Snapshot) -> Result<(), StoreError> {
    // Never replace a snapshot with an older one (two writers may race to save).
    tx.prepare_cached(
        "INSERT INTO snapshots (stream_id, aggregate_type, version, hash, snapshot_version, \
         state, taken_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (stream_id) DO UPDATE SET aggregate_type = excluded.aggregate_type, \
         version = excluded.version, hash = excluded.hash, \
         snapshot_version = excluded.snapshot_version, state = excluded.state, \
         taken_at = excluded.taken_at WHERE excluded.version >= snapshots.version",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            s.stream_id,
            s.aggregate_type,
            s.version as i64,
            &s.hash.0[..],
            s.snapshot_version,
            s.state.to_string(),
            time::format(&s.taken_at),
        ])
    })
    .map(|_| ())
    .map_err(unavailable)
}
