//! Diff: which fields of an aggregate's state changed between two versions, and the
//! events behind each change.

use axum::extract::State;
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::context::{AuditContext, at_least_one, audit_call, json, non_blank, renamed};
use super::envelope::{EventRefView, refs};
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// The service names the versions by its own field names.
const DIFF_FIELDS: [(&str, &str); 2] = [("from_version", "from"), ("to_version", "to")];

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// From the state after this version (0: the initial state).
    #[serde(deserialize_with = "crate::extract::int64")]
    pub from: u64,
    /// To the state after this version (at least 1); the latest when absent.
    #[serde(default, deserialize_with = "crate::extract::optional_int64")]
    pub to: Option<u64>,
}

/// The changes between two states of one aggregate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiffView {
    pub stream_id: String,
    pub aggregate_type: String,
    pub from_version: u64,
    pub to_version: u64,
    /// The events between the two versions, in order.
    pub events: Vec<EventRefView>,
    pub changes: Vec<ChangeView>,
}

/// One changed field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeView {
    /// JSON Pointer into the state, e.g. `/Registered/personal_data/name`.
    pub path: String,
    /// The value before; absent when the field did not exist (`null` is a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The value after; absent when the field no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// The events that changed it, in order.
    pub changed_by: Vec<EventRefView>,
}

impl TryFrom<pb::FieldChange> for ChangeView {
    type Error = ApiError;

    fn try_from(change: pb::FieldChange) -> Result<Self, ApiError> {
        let value = |text: Option<String>| text.map(|t| json(&t, "diff value")).transpose();
        Ok(ChangeView {
            before: value(change.before_json)?,
            after: value(change.after_json)?,
            path: change.path,
            changed_by: refs(change.changed_by),
        })
    }
}

impl TryFrom<pb::StateDiffReply> for DiffView {
    type Error = ApiError;

    fn try_from(reply: pb::StateDiffReply) -> Result<Self, ApiError> {
        Ok(DiffView {
            changes: reply
                .changes
                .into_iter()
                .map(ChangeView::try_from)
                .collect::<Result<_, _>>()?,
            stream_id: reply.stream_id,
            aggregate_type: reply.aggregate_type,
            from_version: reply.from_version,
            to_version: reply.to_version,
            events: refs(reply.events),
        })
    }
}

/// The fields that changed between two versions of an aggregate, by which events.
#[utoipa::path(get, path = "/audit/streams/{stream_id}/diff", tag = "audit",
    security(("bearer" = ["auditor"])),
    params(("stream_id" = String, Path, description = "e.g. `customer-0190…`"), DiffParams),
    responses(
        (status = 200, description = "The changed fields", body = DiffView),
        (status = 400, description = "A missing or malformed version"),
        (status = 404, description = "No such stream, or a version past its end"),
        (status = 422, description = "`from` after `to`")))]
pub async fn diff(
    State(state): State<AppState>,
    Path(stream_id): Path<String>,
    AuditContext(ctx): AuditContext,
    Query(params): Query<DiffParams>,
) -> Result<axum::Json<DiffView>, ApiError> {
    let request = pb::StateDiffRequest {
        stream_id: non_blank("stream_id", &stream_id)?,
        from_version: params.from,
        // The proto reads 0 as "the latest", which is what an absent `to` means.
        to_version: at_least_one("to", params.to)?,
    };
    let reply = audit_call!(state, ctx, diff(request))
        .await
        .map_err(|e| renamed(e, &DIFF_FIELDS))?;
    Ok(axum::Json(DiffView::try_from(reply)?))
}
