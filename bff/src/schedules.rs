//! `/api/v1/schedules/drivers/{driver_id}`, `…/vehicles/{license_number}` and
//! `…/technicians/{technician_id}`: the slots a driver, vehicle or technician is booked
//! on, with the job or delivery holding each — what the booking checks read. One
//! operation per kind, so each id is documented with its own shape.

use axum::extract::State;
use chrono::{DateTime, Utc};
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::convert::{DeliveryStatus, JobStatus, ResourceKind, SlotDto, SlotHolderKind, timestamp};
use uuid::Uuid;

use crate::extract::{Path, Query, RequestContext};
use crate::problem::ApiError;
use crate::query;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_driver_schedule))
        .routes(routes!(get_vehicle_schedule))
        .routes(routes!(get_technician_schedule))
}

/// The kind of resource in the path, plural like the collections it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    Drivers,
    Vehicles,
    Technicians,
}

impl ScheduleKind {
    fn resource(self) -> ResourceKind {
        match self {
            ScheduleKind::Drivers => ResourceKind::Driver,
            ScheduleKind::Vehicles => ResourceKind::Vehicle,
            ScheduleKind::Technicians => ResourceKind::Technician,
        }
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScheduleRange {
    /// Only slots ending after this instant (RFC 3339; percent-encode a `+` offset,
    /// or use `Z`).
    pub from: Option<DateTime<Utc>>,
    /// Only slots starting before this instant (RFC 3339); after `from`.
    pub to: Option<DateTime<Utc>>,
    /// A consistency token to wait for (same as the `X-Consistency-Token` header).
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduleView {
    pub kind: ScheduleKind,
    pub resource_id: String,
    /// Ordered by start; includes finished and cancelled jobs and delivered
    /// deliveries, which hold nothing any more: check `status`.
    pub slots: Vec<BookedSlotView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookedSlotView {
    /// Null only for a value this BFF does not know (a newer service).
    pub holder_kind: Option<SlotHolderKind>,
    /// The job id or delivery id.
    pub holder_id: String,
    pub slot: Option<SlotDto>,
    /// The job's or the delivery's status; null only for a value this BFF does not know.
    pub status: Option<HolderStatus>,
}

/// A job's status (`planned`, `finished`, `cancelled`) or a delivery's (`picked_up`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum HolderStatus {
    Job(JobStatus),
    Delivery(DeliveryStatus),
}

impl HolderStatus {
    fn from_proto(status: Option<pb::booked_slot::Status>) -> Option<Self> {
        match status? {
            pb::booked_slot::Status::JobStatus(s) => JobStatus::from_proto(s).map(Self::Job),
            pb::booked_slot::Status::DeliveryStatus(s) => {
                DeliveryStatus::from_proto(s).map(Self::Delivery)
            }
        }
    }
}

impl From<pb::BookedSlot> for BookedSlotView {
    fn from(b: pb::BookedSlot) -> Self {
        BookedSlotView {
            holder_kind: SlotHolderKind::from_proto(b.holder_kind),
            slot: b.slot.as_ref().and_then(SlotDto::from_proto),
            status: HolderStatus::from_proto(b.status),
            holder_id: b.holder_id,
        }
    }
}

/// Read the slots a driver is booked on, optionally only those overlapping `[from, to)`.
#[utoipa::path(get, path = "/schedules/drivers/{driver_id}", tag = "schedules",
    security(("bearer" = ["planner", "dispatcher", "auditor"])),
    params(("driver_id" = String, Path, description = "The driver's UUID"), ScheduleRange),
    responses(
        (status = 200, description = "The driver's booked slots (none for a driver never booked)", body = ScheduleView),
        (status = 400, description = "A malformed id or a malformed `from`/`to`"),
        (status = 422, description = "`to` is not after `from`")))]
pub async fn get_driver_schedule(
    State(state): State<AppState>,
    Path(driver_id): Path<Uuid>,
    ctx: RequestContext,
    Query(range): Query<ScheduleRange>,
) -> Result<axum::Json<ScheduleView>, ApiError> {
    read_schedule(
        &state,
        &ctx,
        ScheduleKind::Drivers,
        driver_id.to_string(),
        range,
    )
    .await
}

/// Read the slots a vehicle is booked on, optionally only those overlapping `[from, to)`.
#[utoipa::path(get, path = "/schedules/vehicles/{license_number}", tag = "schedules",
    security(("bearer" = ["planner", "dispatcher", "auditor"])),
    params(("license_number" = String, Path, description = "The vehicle's license number, any case"), ScheduleRange),
    responses(
        (status = 200, description = "The vehicle's booked slots (none for a vehicle never booked)", body = ScheduleView),
        (status = 400, description = "A malformed license number or a malformed `from`/`to`"),
        (status = 422, description = "`to` is not after `from`")))]
