//! What auditors run against the log (issue 7): proof that no stored event was changed,
//! removed or reordered, and exports that can be re-checked offline.
//!
//! - [`verify`]: walks one stream or `$all` page by page and checks every per-stream hash
//!   chain and version continuity (1..n, no gap, no repeat); the [`VerifyReport`] names
//!   the first [`BrokenLink`]. A row the store can no longer decode is a broken link too,
//!   not an error: only an unreachable store is.
//! - [`export`]: NDJSON of one stream or a filtered `$all` range, one [`ExportLine`] per
//!   event in a fixed field order, then a [`Trailer`] (see [`export`](mod@export) for the
//!   format).
//! - [`verify_witnessed`]: [`verify`] of `$all` against the signed heads witnessed
//!   outside the store ([`crate::heads`]): names a cut tail, a log restored from an
//!   older backup, and a history rewritten with its chains recomputed.
//! - [`verify_export`]: re-checks such a file without the store.
//! - [`history`]: the full envelopes of one stream or of a filtered `$all`, paged.
//! - [`state_as_of`] and [`diff`]: an aggregate's state replayed to a version or an
//!   instant, and which fields changed between two versions, by which events; the
//!   domain registers its aggregates in [`Replayers`].
//! - [`trace`]: every event of one correlation id, in causal order.
//!
//! History, states and traces open sealed personal data when given the [`crate::Vault`]:
//! in clear, or `null` once erased. Exports keep it sealed, as stored: the file verifies
//! offline, and erasing the key reaches every copy.
//!
//! Nothing here writes to the store. The hashing is [`crate::hash`]'s; the per-stream
//! link rules live in one place ([`chains`]) for the store and for files alike.
//! Long runs report progress through [`Progress`] (a closure `FnMut(u64)` is one).

mod chains;
mod diff;
mod error;
pub mod export;
mod filter;
mod history;
mod parallel;
mod progress;
mod replay;
mod report;
mod source;
#[cfg(feature = "sqlite")]
mod sqlite;
mod trace;
mod verify;
mod verify_file;
mod witnessed;

pub use diff::FieldChange;
pub use error::AuditError;
pub use export::{
    ExportActor, ExportError, ExportLine, ExportSink, ExportSummary, FORMAT, Trailer,
    WitnessHeader, export, export_to, export_witnessed_to,
};
pub use filter::{Coverage, Filter, Scope};
pub use history::{HistoryPage, HistoryQuery, MAX_PAGE, SCAN_BUDGET, history};
pub use progress::{NoProgress, Progress};
pub use replay::{AsOf, EventRef, Fold, Replayers, StateAt, StateDiff, diff, state_as_of};
pub use report::{Break, BrokenLink, VerifyReport};
pub use source::Source;
pub use trace::{Trace, TraceStep, trace};
pub use verify::{verify, verify_witnessed};
pub use verify_file::{ExportProblem, ExportReport, verify_export};
pub use witnessed::{WitnessProblem, WitnessReport, Witnessed};
