//! `/api/v1/routes`: create and plan a route (details, checkpoints), activate, complete
//! or cancel it; list routes and read one with its checkpoints' status.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::required;
use crate::commands::{Accepted, CommandResult, with_etag};
use crate::convert::{
    CheckpointStatus, Direction, PageDto, RouteStatus, opt_time, page_request, timestamp,
};
use crate::extract::{Json, Path, Query, RequestContext};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::{command, query};

/// A new route, in `planning`; its scheduled end follows from its last checkpoint.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoute {
    /// Chosen by the client (a UUID) or minted by the BFF when absent.
    pub route_id: Option<Uuid>,
    pub origin: String,
    pub destination: String,
    #[serde(deserialize_with = "crate::extract::operation_time")]
    pub scheduled_start: DateTime<Utc>,
}

/// A route's details; only while `planning`, and every checkpoint must stay after
/// the scheduled start.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoute {
    pub origin: String,
    pub destination: String,
    #[serde(deserialize_with = "crate::extract::operation_time")]
    pub scheduled_start: DateTime<Utc>,
}

/// A checkpoint to add while `planning`: sequences are positive, unique and increasing;
/// each expected time is after the scheduled start and the previous checkpoint's.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCheckpoint {
    #[serde(deserialize_with = "crate::extract::whole_u32")]
    pub sequence: u32,
    /// At most 200 characters.
    pub location: String,
    #[serde(deserialize_with = "crate::extract::operation_time")]
    pub expected_at: DateTime<Utc>,
}

/// The checkpoint's new location and expected time (same rules as adding one).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCheckpoint {
    pub location: String,
    #[serde(deserialize_with = "crate::extract::operation_time")]
    pub expected_at: DateTime<Utc>,
}

/// A route as the read model knows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteView {
    pub route_id: String,
    pub origin: String,
    pub destination: String,
    pub scheduled_start: DateTime<Utc>,
    /// The last checkpoint's expected time; absent while there is no checkpoint.
    pub scheduled_end: Option<DateTime<Utc>>,
    pub status: RouteStatus,
    /// Ordered by sequence.
    pub checkpoints: Vec<CheckpointView>,
    /// The aggregate version; also the `ETag`.
    pub version: u64,
}

/// A checkpoint with its status: `delayed` when not reached and past its expected time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointView {
    pub sequence: u32,
    pub location: String,
    pub expected_at: DateTime<Utc>,
    pub status: CheckpointStatus,
    /// Set once reached.
    pub reached_at: Option<DateTime<Utc>>,
}

impl TryFrom<pb::Route> for RouteView {
    type Error = ApiError;

    fn try_from(r: pb::Route) -> Result<Self, ApiError> {
        Ok(RouteView {
            scheduled_start: required(opt_time(r.scheduled_start.as_ref()), "scheduled_start")?,
            scheduled_end: opt_time(r.scheduled_end.as_ref()),
            status: required(RouteStatus::from_proto(r.status), "status")?,
            checkpoints: checkpoints(r.checkpoints)?,
            route_id: r.route_id,
            origin: r.origin,
            destination: r.destination,
            version: r.version,
        })
    }
}

impl TryFrom<pb::Checkpoint> for CheckpointView {
    type Error = ApiError;

    fn try_from(c: pb::Checkpoint) -> Result<Self, ApiError> {
        Ok(CheckpointView {
            sequence: c.sequence,
            expected_at: required(opt_time(c.expected_at.as_ref()), "expected_at")?,
            status: required(CheckpointStatus::from_proto(c.status), "status")?,
            reached_at: opt_time(c.reached_at.as_ref()),
            location: c.location,
        })
    }
}

pub(crate) fn checkpoints(list: Vec<pb::Checkpoint>) -> Result<Vec<CheckpointView>, ApiError> {
    list.into_iter().map(CheckpointView::try_from).collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteList {
    pub routes: Vec<RouteView>,
    pub page: PageDto,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RouteSort {
    ScheduledStart,
    Origin,
    Destination,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RouteFilter {
    pub status: Option<RouteStatus>,
    /// Routes starting at or after this time (RFC 3339).
    pub scheduled_from: Option<DateTime<Utc>>,
    /// Routes starting before this time (RFC 3339).
    pub scheduled_to: Option<DateTime<Utc>>,
    /// `scheduled_start` when absent.
    #[param(inline)]
    pub sort_by: Option<RouteSort>,
    #[param(inline)]
    pub direction: Option<Direction>,
    /// 1 to 500; the server's default when absent.
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    /// A consistency token to wait for (same as the `X-Consistency-Token` header).
    pub after: Option<String>,
}

/// Create a route in `planning`.
#[utoipa::path(post, path = "/routes", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    request_body = CreateRoute,
    responses(
        (status = 201, description = "Created", body = CommandResult),
        (status = 409, description = "The id is taken")))]
pub async fn create_route(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(body): Json<CreateRoute>,
) -> Result<Accepted, ApiError> {
    let id = body
        .route_id
        .unwrap_or_else(|| ctx.new_id("route"))
        .to_string();
    let request = pb::CreateRouteRequest {
        route_id: id.clone(),
        origin: body.origin,
        destination: body.destination,
        scheduled_start: Some(timestamp(body.scheduled_start)),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.create_route(request)).await?;
    Ok(Accepted::created(
        id.clone(),
        &reply,
        format!("/api/v1/routes/{id}"),
    ))
}

/// Change a route's origin, destination and scheduled start (only while `planning`).
#[utoipa::path(put, path = "/routes/{route_id}", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    request_body = UpdateRoute,
    params(("route_id" = String, Path, description = "The route's UUID")),
    responses(
        (status = 200, description = "Updated", body = CommandResult),
        (status = 409, description = "The route is no longer planning")))]
