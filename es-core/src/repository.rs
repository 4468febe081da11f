//! Loading aggregates (snapshot + later events, chain-checked, upcast) and executing
//! commands against them with optimistic concurrency.
//!
//! With a [`Vault`] ([`Repository::with_vault`]) this is the one place personal data is
//! sealed on the write path and opened on the read path (ADR 010): `execute` seals each
//! new event's top-level `personal_data` before the append, so the hash chain covers
//! the sealed bytes; `load` opens it after the chain check and before upcasting, so
//! upcasters and `apply` see clear data, or `null` once the subject is erased.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::aggregate::{Aggregate, CodecError, DomainEvent, decode, encode};
use crate::cache::AggregateCache;
use crate::envelope::{
    ConsistencyToken, EventEnvelope, EventMetadata, ProposedEvent, now, stream_id,
};
use crate::hash::ChainCursor;
use crate::snapshot::{Snapshot, SnapshotPolicy};
use crate::store::{AppendRequest, EventStore, ExpectedVersion, IdempotencyKey, StoreError};
use crate::upcast::Upcasters;
use crate::vault::{Vault, VaultError};

/// Events read per round-trip while loading a stream.
const LOAD_BATCH: usize = 1_000;
/// Concurrency conflicts retried before the command fails with the conflict.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller asked for a version (`If-Match`) the stream is no longer (or not yet) at.
    #[error("{stream_id} is at version {actual}, not the expected {expected}")]
    VersionMismatch {
        stream_id: String,
        expected: u64,
        actual: u64,
    },
    /// Personal data could not be sealed or opened (key store down, tampered data).
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("stored event {stream_id} v{version}: {source}")]
    Codec {
        stream_id: String,
        version: u64,
        #[source]
        source: CodecError,
    },
}

/// A command either breaks a domain rule or meets an infrastructure problem.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Domain(E),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl<E: std::error::Error + 'static> From<StoreError> for CommandError<E> {
    fn from(error: StoreError) -> Self {
        CommandError::Repository(RepositoryError::Store(error))
    }
}

/// An aggregate as loaded: its state and the version/hash of the last event applied.
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    pub state: A,
    pub version: u64,
}

/// The outcome of a command: the new state and the envelopes it appended (none when the
/// command decided nothing needed to change).
#[derive(Debug, Clone)]
pub struct Executed<A> {
    pub state: A,
    pub version: u64,
    pub appended: Vec<EventEnvelope>,
}

impl<A> Executed<A> {
    /// Where the write landed, for read-your-writes (None when nothing was appended).
    pub fn token(&self) -> Option<ConsistencyToken> {
        self.appended.last().map(EventEnvelope::token)
    }
}

/// A command decided but not yet appended ([`Repository::decide`]).
#[derive(Debug, Clone)]
pub struct Decision<A: Aggregate> {
    aggregate_id: String,
    /// The state the command was decided on (before its events).
    pub state: A,
    /// The version that state is at.
    pub version: u64,
    /// What the command decided; empty when nothing needs to change.
    pub events: Vec<A::Event>,
    /// The append to make; `None` when there are no events.
    pub request: Option<AppendRequest>,
}

impl<A: Aggregate> Decision<A> {
    pub fn aggregate_id(&self) -> &str {
        &self.aggregate_id
    }
}

pub struct Repository<A> {
    store: Arc<dyn EventStore>,
    cache: Option<AggregateCache<A>>,
    upcasters: Arc<Upcasters>,
    snapshots: SnapshotPolicy,
    max_retries: u32,
    vault: Option<Arc<Vault>>,
    _aggregate: PhantomData<fn() -> A>,
}

impl<A> Clone for Repository<A> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            cache: self.cache.clone(),
            upcasters: self.upcasters.clone(),
            snapshots: self.snapshots,
            max_retries: self.max_retries,
            vault: self.vault.clone(),
            _aggregate: PhantomData,
        }
    }
}

