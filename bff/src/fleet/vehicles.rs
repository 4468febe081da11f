//! Vehicles: register, update and change the status of customers' cars and fleet vans;
//! list and read them. An owner must be a registered customer, checked against the
//! customers read model before the command is sent. A customer's car is the planner's:
//! a dispatcher registers and changes fleet vans only (`Role::handles_customer_cars`),
//! refused here before any customer is looked up, and by the command service against
//! the vehicle itself.

use axum::extract::State;
use axum::response::Response;
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::commands::{Accepted, CommandResult, with_etag};
use crate::convert::{Direction, PageDto, VehicleStatus, VehicleUsage, page_request};
use crate::extract::{Json, Path, Query, RequestContext};
use crate::problem::{ApiError, ProblemKind};
use crate::scheduling::checks;
use crate::state::AppState;
use crate::{command, query};

/// A customer's car (with its owner) or one of the operator's fleet vans (no owner).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterVehicle {
    /// Three groups of 1–3 digits or letters joined by hyphens, e.g. `AB-123-C`;
    /// case-insensitive, stored upper-case. The vehicle's id.
    pub license_number: String,
    pub brand: String,
    pub model: String,
    /// A registered customer; absent for fleet vans.
    pub owner_customer_id: Option<Uuid>,
    pub usage: VehicleUsage,
}

/// Replaces brand, model and owner; the license number never changes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVehicle {
    pub brand: String,
    pub model: String,
    /// A registered customer; absent for fleet vans.
    pub owner_customer_id: Option<Uuid>,
}

/// `available` ↔ `out_of_service`; whether a van is busy comes from its schedule.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeVehicleStatus {
    pub status: VehicleStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VehicleView {
    pub license_number: String,
    pub brand: String,
    pub model: String,
    pub owner_customer_id: Option<String>,
    /// Null only for a value this BFF does not know (a newer service).
    pub usage: Option<VehicleUsage>,
    /// Null only for a value this BFF does not know (a newer service).
    pub status: Option<VehicleStatus>,
    /// The aggregate version; also the `ETag`.
    pub version: u64,
}

