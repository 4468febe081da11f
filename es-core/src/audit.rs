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
//! - [`verify_export`]: re-checks such a file without the store.
//!
//! Nothing here writes to the store. The hashing is [`crate::hash`]'s; the per-stream
//! link rules live in one place ([`chains`]) for the store and for files alike.
//! Long runs report progress through [`Progress`] (a closure `FnMut(u64)` is one).

mod chains;
pub mod export;
mod filter;
mod parallel;
mod progress;
mod report;
mod source;
#[cfg(feature = "sqlite")]
mod sqlite;
mod verify;
mod verify_file;

pub use export::{ExportActor, ExportError, ExportLine, ExportSummary, FORMAT, Trailer, export};
pub use filter::{Coverage, Filter, Scope};
pub use progress::{NoProgress, Progress};
pub use report::{Break, BrokenLink, VerifyReport};
pub use source::Source;
pub use verify::verify;
pub use verify_file::{ExportProblem, ExportReport, verify_export};
