//! Rebuilds: an admin starts the query service's shadow rebuild of read models (built
//! from the whole log beside the current tables, then switched atomically), and an
//! auditor follows its progress in the read models' status. The only audit endpoint
//! that writes, and it writes read models only, never the log. Only `admin` may start
//! one: its annotation admits no other role (see [`crate::auth`]).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::context::renamed;
use crate::extract::{Json, RequestContext};
use crate::problem::ApiError;
use crate::query;
use crate::state::AppState;

/// Where a rebuild's progress shows.
pub const PROGRESS: &str = "/api/v1/audit/rebuilds";

/// Which read models to rebuild.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RebuildRequest {
    /// Names as in the rebuilds' status (e.g. `customers`); empty or absent: all.
    #[serde(default)]
    pub read_models: Vec<String>,
}

/// A rebuild under way.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RebuildStarted {
    /// The read models whose rebuild started.
    pub started: Vec<String>,
    /// Where to follow it (also the `Location` header).
    pub progress: String,
}

/// Every read model's checkpoint, generation and rebuild, and the disk their database
/// takes; and the log they follow.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadModelStatusList {
    pub read_models: Vec<ReadModelStatus>,
    /// The database file and its write-ahead log; `null` for a server database.
    #[schema(required = true)]
    pub storage: Option<StorageView>,
    /// The event store the read models follow; `null` while the command service does
    /// not answer (the read models' status still does).
    #[schema(required = true)]
    pub event_store: Option<EventStoreView>,
}

/// The log: how far it reaches and the disk its store takes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventStoreView {
    /// The global position of the last event appended.
    pub head: u64,
    /// The store's file and write-ahead log; `null` for a store behind a server
    /// (MongoDB).
    #[schema(required = true)]
    pub storage: Option<StorageView>,
}

/// Disk a database in a local file takes, so headroom is visible.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StorageView {
    pub database_bytes: u64,
    /// Grows between checkpoints; one that keeps growing means readers hold it open.
    pub wal_bytes: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadModelStatus {
    pub name: String,
    /// Global position of the last event applied.
    pub position: u64,
    /// Events of the log not applied yet: counted against the event store's head
    /// (`event_store.head`) when the command service answers — so a read model stuck
    /// in a batch shows how far behind it is — else against the head it last saw.
    pub lag: u64,
    /// The generation of tables queries read; a rebuild fills the next one.
    pub generation: u64,
    pub rebuilding: bool,
    /// The position the running rebuild has reached (0 when not rebuilding).
    pub rebuild_position: u64,
    /// `null` when the last event applied cleanly.
    #[schema(required = true)]
    pub last_error: Option<String>,
    pub dead_letter_count: u64,
    /// Events of types the read model does not know, skipped.
    pub unknown_skipped: u64,
}

impl From<pb::ProjectorStatus> for ReadModelStatus {
    fn from(p: pb::ProjectorStatus) -> Self {
        ReadModelStatus {
            name: p.name,
            position: p.position,
            lag: p.lag,
            generation: p.generation,
            rebuilding: p.rebuilding,
            rebuild_position: p.rebuild_position,
            last_error: Some(p.last_error).filter(|e| !e.is_empty()),
            dead_letter_count: p.dead_letter_count,
            unknown_skipped: p.unknown_skipped,
        }
    }
}

/// Start rebuilding read models from the whole log (admin only: refused before the body
/// is read). Queries keep reading the current tables until each rebuilt one is
/// switched in.
#[utoipa::path(post, path = "/audit/rebuilds", tag = "audit",
    security(("bearer" = ["admin"])),
    request_body = RebuildRequest,
    responses(
        (status = 202, description = "Started; follow it at `Location`", body = RebuildStarted),
        (status = 422, description = "An unknown read model, or one already rebuilding")))]
pub async fn start_rebuild(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(body): Json<RebuildRequest>,
) -> Result<Response, ApiError> {
    let request = pb::RebuildReadModelsRequest {
        projections: body.read_models,
    };
    // Never retried: a retry after a lost reply would be refused as "already being
    // rebuilt" although the first attempt started it.
    let reply = crate::maintain!(state, ctx, rebuild_read_models(request))
        .await
        .map_err(|e| renamed(e, &[("projections", "read_models")]))?;
    let body = RebuildStarted {
        started: reply.started,
        progress: PROGRESS.to_owned(),
    };
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, PROGRESS)],
        axum::Json(body),
    )
        .into_response())
}

/// Every read model's status: generation, whether it is rebuilding and how far. Open
/// to auditors, like the rest of the audit reads, and to operators.
#[utoipa::path(get, path = "/audit/rebuilds", tag = "audit",
    security(("bearer" = ["auditor", "operator"])),
    responses((status = 200, description = "Each read model's status", body = ReadModelStatusList)))]
pub async fn rebuild_status(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<axum::Json<ReadModelStatusList>, ApiError> {
    let request = pb::ProjectionStatusRequest {
        wait_for: ctx.wait_for.clone(),
    };
    let (reply, log) = tokio::join!(
        query!(state, ctx, projection_status(request)),
        crate::read!(
            state,
            ctx,
            Command,
            log.head_position(pb::HeadPositionRequest {})
        ),
    );
    let reply = reply?;
    let event_store = match log {
        Ok(log) => Some(EventStoreView {
            head: log.position,
            storage: log.storage.map(StorageView::from),
        }),
        Err(error) => {
            tracing::warn!(%error, "the event store's head is not in the read models' status");
            None
        }
    };
    let head = event_store.as_ref().map_or(0, |store| store.head);
    Ok(axum::Json(ReadModelStatusList {
        read_models: reply
            .projectors
            .into_iter()
            .map(ReadModelStatus::from)
            .map(|mut status| {
                status.lag = status.lag.max(head.saturating_sub(status.position));
                status
            })
            .collect(),
        storage: reply.storage.map(StorageView::from),
        event_store,
    }))
}

impl From<pb::StorageStatus> for StorageView {
    fn from(s: pb::StorageStatus) -> Self {
        StorageView {
            database_bytes: s.database_bytes,
            wal_bytes: s.wal_bytes,
        }
    }
}