impl From<pb::Vehicle> for VehicleView {
    fn from(v: pb::Vehicle) -> Self {
        VehicleView {
            usage: VehicleUsage::from_proto(v.usage),
            status: VehicleStatus::from_proto(v.status),
            license_number: v.license_number,
            brand: v.brand,
            model: v.model,
            owner_customer_id: v.owner_customer_id,
            version: v.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VehicleList {
    pub vehicles: Vec<VehicleView>,
    pub page: PageDto,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VehicleSort {
    LicenseNumber,
    Brand,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VehicleFilter {
    /// Only this customer's vehicles.
    pub owner_customer_id: Option<Uuid>,
    #[param(inline)]
    pub usage: Option<VehicleUsage>,
    #[param(inline)]
    pub status: Option<VehicleStatus>,
    #[param(inline)]
    pub sort_by: Option<VehicleSort>,
    #[param(inline)]
    pub direction: Option<Direction>,
    /// 1 to 500; the server's default when absent.
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    /// A consistency token to wait for (same as the `X-Consistency-Token` header).
    pub after: Option<String>,
}

/// A license number from the path or a body, upper-cased; the command service
/// validates its shape (a bad one is a 422 naming the field).
fn license(raw: &str) -> String {
    raw.trim().to_uppercase()
}

/// 403 for a role that does not handle customers' cars (a dispatcher).
fn may_handle_customer_cars(ctx: &RequestContext) -> Result<(), ApiError> {
    match &ctx.caller {
        Some(caller) if !caller.role.handles_customer_cars() => Err(customer_car()),
        _ => Ok(()),
    }
}

/// The command service's refusal of a change to a customer's car, as this BFF words it.
fn refused_customer_car(error: ApiError) -> ApiError {
    match error.kind {
        ProblemKind::Forbidden => customer_car(),
        _ => error,
    }
}

fn customer_car() -> ApiError {
    ApiError::new(
        ProblemKind::Forbidden,
        "a customer's car is the planners' to register and change; a dispatcher handles fleet vans",
    )
    .with_reason("customer_vehicle")
}

/// DOMAIN.md: a vehicle's owner must be a registered customer, which only the read
/// model knows; an unknown one is a 422 naming `owner_customer_id`.
async fn ensure_known_owner(
    state: &AppState,
    ctx: &RequestContext,
    owner: Option<&str>,
) -> Result<(), ApiError> {
    let Some(id) = owner else {
        return Ok(());
    };
    let wait_for = checks::tokens_for(state, ctx, &[], &[format!("customer-{id}")]).await;
    checks::known_customer(state, ctx, "owner_customer_id", id, wait_for).await?;
    Ok(())
}

/// Register a vehicle; an owner must be a registered customer. A customer's car is the
/// planner's: a dispatcher registers fleet vans only (403 `customer_vehicle`).
#[utoipa::path(post, path = "/vehicles", tag = "fleet",
    security(("bearer" = ["planner", "dispatcher"])),
    request_body = RegisterVehicle,
    responses(
        (status = 201, description = "Registered", body = CommandResult),
        (status = 409, description = "The license number is taken"),
        (status = 404, description = "The owner the body names is no registered customer (`field`)")))]
pub async fn register_vehicle(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(body): Json<RegisterVehicle>,
) -> Result<Accepted, ApiError> {
    let license_number = license(&body.license_number);
    let owner = body.owner_customer_id.map(|id| id.to_string());
    if body.usage != VehicleUsage::Fleet || owner.is_some() {
        may_handle_customer_cars(&ctx)?;
    }
    ensure_known_owner(&state, &ctx, owner.as_deref()).await?;
    let request = pb::RegisterVehicleRequest {
        license_number: license_number.clone(),
        brand: body.brand,
        model: body.model,
        owner_customer_id: owner,
        usage: body.usage.to_proto(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, fleet.register_vehicle(request)).await?;
    let location = format!("/api/v1/vehicles/{license_number}");
    Ok(Accepted::created(license_number, &reply, location))
}

/// Replace a vehicle's brand, model and owner; an owner must be a registered customer.
/// A dispatcher changes fleet vans only (403 `customer_vehicle`).
#[utoipa::path(put, path = "/vehicles/{license_number}", tag = "fleet",
    security(("bearer" = ["planner", "dispatcher"])),
    request_body = UpdateVehicle,
    params(("license_number" = String, Path, description = "The vehicle's license number, any case")),
    responses(
        (status = 200, description = "Updated", body = CommandResult),
        (status = 404, description = "No such vehicle, or the owner is no registered customer (`field`)")))]
pub async fn update_vehicle(
    State(state): State<AppState>,
    Path(license_number): Path<String>,
    ctx: RequestContext,
    Json(body): Json<UpdateVehicle>,
) -> Result<Accepted, ApiError> {
    let license_number = license(&license_number);
    let owner = body.owner_customer_id.map(|id| id.to_string());
    if owner.is_some() {
        may_handle_customer_cars(&ctx)?;
    }
    ensure_known_owner(&state, &ctx, owner.as_deref()).await?;
    let request = pb::UpdateVehicleRequest {
        license_number: license_number.clone(),
        brand: body.brand,
        model: body.model,
        owner_customer_id: owner,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, fleet.update_vehicle(request))
        .await
        .map_err(|e| refused_customer_car(e).in_path("license_number"))?;
    Ok(Accepted::ok(license_number, &reply))
}

/// Take a fleet van out of service or put it back.
#[utoipa::path(put, path = "/vehicles/{license_number}/status", tag = "fleet",
    security(("bearer" = ["planner", "dispatcher"])),
    request_body = ChangeVehicleStatus,
    params(("license_number" = String, Path, description = "The vehicle's license number, any case")),
    responses(
        (status = 200, description = "Changed", body = CommandResult),
        (status = 409, description = "The change is refused in the vehicle's state")))]
pub async fn change_vehicle_status(
    State(state): State<AppState>,
    Path(license_number): Path<String>,
    ctx: RequestContext,
    Json(body): Json<ChangeVehicleStatus>,
) -> Result<Accepted, ApiError> {
    let license_number = license(&license_number);
    let request = pb::ChangeVehicleStatusRequest {
        license_number: license_number.clone(),
        status: body.status.to_proto(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, fleet.change_vehicle_status(request))
        .await
        .map_err(|e| refused_customer_car(e).in_path("license_number"))?;
    Ok(Accepted::ok(license_number, &reply))
}

/// List vehicles, filtered by owner, usage and status, sorted and paged.
#[utoipa::path(get, path = "/vehicles", tag = "fleet",
    security(("bearer" = ["planner", "dispatcher", "auditor"])),
    params(VehicleFilter),
    responses(
        (status = 200, description = "A page of vehicles", body = VehicleList)))]
