//! Delivery screens, each composed from reads made in parallel: the live-tracking
//! board with each van's details, one delivery's tracking, a delivery's summary with
//! its timeline, and a route with its deliveries. A failing secondary read leaves its
//! part out and names it in `missing`; the screen's main entity failing fails it.
//!
//! Each handler only reads; the composition is a pure function of the results, tested
//! without upstreams.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use chrono::{DateTime, Utc};
use contracts::v1 as pb;
use futures::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::driver;
use crate::convert::{CheckpointStatus, DeliveryStatus, PageDto, page_request};
use crate::deliveries::{
    DeliveryView, LiveTrackingFilter, LiveTrackingView, RouteView, TimelineEntryView, TimelineView,
};
use crate::extract::{Path, Query, RequestContext};
use crate::problem::ApiError;
use crate::query;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live_tracking_board))
        .routes(routes!(delivery_tracking))
        .routes(routes!(delivery_summary))
        .routes(routes!(route_overview))
}

/// Vehicle reads in flight at once for one board (a page holds up to 500 rows).
const PARALLEL_READS: usize = 16;

/// The route view lists this many deliveries (the query service's largest page).
const ROUTE_DELIVERIES: u32 = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DriverRef {
    pub driver_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VehicleRef {
    pub license_number: String,
    pub brand: String,
    pub model: String,
}

impl From<pb::Driver> for DriverRef {
    fn from(d: pb::Driver) -> Self {
        DriverRef {
            driver_id: d.driver_id,
            name: d.name,
        }
    }
}

impl From<pb::Vehicle> for VehicleRef {
    fn from(v: pb::Vehicle) -> Self {
        VehicleRef {
            license_number: v.license_number,
            brand: v.brand,
            model: v.model,
        }
    }
}

/// The parts of a view whose read failed.
#[derive(Debug, Default)]
struct Gaps(Vec<String>);

impl Gaps {
    /// The part, or `None` and the part named missing.
    fn keep<T>(&mut self, part: impl Into<String>, result: Result<T, ApiError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                let part = part.into();
                tracing::warn!(%part, %problem, "a view's part is missing");
                self.0.push(part);
                None
            }
        }
    }

    /// Like [`Gaps::keep`], for a part that may have nothing to read (`None`).
    fn keep_if<T>(&mut self, part: &str, result: Option<Result<T, ApiError>>) -> Option<T> {
        result.and_then(|result| self.keep(part, result))
    }

    /// `(partial, missing)`.
    fn finish(self) -> (bool, Vec<String>) {
        (!self.0.is_empty(), self.0)
    }
}

/// A moving delivery with its driver and van.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackedDelivery {
    #[serde(flatten)]
    pub tracking: LiveTrackingView,
    pub driver: DriverRef,
    /// Absent when its read failed (then named in `missing`).
    pub vehicle: Option<VehicleRef>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveTrackingBoard {
    pub deliveries: Vec<TrackedDelivery>,
    pub page: PageDto,
    /// True when a part could not be read; `missing` names it (`vehicle:<license>`).
    pub partial: bool,
    pub missing: Vec<String>,
}

/// One delivery: where it is, who drives, which van.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryTracking {
    pub delivery_id: String,
    pub status: DeliveryStatus,
    /// The last reached checkpoint's location; empty until one is reached.
    pub last_location: String,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Absent while unassigned, or when its read failed (then named in `missing`).
    pub driver: Option<DriverRef>,
    pub vehicle: Option<VehicleRef>,
    pub partial: bool,
    /// `driver`, `vehicle`.
    pub missing: Vec<String>,
}

/// A delivery with its timeline, driver and van: what a completed delivery looks back on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliverySummary {
    pub delivery: DeliveryView,
    /// Oldest first; empty when its read failed (then named in `missing`).
    pub timeline: Vec<TimelineEntryView>,
    pub driver: Option<DriverRef>,
    pub vehicle: Option<VehicleRef>,
    pub partial: bool,
    /// `timeline`, `driver`, `vehicle`.
    pub missing: Vec<String>,
}

/// A route with its deliveries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteOverview {
    pub route: RouteView,
    /// By slot start; the first 500.
    pub deliveries: Vec<DeliveryView>,
    pub partial: bool,
    /// `deliveries` when their read failed, `deliveries:truncated` past the first 500.
    pub missing: Vec<String>,
}

