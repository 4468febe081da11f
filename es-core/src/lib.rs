//! Pitlane's event-sourcing kernel.
//!
//! It owns what every bounded context and service shares, and knows no domain, no
//! service and no server driver:
//!
//! - [`aggregate`]: the [`Aggregate`] and [`DomainEvent`] traits — pure `handle`,
//!   infallible `apply`, events with a fixed type and schema version;
//! - [`env`]: the environment variables every service reads, declared once each and
//!   listed by `--help`;
//! - [`files`]: the folders and SQLite files the platform creates are private to its
//!   user;
//! - [`envelope`] and [`hash`]: the event envelope of DESIGN §3 and its per-stream
//!   SHA-256 hash chain; [`seal`] turns proposed events into sealed envelopes;
//! - [`store`]: the [`EventStore`] port (append with expected version, read a stream,
//!   read `$all`, snapshots) and its two embedded backends, [`memory`] for tests and
//!   [`sqlite`] (group-committed, durable) for the embedded platform;
//! - [`repository`]: load = snapshot + later events, chain-checked and [`upcast`];
//!   execute = load (or take from the [`cache`]), decide, append with optimistic
//!   concurrency, snapshot every N;
//! - [`subscription`]: catch-up subscriptions to `$all` (history, then live);
//! - [`projection`]: the projector runtime (checkpointed, deduplicating, retrying,
//!   parking dead letters) and its status board;
//! - [`lock`]: the [`LockManager`] port for scheduling-conflict checks, with an
//!   in-process implementation;
//! - [`audit`]: what auditors run against the log itself — `verify` (every per-stream
//!   hash chain and version continuity, naming the first broken link), `export`
//!   (NDJSON with a trailer) and `verify_export` (an export re-checked offline);
//! - [`vault`]: crypto-shredding — personal data sealed with per-subject keys kept
//!   outside the log (the [`vault::KeyStore`] port: SQLite, in-memory); the repository
//!   seals it on append and opens it on load;
//! - [`telemetry`]: the metrics every service records, named once, and the process's
//!   Prometheus recorder;
//! - `testing` (feature `test-util`): the given/when/then aggregate harness and the
//!   contract suites every backend of a port runs.
//!
//! The one key decision: stores hand back exactly the bytes they stored and the kernel
//! verifies and upcasts on read, so the log is never rewritten — not to migrate a
//! schema, not to erase personal data.

pub mod aggregate;
pub mod audit;
pub mod cache;
pub mod env;
pub mod envelope;
pub mod files;
pub mod hash;
pub mod heads;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod keyfile;
pub mod lock;
pub mod memory;
#[cfg(feature = "mongo")]
pub mod mongo;
pub mod projection;
pub mod repository;
pub mod seal;
pub mod snapshot;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod store;
pub mod subscription;
pub mod telemetry;
pub mod time;
pub mod upcast;
pub mod vault;

#[cfg(feature = "test-util")]
pub mod testing;

pub use aggregate::{Aggregate, CodecError, DomainEvent};
pub use audit::{BrokenLink, ExportReport, VerifyReport};
pub use cache::AggregateCache;
pub use envelope::{Actor, ConsistencyToken, EventEnvelope, EventMetadata, ProposedEvent};
pub use hash::{ChainCursor, Hash};
pub use lock::{Lease, LockError, LockManager};
pub use memory::InMemoryEventStore;
#[cfg(feature = "mongo")]
pub use mongo::MongoEventStore;
pub use repository::{CommandError, Decision, Executed, Loaded, Repository, RepositoryError};
pub use snapshot::{Snapshot, SnapshotPolicy};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteEventStore;
pub use store::{
    AppendRequest, EventStore, ExpectedVersion, IdempotencyKey, IdempotencyRecord, StoreError,
};
pub use upcast::Upcasters;
pub use vault::{Vault, VaultError};