pub async fn update_route(
    State(state): State<AppState>,
    Path(route_id): Path<Uuid>,
    ctx: RequestContext,
    Json(body): Json<UpdateRoute>,
) -> Result<Accepted, ApiError> {
    let id = route_id.to_string();
    let request = pb::UpdateRouteRequest {
        route_id: id.clone(),
        origin: body.origin,
        destination: body.destination,
        scheduled_start: Some(timestamp(body.scheduled_start)),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.update_route(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Add a checkpoint to a route (only while `planning`); the answer's id is the route's.
#[utoipa::path(post, path = "/routes/{route_id}/checkpoints", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    request_body = AddCheckpoint,
    params(("route_id" = String, Path, description = "The route's UUID")),
    responses(
        (status = 200, description = "Added", body = CommandResult),
        (status = 409, description = "A rule refused it (not planning, sequence order, times)")))]
pub async fn add_checkpoint(
    State(state): State<AppState>,
    Path(route_id): Path<Uuid>,
    ctx: RequestContext,
    Json(body): Json<AddCheckpoint>,
) -> Result<Accepted, ApiError> {
    let id = route_id.to_string();
    let request = pb::AddCheckpointRequest {
        route_id: id.clone(),
        sequence: body.sequence,
        location: body.location,
        expected_at: Some(timestamp(body.expected_at)),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.add_checkpoint(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Change the checkpoint with this sequence (only while `planning`).
#[utoipa::path(put, path = "/routes/{route_id}/checkpoints/{sequence}", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    request_body = UpdateCheckpoint,
    params(("route_id" = String, Path, description = "The route's UUID"),
        ("sequence" = u32, Path, description = "The checkpoint's sequence")),
    responses(
        (status = 200, description = "Updated", body = CommandResult),
        (status = 404, description = "No such route or checkpoint"),
        (status = 409, description = "A rule refused it")))]
pub async fn update_checkpoint(
    State(state): State<AppState>,
    Path((route_id, sequence)): Path<(Uuid, u32)>,
    ctx: RequestContext,
    Json(body): Json<UpdateCheckpoint>,
) -> Result<Accepted, ApiError> {
    let id = route_id.to_string();
    let request = pb::UpdateCheckpointRequest {
        route_id: id.clone(),
        sequence,
        location: body.location,
        expected_at: Some(timestamp(body.expected_at)),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.update_checkpoint(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// `planning` → `active`: needs at least one checkpoint, then freezes them.
#[utoipa::path(post, path = "/routes/{route_id}/activate", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    params(("route_id" = String, Path, description = "The route's UUID")),
    responses(
        (status = 200, description = "Activated", body = CommandResult),
        (status = 409, description = "Not planning, or no checkpoint")))]
pub async fn activate_route(
    State(state): State<AppState>,
    Path(route_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = route_id.to_string();
    let request = pb::ActivateRouteRequest {
        route_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.activate_route(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// `active` → `completed`.
#[utoipa::path(post, path = "/routes/{route_id}/complete", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    params(("route_id" = String, Path, description = "The route's UUID")),
    responses(
        (status = 200, description = "Completed", body = CommandResult),
        (status = 409, description = "Not active")))]
pub async fn complete_route(
    State(state): State<AppState>,
    Path(route_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = route_id.to_string();
    let request = pb::CompleteRouteRequest {
        route_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.complete_route(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// `planning` | `active` → `cancelled`.
#[utoipa::path(post, path = "/routes/{route_id}/cancel", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    params(("route_id" = String, Path, description = "The route's UUID")),
    responses(
        (status = 200, description = "Cancelled", body = CommandResult),
        (status = 409, description = "Already completed or cancelled")))]
pub async fn cancel_route(
    State(state): State<AppState>,
    Path(route_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = route_id.to_string();
    let request = pb::CancelRouteRequest {
        route_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.cancel_route(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// List routes, filtered by status and scheduled start, sorted and paged.
#[utoipa::path(get, path = "/routes", tag = "deliveries",
    security(("bearer" = ["dispatcher", "auditor"])),
    params(RouteFilter),
    responses(
        (status = 200, description = "A page of routes", body = RouteList)))]
pub async fn list_routes(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(filter): Query<RouteFilter>,
) -> Result<axum::Json<RouteList>, ApiError> {
    let request = pb::ListRoutesRequest {
        wait_for: ctx.wait_for.clone(),
        page: Some(page_request(filter.page_size, filter.page_token)),
        status: filter.status.map_or(0, RouteStatus::to_proto),
        scheduled_from: filter.scheduled_from.map(timestamp),
        scheduled_to: filter.scheduled_to.map(timestamp),
        sort_by: match filter.sort_by {
            None => pb::RouteSortField::Unspecified,
            Some(RouteSort::ScheduledStart) => pb::RouteSortField::ScheduledStart,
            Some(RouteSort::Origin) => pb::RouteSortField::Origin,
            Some(RouteSort::Destination) => pb::RouteSortField::Destination,
        } as i32,
        direction: filter.direction.unwrap_or_default().to_proto(),
    };
    let reply = query!(state, ctx, list_routes(request)).await?;
    Ok(axum::Json(RouteList {
        routes: reply
            .routes
            .into_iter()
            .map(RouteView::try_from)
            .collect::<Result<_, _>>()?,
        page: PageDto::from_proto(reply.page),
    }))
}

/// Read one route with its checkpoints; the `ETag` is its version.
#[utoipa::path(get, path = "/routes/{route_id}", tag = "deliveries",
    security(("bearer" = ["dispatcher", "auditor"])),
    params(("route_id" = String, Path, description = "The route's UUID"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The route", body = RouteView)))]
pub async fn get_route(
    State(state): State<AppState>,
    Path(route_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Response, ApiError> {
    let id = route_id.to_string();
    let route = query!(
        state,
        ctx,
        get_route(pb::GetRouteRequest {
            wait_for: ctx.wait_for.clone(),
            route_id: id,
        })
    )
    .await?;
    Ok(with_etag(route.version, RouteView::try_from(route)?))
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};

    use crate::testing::{call, test_router};

    const ROUTE: &str = "/api/v1/routes/0190a4a0-0000-7000-8000-000000000001";

    #[tokio::test]
    async fn a_route_without_origin_is_a_422_naming_origin() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::POST,
            "/api/v1/routes",
            Some(r#"{"destination": "Utrecht", "scheduled_start": "2026-05-04T09:00:00Z"}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("origin"));
    }

    #[tokio::test]
    async fn a_route_with_a_scheduled_start_that_is_not_a_time_is_a_422_naming_it() {
        let router = test_router().await;
        let body = r#"{"origin": "A", "destination": "B", "scheduled_start": "monday"}"#;
        let response = call(&router, Method::POST, "/api/v1/routes", Some(body)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("scheduled_start"));
    }

    #[tokio::test]
    async fn a_negative_checkpoint_sequence_in_the_body_is_a_422_naming_sequence() {
        let router = test_router().await;
        let body =
            r#"{"sequence": -1, "location": "Depot", "expected_at": "2026-05-04T10:00:00Z"}"#;
        let uri = format!("{ROUTE}/checkpoints");
        let response = call(&router, Method::POST, &uri, Some(body)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("sequence"));
    }

    #[tokio::test]
    async fn a_non_numeric_checkpoint_sequence_is_a_400_naming_sequence() {
        let router = test_router().await;
        let body = r#"{"location": "Depot", "expected_at": "2026-05-04T10:00:00Z"}"#;
        let uri = format!("{ROUTE}/checkpoints/first");
        let response = call(&router, Method::PUT, &uri, Some(body)).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("sequence"));
    }

    #[tokio::test]
    async fn a_malformed_route_id_in_the_path_is_a_400_naming_route_id() {
        let router = test_router().await;
        for (method, uri) in [
            (Method::GET, "/api/v1/routes/42"),
            (Method::POST, "/api/v1/routes/42/activate"),
            (Method::POST, "/api/v1/routes/42/cancel"),
        ] {
            let response = call(&router, method, uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(response.field(), Some("route_id"), "{uri}");
        }
    }

    #[tokio::test]
    async fn an_unknown_route_status_or_sort_is_a_400_naming_the_parameter() {
        let router = test_router().await;
        for (query, field) in [
            ("status=paused", "status"),
            ("sort_by=length", "sort_by"),
            ("scheduled_from=yesterday", "scheduled_from"),
        ] {
            let uri = format!("/api/v1/routes?{query}");
            let response = call(&router, Method::GET, &uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(response.field(), Some(field), "{query}");
        }
    }

    #[tokio::test]
    async fn a_valid_route_command_meeting_a_dead_upstream_is_a_503_with_retry_after() {
        let router = test_router().await;
        let uri = format!("{ROUTE}/activate");
        let response = call(&router, Method::POST, &uri, None).await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers.contains_key("retry-after"));
    }
}