/// The board from its page and the vans' reads, by license number.
fn board(
    reply: pb::ListLiveTrackingReply,
    vehicles: BTreeMap<String, Result<pb::Vehicle, ApiError>>,
) -> Result<LiveTrackingBoard, ApiError> {
    let mut gaps = Gaps::default();
    let vehicles: BTreeMap<String, VehicleRef> = vehicles
        .into_iter()
        .filter_map(|(plate, read)| {
            let vehicle = gaps.keep(format!("vehicle:{plate}"), read)?;
            Some((plate, VehicleRef::from(vehicle)))
        })
        .collect();
    let deliveries = reply
        .deliveries
        .into_iter()
        .map(|row| {
            let tracking = LiveTrackingView::try_from(row)?;
            Ok(TrackedDelivery {
                driver: DriverRef {
                    driver_id: tracking.driver_id.clone(),
                    name: tracking.driver_name.clone(),
                },
                vehicle: vehicles.get(&tracking.vehicle_license_number).cloned(),
                tracking,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let (partial, missing) = gaps.finish();
    Ok(LiveTrackingBoard {
        deliveries,
        page: PageDto::from_proto(reply.page),
        partial,
        missing,
    })
}

/// The delivery's position is its last reached checkpoint.
fn tracking(
    delivery: pb::Delivery,
    driver: Option<Result<pb::Driver, ApiError>>,
    vehicle: Option<Result<pb::Vehicle, ApiError>>,
) -> Result<DeliveryTracking, ApiError> {
    let delivery = DeliveryView::try_from(delivery)?;
    let last = delivery
        .checkpoints
        .iter()
        .filter(|c| c.status == CheckpointStatus::Reached)
        .max_by_key(|c| c.sequence);
    let mut gaps = Gaps::default();
    let driver = gaps.keep_if("driver", driver).map(DriverRef::from);
    let vehicle = gaps.keep_if("vehicle", vehicle).map(VehicleRef::from);
    let (partial, missing) = gaps.finish();
    Ok(DeliveryTracking {
        last_location: last.map(|c| c.location.clone()).unwrap_or_default(),
        last_seen_at: last.and_then(|c| c.reached_at),
        delivery_id: delivery.delivery_id,
        status: delivery.status,
        driver,
        vehicle,
        partial,
        missing,
    })
}

fn summary(
    delivery: pb::Delivery,
    timeline: Result<pb::DeliveryTimeline, ApiError>,
    driver: Option<Result<pb::Driver, ApiError>>,
    vehicle: Option<Result<pb::Vehicle, ApiError>>,
) -> Result<DeliverySummary, ApiError> {
    let delivery = DeliveryView::try_from(delivery)?;
    let mut gaps = Gaps::default();
    let timeline = gaps.keep("timeline", timeline.and_then(TimelineView::try_from));
    let driver = gaps.keep_if("driver", driver).map(DriverRef::from);
    let vehicle = gaps.keep_if("vehicle", vehicle).map(VehicleRef::from);
    let (partial, missing) = gaps.finish();
    Ok(DeliverySummary {
        delivery,
        timeline: timeline.map(|t| t.entries).unwrap_or_default(),
        driver,
        vehicle,
        partial,
        missing,
    })
}

fn overview(
    route: pb::Route,
    deliveries: Result<pb::ListDeliveriesReply, ApiError>,
) -> Result<RouteOverview, ApiError> {
    let route = RouteView::try_from(route)?;
    let mut gaps = Gaps::default();
    let more = deliveries.as_ref().is_ok_and(|reply| {
        reply
            .page
            .as_ref()
            .is_some_and(|p| !p.next_page_token.is_empty())
    });
    let deliveries = gaps.keep(
        "deliveries",
        deliveries.and_then(|reply| DeliveryView::all(reply.deliveries)),
    );
    if more {
        gaps.0.push("deliveries:truncated".to_owned());
    }
    let (partial, missing) = gaps.finish();
    Ok(RouteOverview {
        route,
        deliveries: deliveries.unwrap_or_default(),
        partial,
        missing,
    })
}

/// The delivery's driver, when one is assigned.
async fn driver_of(
    state: &AppState,
    ctx: &RequestContext,
    driver_id: Option<String>,
) -> Option<Result<pb::Driver, ApiError>> {
    let driver_id = driver_id.filter(|id| !id.is_empty())?;
    let request = pb::GetDriverRequest {
        wait_for: ctx.wait_for.clone(),
        driver_id,
    };
    Some(query!(state, ctx, get_driver(request)).await)
}

/// The van with this license number, when there is one.
async fn vehicle_of(
    state: &AppState,
    ctx: &RequestContext,
    license_number: Option<String>,
) -> Option<Result<pb::Vehicle, ApiError>> {
    let license_number = license_number.filter(|plate| !plate.is_empty())?;
    let request = pb::GetVehicleRequest {
        wait_for: ctx.wait_for.clone(),
        license_number,
    };
    Some(query!(state, ctx, get_vehicle(request)).await)
}

async fn get_delivery(
    state: &AppState,
    ctx: &RequestContext,
    delivery_id: &str,
) -> Result<pb::Delivery, ApiError> {
    let request = pb::GetDeliveryRequest {
        wait_for: ctx.wait_for.clone(),
        delivery_id: delivery_id.to_owned(),
    };
    query!(state, ctx, get_delivery(request)).await
}

/// Moving deliveries with each van's brand and model, read in parallel. A driver sees
/// only its own rows of each page.
#[utoipa::path(get, path = "/views/live-tracking", tag = "views",
    security(("bearer" = ["dispatcher", "driver", "auditor"])),
    params(LiveTrackingFilter),
    responses(
        (status = 200, description = "A page of moving deliveries; `partial` when a van could not be read", body = LiveTrackingBoard)))]
pub async fn live_tracking_board(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(filter): Query<LiveTrackingFilter>,
) -> Result<axum::Json<LiveTrackingBoard>, ApiError> {
    let own = driver::scope(&ctx)?;
    let reply = query!(
        state,
        ctx,
        list_live_tracking(filter.request(&ctx, own.as_deref()))
    )
    .await?;
    let plates: BTreeSet<String> = reply
        .deliveries
        .iter()
        .map(|row| row.vehicle_license_number.clone())
        .filter(|plate| !plate.is_empty())
        .collect();
    let (state, ctx) = (&state, &ctx);
    let vehicles = futures::stream::iter(plates)
        .map(|plate| async move {
            let read = vehicle_of(state, ctx, Some(plate.clone())).await;
            read.map(|read| (plate, read))
        })
        .buffer_unordered(PARALLEL_READS)
        .filter_map(std::future::ready)
        .collect()
        .await;
    Ok(axum::Json(board(reply, vehicles)?))
}

/// One delivery's position (its last reached checkpoint), with driver and van.
#[utoipa::path(get, path = "/views/deliveries/{delivery_id}/tracking", tag = "views",
    security(("bearer" = ["dispatcher", "driver", "auditor"])),
    params(("delivery_id" = String, Path, description = "The delivery's UUID"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The delivery's tracking; `partial` when the driver or van could not be read", body = DeliveryTracking)))]
pub async fn delivery_tracking(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<axum::Json<DeliveryTracking>, ApiError> {
    let id = delivery_id.to_string();
    let delivery = get_delivery(&state, &ctx, &id).await?;
    let (driver, vehicle) = tokio::join!(
        driver_of(&state, &ctx, delivery.driver_id.clone()),
        vehicle_of(&state, &ctx, delivery.vehicle_license_number.clone()),
    );
    Ok(axum::Json(tracking(delivery, driver, vehicle)?))
}

/// A delivery with its timeline, driver and van (e.g. once delivered).
#[utoipa::path(get, path = "/views/deliveries/{delivery_id}/summary", tag = "views",
    security(("bearer" = ["dispatcher", "driver", "auditor"])),
    params(("delivery_id" = String, Path, description = "The delivery's UUID"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The delivery's summary; `partial` when a part could not be read", body = DeliverySummary)))]
pub async fn delivery_summary(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<axum::Json<DeliverySummary>, ApiError> {
    let id = delivery_id.to_string();
    let timeline_request = pb::GetDeliveryTimelineRequest {
        wait_for: ctx.wait_for.clone(),
        delivery_id: id.clone(),
    };
    let (delivery, timeline) = tokio::join!(
        get_delivery(&state, &ctx, &id),
        query!(state, ctx, get_delivery_timeline(timeline_request)),
    );
    let delivery = delivery?;
    let (driver, vehicle) = tokio::join!(
        driver_of(&state, &ctx, delivery.driver_id.clone()),
        vehicle_of(&state, &ctx, delivery.vehicle_license_number.clone()),
    );
    Ok(axum::Json(summary(delivery, timeline, driver, vehicle)?))
}

/// A route with its checkpoints and its deliveries (the first 500, by slot start).
#[utoipa::path(get, path = "/views/routes/{route_id}", tag = "views",
    security(("bearer" = ["dispatcher", "auditor"])),
    params(("route_id" = String, Path, description = "The route's UUID"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The route and its deliveries; `partial` when they could not be read", body = RouteOverview)))]
pub async fn route_overview(
    State(state): State<AppState>,
    Path(route_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<axum::Json<RouteOverview>, ApiError> {
    let id = route_id.to_string();
    let route_request = pb::GetRouteRequest {
        wait_for: ctx.wait_for.clone(),
        route_id: id.clone(),
    };
    let deliveries_request = pb::ListDeliveriesRequest {
        wait_for: ctx.wait_for.clone(),
        page: Some(page_request(Some(ROUTE_DELIVERIES), None)),
        route_id: id,
        ..Default::default()
    };
    let (route, deliveries) = tokio::join!(
        query!(state, ctx, get_route(route_request)),
        query!(state, ctx, list_deliveries(deliveries_request)),
    );
    Ok(axum::Json(overview(route?, deliveries)?))
}

#[cfg(test)]
mod tests;
