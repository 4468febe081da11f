//! `/api/v1/audit`: the auditors' tools (issue 7) over REST, with the semantics of the
//! command service's read-only `Audit` gRPC service and of `pitlane audit …`: history
//! of a stream or of `$all`, state as of a version or an instant, diffs, traces of a
//! correlation id, hash-chain verification and NDJSON export, plus the admin's rebuild
//! of read models.
//!
//! Every read here comes from the event log, never from a read model, and nothing here
//! can modify the log: the audit RPCs have no write path. The reads admit `auditor`
//! (and `admin`) — they show what the log holds, personal data opened, and erased
//! personal data reads as `null`. The one write, `POST /audit/rebuilds`, admits only
//! `admin` and only rebuilds read models.

pub(crate) mod context;
mod diff;
mod envelope;
mod export;
mod history;
mod rebuilds;
mod state;
mod trace;
mod verify;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use diff::{ChangeView, DiffParams, DiffView};
pub use envelope::{ActorView, EnvelopeView, EventRefView};
pub use history::{EventFilter, HistoryPage, PageParams};
pub use rebuilds::{ReadModelStatus, ReadModelStatusList, RebuildRequest, RebuildStarted};
pub use state::{AsOfParams, StateView};
pub use trace::{TraceStepView, TraceView};
pub use verify::{BrokenLinkView, StreamScope, VerifyReportView};

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(history::stream_events))
        .routes(routes!(history::events))
        .routes(routes!(state::state_as_of))
        .routes(routes!(diff::diff))
        .routes(routes!(trace::trace))
        .routes(routes!(verify::verify))
        .routes(routes!(export::export))
        .routes(routes!(rebuilds::start_rebuild, rebuilds::rebuild_status))
}

#[cfg(test)]
mod tests;