impl<A: Aggregate> Repository<A> {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            cache: None,
            upcasters: Arc::new(Upcasters::new()),
            snapshots: SnapshotPolicy::default(),
            max_retries: DEFAULT_MAX_RETRIES,
            vault: None,
            _aggregate: PhantomData,
        }
    }

    pub fn with_upcasters(mut self, upcasters: Arc<Upcasters>) -> Self {
        self.upcasters = upcasters;
        self
    }

    pub fn with_snapshots(mut self, policy: SnapshotPolicy) -> Self {
        self.snapshots = policy;
        self
    }

    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Seals personal data with `vault` on append and opens it on load. Without a vault
    /// payloads are stored as the aggregate wrote them, and sealed ones do not decode.
    pub fn with_vault(mut self, vault: Arc<Vault>) -> Self {
        self.vault = Some(vault);
        self
    }

    /// Keeps loaded aggregates in `cache` (shared by every clone of this repository).
    pub fn with_cache(mut self, cache: AggregateCache<A>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The cached state if there is one, else [`Repository::load`].
    async fn load_for_command(&self, aggregate_id: &str) -> Result<Loaded<A>, RepositoryError> {
        if let Some((state, version)) = self.cache.as_ref().and_then(|c| c.get(aggregate_id)) {
            metrics::counter!(crate::telemetry::names::CACHE, "result" => "hit").increment(1);
            return Ok(Loaded { state, version });
        }
        metrics::counter!(crate::telemetry::names::CACHE, "result" => "miss").increment(1);
        let loaded = self.load(aggregate_id).await?;
        if let Some(cache) = &self.cache {
            cache.put(aggregate_id, loaded.state.clone(), loaded.version);
        }
        Ok(loaded)
    }

    /// Loads the aggregate: the newest usable snapshot, then every later event, each
    /// checked against the hash chain, upcast and applied. An unknown id loads as the
    /// default state at version 0.
    pub async fn load(&self, aggregate_id: &str) -> Result<Loaded<A>, RepositoryError> {
        let stream_id = stream_id(A::TYPE, aggregate_id);
        let (mut state, mut cursor) = match self.usable_snapshot(&stream_id).await? {
            Some((state, snapshot)) => (
                state,
                ChainCursor::after(&stream_id, snapshot.version, snapshot.hash),
            ),
            None => (A::default(), ChainCursor::from_start(&stream_id)),
        };
        loop {
            let batch = self
                .store
                .read_stream(&stream_id, cursor.version() + 1, LOAD_BATCH)
                .await?;
            let full = batch.len() == LOAD_BATCH;
            for mut envelope in batch {
                cursor.check(&envelope)?;
                if let Some(vault) = &self.vault {
                    vault.open_envelope(&mut envelope).await?;
                }
                state.apply(&self.decode(envelope)?);
            }
            if !full {
                break;
            }
        }
        Ok(Loaded {
            state,
            version: cursor.version(),
        })
    }

    /// Loads, decides and appends; a concurrent writer makes it reload and decide again,
    /// up to `max_retries` times, after which the concurrency error is returned.
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Executed<A>, CommandError<A::Error>>
    where
        A::Command: Clone,
    {
        self.execute_idempotent(aggregate_id, command, metadata, None)
            .await
    }

    /// [`Repository::execute`], recording `idempotency` atomically with the appended
    /// events. If the key was already used the store refuses the append with
    /// `StoreError::IdempotencyKeyUsed`, carrying the original append's record.
    pub async fn execute_idempotent(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Executed<A>, CommandError<A::Error>>
    where
        A::Command: Clone,
    {
        self.execute_expecting(aggregate_id, command, metadata, idempotency, None)
            .await
    }

    /// [`Repository::execute_idempotent`] that applies only while the aggregate is at
    /// `expected` (when given): otherwise `RepositoryError::VersionMismatch`. A conflict
    /// with a concurrent writer reloads and so ends in the mismatch, never in a blind retry.
    pub async fn execute_expecting(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
        idempotency: Option<IdempotencyKey>,
        expected: Option<u64>,
    ) -> Result<Executed<A>, CommandError<A::Error>>
    where
        A::Command: Clone,
    {
        let mut attempt = 0;
        loop {
            let mut decision = self
                .decide(
                    aggregate_id,
                    command.clone(),
                    metadata,
                    idempotency.clone(),
                    expected,
                )
                .await?;
            let Some(request) = decision.request.take() else {
                return Ok(self.settle(decision, Vec::new()).await);
            };
            match self.store.append(request).await {
                Ok(appended) => return Ok(self.settle(decision, appended).await),
                Err(StoreError::Concurrency { .. }) if attempt < self.max_retries => {
                    // Someone else moved the stream: what we hold is stale.
                    self.forget(aggregate_id);
                    attempt += 1;
                    tracing::debug!(stream_id = %stream_id(A::TYPE, aggregate_id), attempt, "concurrency conflict, retrying");
                }
                Err(error) => {
                    self.forget(aggregate_id);
                    return Err(error.into());
                }
            }
        }
    }

    /// The first half of a command: loads the aggregate (from the cache when it holds
    /// it), checks `expected`, decides, and proposes the events as the store will keep
    /// them — without appending. The caller appends [`Decision::request`] (alone, or
    /// atomically with other aggregates' decisions: `EventStore::append_atomically`),
    /// then calls [`Repository::settle`] with what was appended, or
    /// [`Repository::forget`] when the append failed.
    pub async fn decide(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &EventMetadata,
        idempotency: Option<IdempotencyKey>,
        expected: Option<u64>,
    ) -> Result<Decision<A>, CommandError<A::Error>> {
        let Loaded { state, version } = self.load_for_command(aggregate_id).await?;
        if let Some(expected) = expected.filter(|expected| *expected != version) {
            return Err(RepositoryError::VersionMismatch {
                stream_id: stream_id(A::TYPE, aggregate_id),
                expected,
                actual: version,
            }
            .into());
        }
        let events = state.handle(command).map_err(CommandError::Domain)?;
        let request = if events.is_empty() {
            None
        } else {
            let stream_id = stream_id(A::TYPE, aggregate_id);
            Some(AppendRequest {
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: aggregate_id.to_owned(),
                expected: ExpectedVersion::Exact(version),
                events: self.propose(&stream_id, version, &events).await?,
                metadata: metadata.clone(),
                idempotency,
            })
        };
        Ok(Decision {
            aggregate_id: aggregate_id.to_owned(),
            state,
            version,
            events,
            request,
        })
    }

    /// The second half of a command whose append succeeded: applies the decided events,
    /// refreshes the cache and takes a snapshot when one is due.
    pub async fn settle(&self, decision: Decision<A>, appended: Vec<EventEnvelope>) -> Executed<A> {
        let Decision {
            aggregate_id,
            mut state,
            version,
            events,
            ..
        } = decision;
        if appended.is_empty() {
            return Executed {
                state,
                version,
                appended,
            };
        }
        events.iter().for_each(|event| state.apply(event));
        let new_version = version + appended.len() as u64;
        if let Some(cache) = &self.cache {
            cache.put(&aggregate_id, state.clone(), new_version);
        }
        if self.snapshots.is_due(version, new_version) {
            self.save_snapshot(&state, &appended).await;
        }
        Executed {
            state,
            version: new_version,
            appended,
        }
    }

    /// Drops what the cache holds of the aggregate: after a failed append it may be stale.
    pub fn forget(&self, aggregate_id: &str) {
        if let Some(cache) = &self.cache {
            cache.evict(aggregate_id);
        }
    }

    /// Snapshots the aggregate at its current version now, whatever the policy says
    /// (for operators after a bulk import, and for benchmarks). Returns that version.
    /// Aggregates that hold personal data are never snapshotted (see
    /// [`Aggregate::HOLDS_PERSONAL_DATA`]).
    pub async fn take_snapshot(&self, aggregate_id: &str) -> Result<u64, RepositoryError> {
        let Loaded { state, version } = self.load(aggregate_id).await?;
        let stream_id = stream_id(A::TYPE, aggregate_id);
        let last = self.store.read_stream(&stream_id, version, 1).await?;
        self.save_snapshot(&state, &last).await;
        Ok(version)
    }

    /// The events as the store will keep them: encoded, personal data sealed.
    async fn propose(
        &self,
        stream_id: &str,
        version: u64,
        events: &[A::Event],
    ) -> Result<Vec<ProposedEvent>, RepositoryError> {
        let mut proposed = Vec::with_capacity(events.len());
        for event in events {
            let (event_type, mut payload) =
                encode(event).map_err(|source| RepositoryError::Codec {
                    stream_id: stream_id.to_owned(),
                    version: version + 1,
                    source,
                })?;
            if let Some(vault) = &self.vault {
                // The subject of a stream's personal data is the stream itself.
                vault.seal_payload(stream_id, &mut payload).await?;
            }
            proposed.push(ProposedEvent::new(
                event_type,
                event.schema_version(),
                payload,
                now(),
            ));
        }
        Ok(proposed)
    }

    fn decode(&self, envelope: EventEnvelope) -> Result<A::Event, RepositoryError> {
        let envelope = self.upcasters.upcast(envelope)?;
        decode(
            &envelope.event_type,
            envelope.schema_version,
            &envelope.payload,
        )
        .map_err(|source| RepositoryError::Codec {
            stream_id: envelope.stream_id.clone(),
            version: envelope.version,
            source,
        })
    }

    async fn usable_snapshot(
        &self,
        stream_id: &str,
    ) -> Result<Option<(A, Snapshot)>, RepositoryError> {
        if A::HOLDS_PERSONAL_DATA {
            return Ok(None);
        }
        let Some(snapshot) = self.store.load_snapshot(stream_id).await? else {
            return Ok(None);
        };
        if snapshot.snapshot_version != A::SNAPSHOT_VERSION {
            return Ok(None);
        }
        match serde_json::from_value::<A>(snapshot.state.clone()) {
            Ok(state) => Ok(Some((state, snapshot))),
            Err(error) => {
                tracing::warn!(%stream_id, %error, "snapshot does not decode; replaying the stream");
                Ok(None)
            }
        }
    }

    /// A failed snapshot costs only load time later, so it is logged, not returned.
    async fn save_snapshot(&self, state: &A, appended: &[EventEnvelope]) {
        if A::HOLDS_PERSONAL_DATA {
            return;
        }
        let Some(last) = appended.last() else { return };
        let snapshot = match serde_json::to_value(state) {
            Ok(value) => Snapshot {
                stream_id: last.stream_id.clone(),
                aggregate_type: A::TYPE.to_owned(),
                version: last.version,
                hash: last.hash,
                snapshot_version: A::SNAPSHOT_VERSION,
                state: value,
                taken_at: now(),
            },
            Err(error) => {
                tracing::warn!(stream_id = %last.stream_id, %error, "state does not serialise; no snapshot");
                return;
            }
        };
        if let Err(error) = self.store.save_snapshot(snapshot).await {
            tracing::warn!(stream_id = %last.stream_id, %error, "snapshot not saved");
        }
    }
}
