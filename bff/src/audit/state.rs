//! State as of: an aggregate's state replayed from the log up to a version or an
//! instant (upcasters included), or its latest state.

use axum::extract::State;
use chrono::{DateTime, Utc};
use contracts::v1 as pb;
use contracts::v1::state_as_of_request::AsOf;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::context::{AuditContext, audit_call, json, non_blank};
use super::envelope::EventRefView;
use super::history::rfc3339;
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// The point to replay to: a version, an instant, or (neither) the latest.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfParams {
    /// After the event of this version (0: before the first event).
    #[serde(default, deserialize_with = "crate::extract::optional_int64")]
    pub version: Option<u64>,
    /// After every event recorded at or before this instant (RFC 3339).
    #[serde(default, deserialize_with = "es_core::time::deserialize_optional")]
    pub at: Option<DateTime<Utc>>,
}

impl AsOfParams {
    /// Both at once is ambiguous: a 400 naming both (`field` is `version,at`).
    fn as_of(&self) -> Result<Option<AsOf>, ApiError> {
        match (self.version, self.at) {
            (Some(_), Some(_)) => Err(ApiError::malformed(
                "version,at",
                "give `version` or `at`, not both",
            )),
            (Some(version), None) => Ok(Some(AsOf::Version(version))),
            (None, Some(at)) => Ok(Some(AsOf::At(rfc3339(at)))),
            (None, None) => Ok(None),
        }
    }
}

/// An aggregate's state at one point of its stream.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StateView {
    pub stream_id: String,
    pub aggregate_type: String,
    /// The version replayed to (0 when the point is before the first event).
    pub version: u64,
    /// The stream's last version.
    pub current_version: u64,
    /// The last event applied; `null` before the first.
    #[schema(required = true)]
    pub last_event: Option<EventRefView>,
    /// The aggregate's state in its serde form, personal data erased or in clear: an
    /// object, or a bare word for a state without data (`"Unregistered"`), or `null`
    /// before the first event.
    #[schema(value_type = Value)]
    pub state: Value,
}

impl TryFrom<pb::StateAsOfReply> for StateView {
    type Error = ApiError;

    fn try_from(reply: pb::StateAsOfReply) -> Result<Self, ApiError> {
        Ok(StateView {
            state: json(&reply.state_json, "state")?,
            stream_id: reply.stream_id,
            aggregate_type: reply.aggregate_type,
            version: reply.version,
            current_version: reply.current_version,
            last_event: reply.last_event.map(EventRefView::from),
        })
    }
}

/// An aggregate's state as of a version or an instant (neither: the latest).
#[utoipa::path(get, path = "/audit/streams/{stream_id}/state", tag = "audit",
    security(("bearer" = ["auditor"])),
    params(("stream_id" = String, Path, description = "e.g. `customer-0190…`"), AsOfParams),
    responses(
        (status = 200, description = "The replayed state", body = StateView),
        (status = 400, description = "A malformed version or time, or both given"),
        (status = 404, description = "No such stream, or a version past its end")))]
pub async fn state_as_of(
    State(state): State<AppState>,
    Path(stream_id): Path<String>,
    AuditContext(ctx): AuditContext,
    Query(params): Query<AsOfParams>,
) -> Result<axum::Json<StateView>, ApiError> {
    let request = pb::StateAsOfRequest {
        stream_id: non_blank("stream_id", &stream_id)?,
        as_of: params.as_of()?,
    };
    let reply = audit_call!(state, ctx, state_as_of(request)).await?;
    Ok(axum::Json(StateView::try_from(reply)?))
}
