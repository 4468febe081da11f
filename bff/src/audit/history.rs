//! History: every envelope of one stream, or of `$all` through filters, a page at a
//! time with a cursor (`after`, `next`).

use axum::extract::State;
use chrono::{DateTime, SecondsFormat, Utc};
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::context::{AuditContext, at_least_one, audit_call, non_blank, renamed};
use super::envelope::{EnvelopeView, envelopes};
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// The service names the filter's times as fields of its filter message.
pub(super) const FILTER_FIELDS: [(&str, &str); 2] = [
    ("filter.recorded_from", "from"),
    ("filter.recorded_to", "to"),
];

/// What `$all` history and exports keep; every filter given must match.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventFilter {
    /// e.g. `customer.registered.v1`.
    pub event_type: Option<String>,
    /// e.g. `customer`.
    pub aggregate_type: Option<String>,
    /// Recorded at or after this instant (RFC 3339).
    #[serde(default, deserialize_with = "es_core::time::deserialize_optional")]
    pub from: Option<DateTime<Utc>>,
    /// Recorded before this instant (RFC 3339).
    #[serde(default, deserialize_with = "es_core::time::deserialize_optional")]
    pub to: Option<DateTime<Utc>>,
    /// Every event of one request (`X-Correlation-ID`).
    pub correlation_id: Option<String>,
    /// The actor's subject (who issued the command).
    pub actor: Option<String>,
    /// Global positions from this one, inclusive.
    #[serde(default, deserialize_with = "crate::extract::optional_int64")]
    pub from_position: Option<u64>,
    /// Global positions before this one (at least 1).
    #[serde(default, deserialize_with = "crate::extract::optional_int64")]
    pub to_position: Option<u64>,
}

impl EventFilter {
    pub(super) fn to_proto(&self) -> Result<pb::AuditFilter, ApiError> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Ok(pb::AuditFilter {
            event_type: text(&self.event_type),
            aggregate_type: text(&self.aggregate_type),
            recorded_from: self.from.map(rfc3339).unwrap_or_default(),
            recorded_to: self.to.map(rfc3339).unwrap_or_default(),
            correlation_id: text(&self.correlation_id),
            actor: text(&self.actor),
            from_position: self.from_position.unwrap_or(0),
            to_position: at_least_one("to_position", self.to_position)?,
        })
    }
}

/// An instant as the service reads it, to the nanosecond.
pub(super) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The `next` of the previous page (a version for a stream, a position for `$all`);
    /// absent to start at the beginning.
    #[serde(default, deserialize_with = "crate::extract::optional_int64")]
    pub after: Option<u64>,
    /// 1 to 1000; 100 when absent.
    #[serde(default, deserialize_with = "crate::extract::optional_int64")]
    pub limit: Option<u64>,
}

impl PageParams {
    fn request(
        &self,
        stream_id: String,
        filter: pb::AuditFilter,
    ) -> Result<pb::AuditHistoryRequest, ApiError> {
        let limit = at_least_one("limit", self.limit)?;
        Ok(pb::AuditHistoryRequest {
            stream_id,
            filter: Some(filter),
            after: self.after.unwrap_or(0),
            // Past u32 it is out of range all the same: the service names `limit`.
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
        })
    }
}

/// One page of history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryPage {
    pub events: Vec<EnvelopeView>,
    /// Pass as `after` for the next page; `null` when nothing further exists.
    #[schema(required = true)]
    pub next: Option<u64>,
    /// Events read to fill the page (more than returned when filters skip some).
    pub scanned: u64,
}

impl TryFrom<pb::AuditHistoryReply> for HistoryPage {
    type Error = ApiError;

    fn try_from(reply: pb::AuditHistoryReply) -> Result<Self, ApiError> {
        Ok(HistoryPage {
            events: envelopes(reply.events)?,
            next: reply.next,
            scanned: reply.scanned,
        })
    }
}

/// A stream's history: every event with its whole envelope, oldest first.
#[utoipa::path(get, path = "/audit/streams/{stream_id}/events", tag = "audit",
    security(("bearer" = ["auditor"])),
    params(("stream_id" = String, Path, description = "e.g. `customer-0190…`"), PageParams),
    responses(
        (status = 200, description = "A page of the stream's events", body = HistoryPage),
        (status = 400, description = "A malformed cursor or limit"),
        (status = 422, description = "A limit out of 1..=1000")))]
pub async fn stream_events(
    State(state): State<AppState>,
    Path(stream_id): Path<String>,
    AuditContext(ctx): AuditContext,
    Query(page): Query<PageParams>,
) -> Result<axum::Json<HistoryPage>, ApiError> {
    let stream_id = non_blank("stream_id", &stream_id)?;
    let request = page.request(stream_id, pb::AuditFilter::default())?;
    let reply = audit_call!(state, ctx, history(request)).await?;
    Ok(axum::Json(HistoryPage::try_from(reply)?))
}

/// The whole log (`$all`) in position order, filtered by event type, aggregate type,
/// time recorded, correlation id, actor or position range.
#[utoipa::path(get, path = "/audit/events", tag = "audit",
    security(("bearer" = ["auditor"])),
    params(EventFilter, PageParams),
    responses(
        (status = 200, description = "A page of matching events", body = HistoryPage),
        (status = 400, description = "A malformed time, position, cursor or limit"),
        (status = 422, description = "A limit out of 1..=1000")))]
pub async fn events(
    State(state): State<AppState>,
    AuditContext(ctx): AuditContext,
    Query(filter): Query<EventFilter>,
    Query(page): Query<PageParams>,
) -> Result<axum::Json<HistoryPage>, ApiError> {
    let request = page.request(String::new(), filter.to_proto()?)?;
    let reply = audit_call!(state, ctx, history(request))
        .await
        .map_err(|e| renamed(e, &FILTER_FIELDS))?;
    Ok(axum::Json(HistoryPage::try_from(reply)?))
}