pub async fn get_vehicle_schedule(
    State(state): State<AppState>,
    Path(license_number): Path<String>,
    ctx: RequestContext,
    Query(range): Query<ScheduleRange>,
) -> Result<axum::Json<ScheduleView>, ApiError> {
    let license_number = license_number.trim().to_uppercase();
    read_schedule(&state, &ctx, ScheduleKind::Vehicles, license_number, range)
        .await
        .map_err(|e| {
            e.renamed("resource_id", "license_number")
                .in_path("license_number")
        })
}

/// Read the slots a technician is booked on, optionally only those overlapping
/// `[from, to)`.
#[utoipa::path(get, path = "/schedules/technicians/{technician_id}", tag = "schedules",
    security(("bearer" = ["planner", "dispatcher", "auditor"])),
    params(("technician_id" = String, Path, description = "The technician's UUID"), ScheduleRange),
    responses(
        (status = 200, description = "The technician's booked slots (none for a technician never booked)", body = ScheduleView),
        (status = 400, description = "A malformed id or a malformed `from`/`to`"),
        (status = 422, description = "`to` is not after `from`")))]
pub async fn get_technician_schedule(
    State(state): State<AppState>,
    Path(technician_id): Path<Uuid>,
    ctx: RequestContext,
    Query(range): Query<ScheduleRange>,
) -> Result<axum::Json<ScheduleView>, ApiError> {
    read_schedule(
        &state,
        &ctx,
        ScheduleKind::Technicians,
        technician_id.to_string(),
        range,
    )
    .await
}

async fn read_schedule(
    state: &AppState,
    ctx: &RequestContext,
    kind: ScheduleKind,
    resource_id: String,
    range: ScheduleRange,
) -> Result<axum::Json<ScheduleView>, ApiError> {
    let schedule = query!(
        state,
        ctx,
        get_resource_schedule(pb::GetResourceScheduleRequest {
            wait_for: ctx.wait_for.clone(),
            kind: kind.resource().to_proto(),
            resource_id: resource_id.clone(),
            from: range.from.map(timestamp),
            to: range.to.map(timestamp),
        })
    )
    .await?;
    Ok(axum::Json(ScheduleView {
        kind,
        resource_id,
        slots: schedule
            .slots
            .into_iter()
            .map(BookedSlotView::from)
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};

    use super::*;
    use crate::testing::{call, test_router};

    const DRIVER: &str = "0190a4a0-0000-7000-8000-000000000001";

    #[tokio::test]
    async fn an_unknown_resource_kind_is_a_404() {
        let router = test_router().await;
        let uri = format!("/api/v1/schedules/customers/{DRIVER}");
        let response = call(&router, Method::GET, &uri, None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn a_malformed_driver_or_technician_id_is_a_400_naming_the_id() {
        let router = test_router().await;
        for (uri, field) in [
            ("/api/v1/schedules/drivers/ada", "driver_id"),
            ("/api/v1/schedules/technicians/42", "technician_id"),
        ] {
            let response = call(&router, Method::GET, uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(response.field(), Some(field), "{uri}");
        }
    }

    #[tokio::test]
    async fn a_malformed_bound_is_a_400_naming_it() {
        let router = test_router().await;
        for (query, field) in [
            ("from=yesterday", "from"),
            ("from=2026-05-04T09:00:00Z&to=2026-05-04", "to"),
        ] {
            let uri = format!("/api/v1/schedules/vehicles/AB-123-C?{query}");
            let response = call(&router, Method::GET, &uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(response.field(), Some(field), "{query}");
        }
    }

    #[tokio::test]
    async fn a_valid_schedule_read_meeting_a_dead_upstream_is_a_503_not_a_500() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::GET,
            "/api/v1/schedules/vehicles/ab-123-c?from=2026-05-04T00:00:00Z",
            None,
        )
        .await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn a_holder_status_travels_as_the_bare_snake_case_status() {
        let job = BookedSlotView::from(pb::BookedSlot {
            holder_kind: pb::SlotHolderKind::Job as i32,
            holder_id: "j".into(),
            slot: None,
            status: Some(pb::booked_slot::Status::JobStatus(
                pb::JobStatus::Cancelled as i32,
            )),
        });
        let delivery = BookedSlotView::from(pb::BookedSlot {
            holder_kind: pb::SlotHolderKind::Delivery as i32,
            holder_id: "d".into(),
            slot: None,
            status: Some(pb::booked_slot::Status::DeliveryStatus(
                pb::DeliveryStatus::OutForDelivery as i32,
            )),
        });
        let json = serde_json::to_value([job, delivery]).unwrap();
        assert_eq!(json[0]["holder_kind"], "job");
        assert_eq!(json[0]["status"], "cancelled");
        assert_eq!(json[1]["holder_kind"], "delivery");
        assert_eq!(json[1]["status"], "out_for_delivery");
    }
}
