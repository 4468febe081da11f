//! Verify: every per-stream hash chain and version continuity of one stream or the
//! whole log, run to its end and answered as one report.

use axum::extract::State;
use contracts::v1 as pb;
use contracts::v1::verify_update::Update;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::context::{AuditContext, audit_call, renamed};
use crate::extract::Query;
use crate::problem::{ApiError, ProblemKind};
use crate::state::AppState;

/// The service names the stream `stream_id`; this API's query parameter is `stream`.
pub(super) const STREAM_FIELD: (&str, &str) = ("stream_id", "stream");

/// One stream, or the whole log when absent.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamScope {
    /// e.g. `customer-0190…`; every stream when absent.
    pub stream: Option<String>,
}

impl StreamScope {
    /// The proto's stream id: empty means the whole log.
    pub(super) fn stream_id(&self) -> String {
        self.stream
            .as_deref()
            .map(str::trim)
            .unwrap_or("")
            .to_owned()
    }
}

/// The verdict on the chains checked and, for the whole log, on its signed heads.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyReportView {
    /// `true` when every chain holds and the log is the one its signed heads witnessed.
    pub intact: bool,
    pub events_checked: u64,
    pub streams_checked: u64,
    pub last_position: u64,
    /// The first broken link; `null` when every chain holds.
    #[schema(required = true)]
    pub first_break: Option<BrokenLinkView>,
    /// The whole log checked against the signed heads witnessed outside the store;
    /// `null` for one stream.
    #[schema(required = true)]
    pub witness: Option<WitnessView>,
}

/// What the signed log heads said about the log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WitnessView {
    /// Heads whose position the log reached with the digest that was signed there.
    pub heads_checked: u64,
    /// The newest trusted head's position (0 when none was signed yet).
    pub newest_position: u64,
    /// When it was signed (RFC 3339; empty when none).
    pub newest_signed_at: String,
    /// `missing` (the log ends before a signed head), `differs` (the log up to a head
    /// is not the one signed) or `untrusted` (a head no trusted key signed); `null`
    /// when the log is the one witnessed.
    #[schema(required = true)]
    pub problem_kind: Option<String>,
    /// The problem in words, naming the positions; `null` when none.
    #[schema(required = true)]
    pub problem: Option<String>,
}

/// Where a chain breaks: the event that does not link to its stream's previous one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BrokenLinkView {
    pub stream_id: String,
    pub version: u64,
    #[schema(required = true)]
    pub position: Option<u64>,
    /// `hash`, `prev_hash`, `version`, `position` or `unreadable`.
    pub kind: String,
    /// A sentence with what was expected and what was found.
    pub detail: String,
    pub expected: String,
    pub found: String,
}

impl From<pb::VerifyReport> for VerifyReportView {
    fn from(report: pb::VerifyReport) -> Self {
        let witness = report.witness.map(|w| WitnessView {
            heads_checked: w.heads_checked,
            newest_position: w.newest_position,
            newest_signed_at: w.newest_signed_at,
            problem_kind: (!w.problem_kind.is_empty()).then_some(w.problem_kind),
            problem: (!w.problem.is_empty()).then_some(w.problem),
        });
        VerifyReportView {
            intact: report.first_break.is_none()
                && witness.as_ref().is_none_or(|w| w.problem.is_none()),
            witness,
            events_checked: report.events_checked,
            streams_checked: report.streams_checked,
            last_position: report.last_position,
            first_break: report.first_break.map(|link| BrokenLinkView {
                stream_id: link.stream_id,
                version: link.version,
                position: link.position,
                kind: link.kind,
                detail: link.detail,
                expected: link.expected,
                found: link.found,
            }),
        }
    }
}

/// Checks every hash chain of one stream or of the whole log. A broken chain is a
/// finding, not an HTTP error: the answer is 200 either way and the body says which.
#[utoipa::path(get, path = "/audit/verify", tag = "audit",
    security(("bearer" = ["auditor"])),
    params(StreamScope),
    responses(
        (status = 200, description = "The report: intact, or the first broken link", body = VerifyReportView),
        (status = 404, description = "`stream` names no stream")))]
pub async fn verify(
    State(state): State<AppState>,
    AuditContext(ctx): AuditContext,
    Query(scope): Query<StreamScope>,
) -> Result<axum::Json<VerifyReportView>, ApiError> {
    let request = pb::VerifyRequest {
        stream_id: scope.stream_id(),
    };
    let updates = audit_call!(state, ctx, verify(request))
        .await
        .map_err(|e| renamed(e, &[STREAM_FIELD]))?;
    Ok(axum::Json(last_report(updates).await?.into()))
}

/// Reads the stream of updates to its end, skipping progress, keeping the report. The
/// client waits meanwhile; if it goes away, axum drops this future and with it the
/// gRPC stream, which stops the service's verify.
async fn last_report(
    mut updates: tonic::Streaming<pb::VerifyUpdate>,
) -> Result<pb::VerifyReport, ApiError> {
    let mut report = None;
    while let Some(update) = updates.message().await? {
        if let Some(Update::Report(last)) = update.update {
            report = Some(*last);
        }
    }
    report.ok_or_else(|| {
        tracing::warn!("the verify stream ended without a report");
        ApiError::new(
            ProblemKind::UpstreamError,
            "the verification ended without a report; retry",
        )
    })
}
