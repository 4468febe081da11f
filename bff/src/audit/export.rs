//! Export: the NDJSON (`pitlane-export-v1`) of one stream or a filtered `$all` range,
//! streamed to the client as the command service produces it, trailer line last, so
//! `pitlane audit verify --file` can check it offline.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use contracts::v1 as pb;
use futures::StreamExt;

use super::context::{AuditContext, audit_call, renamed};
use super::history::{EventFilter, FILTER_FIELDS};
use super::verify::{STREAM_FIELD, StreamScope};
use crate::extract::Query;
use crate::problem::ApiError;
use crate::state::AppState;

pub const NDJSON: &str = "application/x-ndjson";
const ATTACHMENT: &str = "attachment; filename=\"pitlane-export.ndjson\"";

/// Streams the export. Nothing is buffered beyond one chunk (~256 KiB), so an export
/// of the whole log costs the BFF no more memory than one of a stream. Bad input and
/// unknown streams are refused before the first byte (problem+json); a failure midway
/// cuts the body short, without its trailer, so it cannot pass for a complete export.
#[utoipa::path(get, path = "/audit/export", tag = "audit",
    security(("bearer" = ["auditor"])),
    params(StreamScope, EventFilter),
    responses(
        (status = 200, description = "NDJSON: one envelope a line, then a trailer with the count and last hash", body = String, content_type = "application/x-ndjson"),
        (status = 400, description = "A malformed time or position"),
        (status = 404, description = "`stream` names no stream")))]
pub async fn export(
    State(state): State<AppState>,
    AuditContext(ctx): AuditContext,
    Query(scope): Query<StreamScope>,
    Query(filter): Query<EventFilter>,
) -> Result<Response, ApiError> {
    let request = pb::ExportRequest {
        stream_id: scope.stream_id(),
        filter: Some(filter.to_proto()?),
    };
    let chunks = audit_call!(state, ctx, export(request))
        .await
        .map_err(|e| renamed(renamed(e, &[STREAM_FIELD]), &FILTER_FIELDS))?;
    let body = Body::from_stream(chunks.map(|chunk| {
        chunk
            .map(|c| Bytes::from(c.ndjson))
            .inspect_err(|status| tracing::warn!(%status, "the export stopped midway"))
    }));
    Ok((
        [
            (header::CONTENT_TYPE, NDJSON),
            (header::CONTENT_DISPOSITION, ATTACHMENT),
        ],
        body,
    )
        .into_response())
}