pub async fn list_vehicles(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(filter): Query<VehicleFilter>,
) -> Result<axum::Json<VehicleList>, ApiError> {
    let request = pb::ListVehiclesRequest {
        wait_for: ctx.wait_for.clone(),
        page: Some(page_request(filter.page_size, filter.page_token)),
        owner_customer_id: filter
            .owner_customer_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        usage: filter.usage.map_or(0, VehicleUsage::to_proto),
        status: filter.status.map_or(0, VehicleStatus::to_proto),
        sort_by: match filter.sort_by {
            None => pb::VehicleSortField::Unspecified,
            Some(VehicleSort::LicenseNumber) => pb::VehicleSortField::LicenseNumber,
            Some(VehicleSort::Brand) => pb::VehicleSortField::Brand,
        } as i32,
        direction: filter.direction.unwrap_or_default().to_proto(),
    };
    let reply = query!(state, ctx, list_vehicles(request)).await?;
    Ok(axum::Json(VehicleList {
        vehicles: reply.vehicles.into_iter().map(VehicleView::from).collect(),
        page: PageDto::from_proto(reply.page),
    }))
}

/// Read one vehicle; the `ETag` is its version.
#[utoipa::path(get, path = "/vehicles/{license_number}", tag = "fleet",
    security(("bearer" = ["planner", "dispatcher", "auditor"])),
    params(("license_number" = String, Path, description = "The vehicle's license number, any case"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The vehicle", body = VehicleView)))]
pub async fn get_vehicle(
    State(state): State<AppState>,
    Path(license_number): Path<String>,
    ctx: RequestContext,
) -> Result<Response, ApiError> {
    let vehicle = query!(
        state,
        ctx,
        get_vehicle(pb::GetVehicleRequest {
            wait_for: ctx.wait_for.clone(),
            license_number: license(&license_number),
        })
    )
    .await
    .map_err(|e| e.in_path("license_number"))?;
    Ok(with_etag(vehicle.version, VehicleView::from(vehicle)))
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};

    use crate::testing::{call, test_router};

    const OWNER: &str = "0190a4a0-0000-7000-8000-000000000001";

    #[tokio::test]
    async fn an_unknown_usage_is_a_422_naming_usage() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::POST,
            "/api/v1/vehicles",
            Some(r#"{"license_number": "AB-123-C", "brand": "Tesla", "model": "Y", "usage": "rental"}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("usage"));
        assert_eq!(response.problem_type(), Some("/problems/invalid-field"));
    }

    #[tokio::test]
    async fn a_malformed_owner_id_is_a_422_naming_owner_customer_id() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::PUT,
            "/api/v1/vehicles/ab-123-c",
            Some(r#"{"brand": "Tesla", "model": "Y", "owner_customer_id": "ada"}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("owner_customer_id"));
    }

    #[tokio::test]
    async fn an_unknown_vehicle_status_is_a_422_naming_status() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::PUT,
            "/api/v1/vehicles/AB-123-C/status",
            Some(r#"{"status": "assigned"}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("status"));
    }

    #[tokio::test]
    async fn an_unknown_vehicle_filter_value_is_a_400_naming_the_parameter() {
        let router = test_router().await;
        for (uri, field) in [
            ("/api/v1/vehicles?usage=rental", "usage"),
            ("/api/v1/vehicles?status=busy", "status"),
            ("/api/v1/vehicles?sort_by=model", "sort_by"),
            (
                "/api/v1/vehicles?owner_customer_id=ada",
                "owner_customer_id",
            ),
        ] {
            let response = call(&router, Method::GET, uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(response.field(), Some(field), "{uri}");
        }
    }

    #[tokio::test]
    async fn an_owned_vehicle_meeting_a_dead_upstream_is_a_503_not_a_500() {
        // The owner check reads the customers read model first: that read fails.
        let router = test_router().await;
        let body = format!(
            r#"{{"license_number": "ab-123-c", "brand": "Tesla", "model": "Y",
                "owner_customer_id": "{OWNER}", "usage": "customer"}}"#
        );
        let response = call(&router, Method::POST, "/api/v1/vehicles", Some(&body)).await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers.contains_key("retry-after"));
    }
}
