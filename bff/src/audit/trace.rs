//! Trace: every event one request caused (one correlation id), across aggregates, in
//! causal order — "what did this one API call do?".

use axum::extract::State;
use contracts::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;

use super::context::{AuditContext, audit_call, non_blank, required};
use super::envelope::EnvelopeView;
use crate::extract::Path;
use crate::problem::ApiError;
use crate::state::AppState;

/// The events of one correlation id. An id nothing carries is an empty trace, not a
/// 404: a request the domain refused appended nothing, and that is an answer too.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TraceView {
    pub correlation_id: String,
    /// The streams touched, in order of first appearance.
    pub streams: Vec<String>,
    /// Each event after its cause (depth first); unrelated events in position order.
    pub steps: Vec<TraceStepView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TraceStepView {
    /// 0 for an event caused from outside the trace (a command).
    pub depth: u32,
    /// The `event_id` of the event of this trace that caused this one; `null` when none.
    #[schema(required = true)]
    pub caused_by: Option<String>,
    pub event: EnvelopeView,
}

impl TryFrom<pb::TraceStep> for TraceStepView {
    type Error = ApiError;

    fn try_from(step: pb::TraceStep) -> Result<Self, ApiError> {
        Ok(TraceStepView {
            depth: step.depth,
            caused_by: Some(step.caused_by).filter(|id| !id.is_empty()),
            event: EnvelopeView::try_from(required(step.event, "trace step event")?)?,
        })
    }
}

impl TryFrom<pb::TraceReply> for TraceView {
    type Error = ApiError;

    fn try_from(reply: pb::TraceReply) -> Result<Self, ApiError> {
        Ok(TraceView {
            correlation_id: reply.correlation_id,
            streams: reply.streams,
            steps: reply
                .steps
                .into_iter()
                .map(TraceStepView::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Every event that shares a correlation id, in causal order (causation links).
#[utoipa::path(get, path = "/audit/traces/{correlation_id}", tag = "audit",
    security(("bearer" = ["auditor"])),
    params(("correlation_id" = String, Path, description = "The `X-Correlation-ID` of the request")),
    responses(
        (status = 200, description = "The trace; empty when nothing carries the id", body = TraceView),
        (status = 400, description = "A blank correlation id")))]
pub async fn trace(
    State(state): State<AppState>,
    Path(correlation_id): Path<String>,
    AuditContext(ctx): AuditContext,
) -> Result<axum::Json<TraceView>, ApiError> {
    let request = pb::TraceRequest {
        correlation_id: non_blank("correlation_id", &correlation_id)?,
    };
    let reply = audit_call!(state, ctx, trace(request)).await?;
    Ok(axum::Json(TraceView::try_from(reply)?))
}
