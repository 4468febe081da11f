//! Drivers: register, update, suspend and reinstate them; list and read them.

use axum::extract::State;
use axum::response::Response;
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::commands::{Accepted, CommandResult, with_etag};
use crate::convert::{Direction, DriverStatus, PageDto, page_request};
use crate::extract::{Json, Path, Query, RequestContext};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::{command, query};

/// A driver, registered active.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterDriver {
    /// Chosen by the client (a UUID) or minted by the BFF when absent.
    pub driver_id: Option<Uuid>,
    #[serde(flatten)]
    pub details: DriverDetails,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DriverDetails {
    pub name: String,
    /// The driving licence's number (not a vehicle's license plate).
    pub driving_licence_number: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DriverView {
    pub driver_id: String,
    pub name: String,
    pub driving_licence_number: String,
    /// Null only for a value this BFF does not know (a newer service).
    pub status: Option<DriverStatus>,
    /// The aggregate version; also the `ETag`.
    pub version: u64,
}

impl From<pb::Driver> for DriverView {
    fn from(d: pb::Driver) -> Self {
        DriverView {
            status: DriverStatus::from_proto(d.status),
            driver_id: d.driver_id,
            name: d.name,
            driving_licence_number: d.driving_licence_number,
            version: d.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DriverList {
    pub drivers: Vec<DriverView>,
    pub page: PageDto,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriverSort {
    Name,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DriverFilter {
    /// Matches the name, case-insensitively.
    pub search: Option<String>,
    #[param(inline)]
    pub status: Option<DriverStatus>,
    #[param(inline)]
    pub sort_by: Option<DriverSort>,
    #[param(inline)]
    pub direction: Option<Direction>,
    /// 1 to 500; the server's default when absent.
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    /// A consistency token to wait for (same as the `X-Consistency-Token` header).
    pub after: Option<String>,
}

/// Register a driver (active).
#[utoipa::path(post, path = "/drivers", tag = "fleet",
    security(("bearer" = ["dispatcher"])),
    request_body = RegisterDriver,
    responses(
        (status = 201, description = "Registered", body = CommandResult),
        (status = 409, description = "The id is taken")))]
pub async fn register_driver(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(body): Json<RegisterDriver>,
) -> Result<Accepted, ApiError> {
    let id = body
        .driver_id
        .unwrap_or_else(|| ctx.new_id("driver"))
        .to_string();
    let request = pb::RegisterDriverRequest {
        driver_id: id.clone(),
        name: body.details.name,
        driving_licence_number: body.details.driving_licence_number,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, fleet.register_driver(request)).await?;
    Ok(Accepted::created(
        id.clone(),
        &reply,
        format!("/api/v1/drivers/{id}"),
    ))
}

/// Replace a driver's name and driving licence number.
#[utoipa::path(put, path = "/drivers/{driver_id}", tag = "fleet",
    security(("bearer" = ["dispatcher"])),
    request_body = DriverDetails,
    params(("driver_id" = String, Path, description = "The driver's UUID")),
    responses(
        (status = 200, description = "Updated", body = CommandResult)))]
pub async fn update_driver(
    State(state): State<AppState>,
    Path(driver_id): Path<Uuid>,
    ctx: RequestContext,
    Json(body): Json<DriverDetails>,
) -> Result<Accepted, ApiError> {
    let id = driver_id.to_string();
    let request = pb::UpdateDriverRequest {
        driver_id: id.clone(),
        name: body.name,
        driving_licence_number: body.driving_licence_number,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, fleet.update_driver(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Suspend an active driver: a suspended driver cannot be assigned to a delivery.
#[utoipa::path(post, path = "/drivers/{driver_id}/suspend", tag = "fleet",
    security(("bearer" = ["dispatcher"])),
    params(("driver_id" = String, Path, description = "The driver's UUID")),
    responses(
        (status = 200, description = "Suspended", body = CommandResult),
        (status = 409, description = "The driver is not active")))]
pub async fn suspend_driver(
    State(state): State<AppState>,
    Path(driver_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = driver_id.to_string();
    let request = pb::SuspendDriverRequest {
        driver_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, fleet.suspend_driver(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Reinstate a suspended driver.
#[utoipa::path(post, path = "/drivers/{driver_id}/reinstate", tag = "fleet",
    security(("bearer" = ["dispatcher"])),
    params(("driver_id" = String, Path, description = "The driver's UUID")),
    responses(
        (status = 200, description = "Reinstated", body = CommandResult),
        (status = 409, description = "The driver is not suspended")))]
pub async fn reinstate_driver(
    State(state): State<AppState>,
    Path(driver_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = driver_id.to_string();
    let request = pb::ReinstateDriverRequest {
        driver_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, fleet.reinstate_driver(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// List drivers, searched by name, filtered by status, sorted and paged.
#[utoipa::path(get, path = "/drivers", tag = "fleet",
    security(("bearer" = ["dispatcher", "auditor"])),
    params(DriverFilter),
    responses(
        (status = 200, description = "A page of drivers", body = DriverList)))]
pub async fn list_drivers(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(filter): Query<DriverFilter>,
) -> Result<axum::Json<DriverList>, ApiError> {
    let request = pb::ListDriversRequest {
        wait_for: ctx.wait_for.clone(),
        page: Some(page_request(filter.page_size, filter.page_token)),
        search: filter.search.unwrap_or_default(),
        status: filter.status.map_or(0, DriverStatus::to_proto),
        sort_by: match filter.sort_by {
            None => pb::DriverSortField::Unspecified,
            Some(DriverSort::Name) => pb::DriverSortField::Name,
        } as i32,
        direction: filter.direction.unwrap_or_default().to_proto(),
    };
    let reply = query!(state, ctx, list_drivers(request)).await?;
    Ok(axum::Json(DriverList {
        drivers: reply.drivers.into_iter().map(DriverView::from).collect(),
        page: PageDto::from_proto(reply.page),
    }))
}

/// Read one driver; the `ETag` is its version.
#[utoipa::path(get, path = "/drivers/{driver_id}", tag = "fleet",
    security(("bearer" = ["dispatcher", "auditor"])),
    params(("driver_id" = String, Path, description = "The driver's UUID"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The driver", body = DriverView)))]
pub async fn get_driver(
    State(state): State<AppState>,
    Path(driver_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Response, ApiError> {
    let id = driver_id.to_string();
    let driver = query!(
        state,
        ctx,
        get_driver(pb::GetDriverRequest {
            wait_for: ctx.wait_for.clone(),
            driver_id: id,
        })
    )
    .await?;
    Ok(with_etag(driver.version, DriverView::from(driver)))
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};

    use crate::testing::{call, test_router};

    const DRIVER: &str = "0190a4a0-0000-7000-8000-000000000001";

    #[tokio::test]
    async fn a_driver_registration_missing_the_licence_is_a_422_naming_it() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::POST,
            "/api/v1/drivers",
            Some(r#"{"name": "Ayrton"}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("driving_licence_number"));
    }

    #[tokio::test]
    async fn a_malformed_driver_id_in_the_path_is_a_400_naming_driver_id() {
        let router = test_router().await;
        for (method, uri) in [
            (Method::GET, "/api/v1/drivers/not-a-uuid"),
            (Method::POST, "/api/v1/drivers/not-a-uuid/suspend"),
            (Method::POST, "/api/v1/drivers/not-a-uuid/reinstate"),
        ] {
            let response = call(&router, method, uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(response.field(), Some("driver_id"), "{uri}");
        }
    }

    #[tokio::test]
    async fn an_unknown_driver_status_filter_is_a_400_naming_status() {
        let router = test_router().await;
        let response = call(&router, Method::GET, "/api/v1/drivers?status=retired", None).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("status"));
    }

    #[tokio::test]
    async fn a_valid_driver_read_meeting_a_dead_upstream_is_a_503_not_a_500() {
        let router = test_router().await;
        let uri = format!("/api/v1/drivers/{DRIVER}");
        let response = call(&router, Method::GET, &uri, None).await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
