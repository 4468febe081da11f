//! Test support (feature `test-util`): a real read-model database in a temp dir, a
//! factory of envelopes shaped as the event store produces them, the store contract
//! every backend passes, and a counting projection ([`tallies`]).

pub mod store_contract;
pub mod tallies;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use es_core::{Actor, EventEnvelope, Hash};
use uuid::Uuid;

use crate::projection::{Outcome, Projection, ProjectionError};
use crate::store::Reader;
use crate::store::sqlite::ReadModelDb;

/// A read-model database holding the given projections' tables.
pub struct TestDb {
    /// Always `Some` until dropped; taken in `drop` so it goes inside its runtime.
    db: Option<ReadModelDb>,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new(projections: Vec<Box<dyn Projection>>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        // The reader pool belongs to a runtime: create it inside this one.
        let db = runtime
            .block_on(async { ReadModelDb::open(dir.path().join("read-models.db"), projections) })
            .expect("open read models");
        Self {
            db: Some(db),
            runtime,
            _dir: dir,
        }
    }

    pub fn db(&self) -> &ReadModelDb {
        // Only `drop` takes it out.
        self.db
            .as_ref()
            .expect("the database lives as long as the TestDb")
    }

    /// Applies each event, in its own transaction, to every projection; one result per
    /// event (the first projection error, if any). Errors roll back that event only.
    pub fn apply(&self, events: &[EventEnvelope]) -> Vec<Result<Outcome, ProjectionError>> {
        events.iter().map(|event| self.apply_one(event)).collect()
    }

    fn apply_one(&self, event: &EventEnvelope) -> Result<Outcome, ProjectionError> {
        self.db().apply_for_test(event)
    }

    /// Runs a read on a consistent snapshot.
    pub fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut dyn Reader) -> T + Send + 'static,
    ) -> T {
        self.runtime
            .block_on(
                self.db()
                    .read::<T, crate::store::DbError>(move |reader| Ok(query(reader))),
            )
            .expect("read")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // The reader pool belongs to this runtime and must be dropped inside it.
        let _inside = self.runtime.enter();
        drop(self.db.take());
    }
}

/// Envelopes with increasing positions and per-stream versions.
pub struct EventFactory {
    position: u64,
    versions: HashMap<String, u64>,
    base: DateTime<Utc>,
}

impl Default for EventFactory {
    fn default() -> Self {
        Self::new()
    }
}

impl EventFactory {
    pub fn new() -> Self {
        Self {
            position: 0,
            versions: HashMap::new(),
            base: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
        }
    }

    pub fn event(
        &mut self,
        aggregate_type: &str,
        aggregate_id: &str,
        event_type: &str,
        payload: serde_json::Value,
    ) -> EventEnvelope {
        self.position += 1;
        let stream_id = format!("{aggregate_type}-{aggregate_id}");
        let version = self.versions.entry(stream_id.clone()).or_default();
        *version += 1;
        let at = self.base + Duration::seconds(self.position as i64);
        EventEnvelope {
            event_id: Uuid::now_v7(),
            stream_id,
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            version: *version,
            position: self.position,
            event_type: event_type.to_owned(),
            schema_version: 1,
            occurred_at: at,
            recorded_at: at,
            correlation_id: "test".into(),
            causation_id: "test".into(),
            actor: Actor::system(),
            traceparent: None,
            payload,
            prev_hash: Hash::ZERO,
            hash: Hash::ZERO,
        }
    }
}

impl store_contract::StoreUnderTest for TestDb {
    fn write(
        &self,
        work: &mut dyn FnMut(&mut dyn crate::store::Tx) -> Result<(), crate::store::DbError>,
    ) {
        // A failing `work` rolls its transaction back; the contract checks that.
        let _ = self.db().write_for_test(|tx| work(tx));
    }

    fn read(&self, work: store_contract::ReadWork) -> Vec<String> {
        self.read(move |reader| work(reader)).expect("read")
    }
}
