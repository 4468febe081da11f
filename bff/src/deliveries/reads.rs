//! Reading deliveries: one with its checkpoints, incidents and proof; the list filtered
//! by route, driver, vehicle and status; a delivery's timeline; live tracking.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::required;
use super::routes::{CheckpointView, checkpoints};
use crate::auth::driver;
use crate::commands::with_etag;
use crate::convert::{DeliveryStatus, Direction, PageDto, SlotDto, opt_time, page_request};
use crate::extract::{Path, Query, RequestContext};
use crate::problem::ApiError;
use crate::query;
use crate::state::AppState;

/// A delivery as the read model knows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub delivery_id: String,
    pub route_id: String,
    /// The route's slot, copied when the delivery was created.
    pub slot: SlotDto,
    pub status: DeliveryStatus,
    pub driver_id: Option<String>,
    /// Empty while no driver is assigned.
    pub driver_name: String,
    pub vehicle_license_number: Option<String>,
    /// The route's checkpoints, with their status for this delivery.
    pub checkpoints: Vec<CheckpointView>,
    pub incidents: Vec<IncidentView>,
    /// Set once delivered.
    pub proof: Option<ProofView>,
    /// Set while failed; empty otherwise.
    pub failure_reason: String,
    /// The aggregate version; also the `ETag`.
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentView {
    pub incident_id: String,
    pub incident_type: String,
    pub description: String,
    pub reported_at: DateTime<Utc>,
    pub resolved: bool,
    /// Empty until resolved.
    pub resolution: String,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProofView {
    pub receiver_name: String,
    pub signature_reference: String,
    pub captured_at: DateTime<Utc>,
}

impl TryFrom<pb::Delivery> for DeliveryView {
    type Error = ApiError;

    fn try_from(d: pb::Delivery) -> Result<Self, ApiError> {
        Ok(DeliveryView {
            slot: required(d.slot.as_ref().and_then(SlotDto::from_proto), "slot")?,
            status: required(DeliveryStatus::from_proto(d.status), "status")?,
            checkpoints: checkpoints(d.checkpoints)?,
            incidents: d
                .incidents
                .into_iter()
                .map(IncidentView::try_from)
                .collect::<Result<_, _>>()?,
            proof: d.proof.map(ProofView::try_from).transpose()?,
            delivery_id: d.delivery_id,
            route_id: d.route_id,
            driver_id: d.driver_id.filter(|id| !id.is_empty()),
            driver_name: d.driver_name,
            vehicle_license_number: d.vehicle_license_number.filter(|v| !v.is_empty()),
            failure_reason: d.failure_reason,
            version: d.version,
        })
    }
}

impl TryFrom<pb::Incident> for IncidentView {
    type Error = ApiError;

    fn try_from(i: pb::Incident) -> Result<Self, ApiError> {
        Ok(IncidentView {
            reported_at: required(opt_time(i.reported_at.as_ref()), "reported_at")?,
            resolved_at: opt_time(i.resolved_at.as_ref()),
            incident_id: i.incident_id,
            incident_type: i.incident_type,
            description: i.description,
            resolved: i.resolved,
            resolution: i.resolution,
        })
    }
}

impl TryFrom<pb::ProofOfDelivery> for ProofView {
    type Error = ApiError;

    fn try_from(p: pb::ProofOfDelivery) -> Result<Self, ApiError> {
        Ok(ProofView {
            captured_at: required(opt_time(p.captured_at.as_ref()), "captured_at")?,
            receiver_name: p.receiver_name,
            signature_reference: p.signature_reference,
        })
    }
}

impl DeliveryView {
    /// Every delivery of a list, or the upstream's broken contract.
    pub fn all(list: Vec<pb::Delivery>) -> Result<Vec<DeliveryView>, ApiError> {
        list.into_iter().map(DeliveryView::try_from).collect()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryView>,
    pub page: PageDto,
}

/// Deliveries are listed by slot start, then id.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    /// Only this route's deliveries.
    pub route_id: Option<Uuid>,
    /// Only deliveries currently assigned to this driver.
    pub driver_id: Option<Uuid>,
    /// Only deliveries currently assigned to this vehicle (any case).
    pub vehicle_license_number: Option<String>,
    #[param(inline)]
    pub status: Option<DeliveryStatus>,
    #[param(inline)]
    pub direction: Option<Direction>,
    /// 1 to 500; the server's default when absent.
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    /// A consistency token to wait for (same as the `X-Consistency-Token` header).
    pub after: Option<String>,
}

/// Every event of a delivery, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineView {
    pub delivery_id: String,
    pub entries: Vec<TimelineEntryView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntryView {
    /// The delivery's version after this event.
    pub version: u64,
    /// E.g. `delivery.checkpoint_reached.v1`.
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    /// E.g. "checkpoint 2 reached at Depot North".
    pub summary: String,
    /// The status after this event.
    pub status: DeliveryStatus,
    /// Who caused it: the subject of the token the command carried; empty when unknown.
    pub actor_subject: String,
}

impl TryFrom<pb::TimelineEntry> for TimelineEntryView {
    type Error = ApiError;

    fn try_from(e: pb::TimelineEntry) -> Result<Self, ApiError> {
        Ok(TimelineEntryView {
            occurred_at: required(opt_time(e.occurred_at.as_ref()), "occurred_at")?,
            status: required(DeliveryStatus::from_proto(e.status), "status")?,
            version: e.version,
            event_type: e.event_type,
            summary: e.summary,
            actor_subject: e.actor_subject,
        })
    }
}

impl TryFrom<pb::DeliveryTimeline> for TimelineView {
    type Error = ApiError;

    fn try_from(t: pb::DeliveryTimeline) -> Result<Self, ApiError> {
        Ok(TimelineView {
            delivery_id: t.delivery_id,
            entries: t
                .entries
                .into_iter()
                .map(TimelineEntryView::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Where a moving delivery is: its last reached checkpoint, who drives, which van.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveTrackingView {
    pub delivery_id: String,
    pub route_id: String,
    pub status: DeliveryStatus,
    /// Empty until the first checkpoint is reached.
    pub last_location: String,
    /// 0 until the first checkpoint is reached.
    pub last_checkpoint_sequence: u32,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub driver_id: String,
    pub driver_name: String,
    pub vehicle_license_number: String,
}

impl TryFrom<pb::LiveTracking> for LiveTrackingView {
    type Error = ApiError;

    fn try_from(t: pb::LiveTracking) -> Result<Self, ApiError> {
        Ok(LiveTrackingView {
            status: required(DeliveryStatus::from_proto(t.status), "status")?,
            last_seen_at: opt_time(t.last_seen_at.as_ref()),
            delivery_id: t.delivery_id,
            route_id: t.route_id,
            last_location: t.last_location,
            last_checkpoint_sequence: t.last_checkpoint_sequence,
            driver_id: t.driver_id,
            driver_name: t.driver_name,
            vehicle_license_number: t.vehicle_license_number,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveTrackingList {
    pub deliveries: Vec<LiveTrackingView>,
    pub page: PageDto,
}

/// The statuses live tracking shows: a delivery on the move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MovingStatus {
    InTransit,
    OutForDelivery,
}

impl From<MovingStatus> for DeliveryStatus {
    fn from(status: MovingStatus) -> Self {
        match status {
            MovingStatus::InTransit => DeliveryStatus::InTransit,
            MovingStatus::OutForDelivery => DeliveryStatus::OutForDelivery,
        }
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveTrackingFilter {
    /// One of the two moving statuses; both when absent.
    #[param(inline)]
    pub status: Option<MovingStatus>,
    /// 1 to 500; the server's default when absent.
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    /// A consistency token to wait for (same as the `X-Consistency-Token` header).
    pub after: Option<String>,
}

impl LiveTrackingFilter {
    /// The query, confined to `driver`'s deliveries when the caller acts as that driver.
    pub fn request(
        self,
        ctx: &RequestContext,
        driver: Option<&str>,
    ) -> pb::ListLiveTrackingRequest {
        pb::ListLiveTrackingRequest {
            wait_for: ctx.wait_for.clone(),
            page: Some(page_request(self.page_size, self.page_token)),
            status: self
                .status
                .map_or(0, |status| DeliveryStatus::from(status).to_proto()),
            // Filtered upstream, so a driver's pages are full pages of its own.
            driver_id: driver.unwrap_or_default().to_owned(),
        }
    }
}

/// List deliveries, filtered by route, driver, vehicle and status, by slot start. A
/// driver sees only its own (asking for another driver's is a 403).
#[utoipa::path(get, path = "/deliveries", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver", "auditor"])),
    params(DeliveryFilter),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryList)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(filter): Query<DeliveryFilter>,
) -> Result<axum::Json<DeliveryList>, ApiError> {
    let driver_id = driver::confine(&ctx, filter.driver_id.map(|id| id.to_string()))?;
    let request = pb::ListDeliveriesRequest {
        wait_for: ctx.wait_for.clone(),
        page: Some(page_request(filter.page_size, filter.page_token)),
        route_id: filter.route_id.map(|id| id.to_string()).unwrap_or_default(),
        driver_id: driver_id.unwrap_or_default(),
        vehicle_license_number: filter
            .vehicle_license_number
            .map(|v| v.trim().to_owned())
            .unwrap_or_default(),
        status: filter.status.map_or(0, DeliveryStatus::to_proto),
        direction: filter.direction.unwrap_or_default().to_proto(),
    };
    let reply = query!(state, ctx, list_deliveries(request)).await?;
    Ok(axum::Json(DeliveryList {
        deliveries: DeliveryView::all(reply.deliveries)?,
        page: PageDto::from_proto(reply.page),
    }))
}

/// Read one delivery with its checkpoints, incidents and proof; the `ETag` is its version.
#[utoipa::path(get, path = "/deliveries/{delivery_id}", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver", "auditor"])),
    params(("delivery_id" = String, Path, description = "The delivery's UUID"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The delivery", body = DeliveryView)))]
pub async fn get_delivery(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Response, ApiError> {
    let id = delivery_id.to_string();
    let delivery = query!(
        state,
        ctx,
        get_delivery(pb::GetDeliveryRequest {
            wait_for: ctx.wait_for.clone(),
            delivery_id: id,
        })
    )
    .await?;
    Ok(with_etag(
        delivery.version,
        DeliveryView::try_from(delivery)?,
    ))
}

/// Every event of a delivery, oldest first, with who caused it.
#[utoipa::path(get, path = "/deliveries/{delivery_id}/timeline", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver", "auditor"])),
    params(("delivery_id" = String, Path, description = "The delivery's UUID"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The delivery's timeline", body = TimelineView)))]
pub async fn get_delivery_timeline(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<axum::Json<TimelineView>, ApiError> {
    let id = delivery_id.to_string();
    let timeline = query!(
        state,
        ctx,
        get_delivery_timeline(pb::GetDeliveryTimelineRequest {
            wait_for: ctx.wait_for.clone(),
            delivery_id: id,
        })
    )
    .await?;
    Ok(axum::Json(TimelineView::try_from(timeline)?))
}

/// Deliveries on the move (in transit or out for delivery): last location, driver, van.
/// A driver sees only its own rows of each page.
#[utoipa::path(get, path = "/live-tracking", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver", "auditor"])),
    params(LiveTrackingFilter),
    responses(
        (status = 200, description = "A page of moving deliveries", body = LiveTrackingList)))]
pub async fn list_live_tracking(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(filter): Query<LiveTrackingFilter>,
) -> Result<axum::Json<LiveTrackingList>, ApiError> {
    let own = driver::scope(&ctx)?;
    let reply = query!(
        state,
        ctx,
        list_live_tracking(filter.request(&ctx, own.as_deref()))
    )
    .await?;
    Ok(axum::Json(LiveTrackingList {
        deliveries: reply
            .deliveries
            .into_iter()
            .map(LiveTrackingView::try_from)
            .collect::<Result<_, _>>()?,
        page: PageDto::from_proto(reply.page),
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_drivers_live_tracking_asks_the_query_service_for_its_own_deliveries() {
        let filter = || super::LiveTrackingFilter {
            status: None,
            page_size: None,
            page_token: None,
            after: None,
        };
        let ctx = crate::extract::RequestContext::default();
        let own = "0193a000-0000-7000-8000-00000000000d";
        assert_eq!(filter().request(&ctx, Some(own)).driver_id, own);
        assert_eq!(filter().request(&ctx, None).driver_id, "");
    }

    use axum::http::{Method, StatusCode};

    use super::*;
    use crate::testing::{call, test_router};

    #[tokio::test]
    async fn a_malformed_delivery_id_in_the_path_is_a_400_naming_delivery_id() {
        let router = test_router().await;
        for uri in [
            "/api/v1/deliveries/parcel-7",
            "/api/v1/deliveries/parcel-7/timeline",
        ] {
            let response = call(&router, Method::GET, uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(response.field(), Some("delivery_id"), "{uri}");
        }
    }

    #[tokio::test]
    async fn an_unknown_live_tracking_status_is_a_400_naming_status() {
        let router = test_router().await;
        // Delivered is a delivery status, but not one live tracking shows.
        for status in ["lost", "delivered"] {
            let uri = format!("/api/v1/live-tracking?status={status}");
            let response = call(&router, Method::GET, &uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{status}");
            assert_eq!(response.field(), Some("status"), "{status}");
        }
    }

    #[tokio::test]
    async fn a_malformed_route_or_driver_filter_is_a_400_naming_it() {
        let router = test_router().await;
        for (query, field) in [
            ("route_id=r1", "route_id"),
            ("driver_id=bob", "driver_id"),
            ("status=lost", "status"),
            ("page_size=many", "page_size"),
        ] {
            let uri = format!("/api/v1/deliveries?{query}");
            let response = call(&router, Method::GET, &uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(response.field(), Some(field), "{query}");
        }
    }

    #[tokio::test]
    async fn a_valid_delivery_read_meeting_a_dead_upstream_is_a_503_with_retry_after() {
        let router = test_router().await;
        let uri = "/api/v1/deliveries/0190a4a0-0000-7000-8000-000000000001";
        let response = call(&router, Method::GET, uri, None).await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers.contains_key("retry-after"));
    }

    #[test]
    fn a_delivery_without_its_slot_from_upstream_is_an_upstream_error_not_a_made_up_slot() {
        let error = DeliveryView::try_from(pb::Delivery {
            status: pb::DeliveryStatus::PickedUp as i32,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_GATEWAY);
    }

    #[test]
    fn empty_assignments_read_as_absent() {
        let at = prost_types::Timestamp {
            seconds: 1_800_000_000,
            nanos: 0,
        };
        let view = DeliveryView::try_from(pb::Delivery {
            slot: Some(pb::Timeslot {
                start: Some(at),
                end: Some(prost_types::Timestamp {
                    seconds: at.seconds + 3600,
                    nanos: 0,
                }),
            }),
            status: pb::DeliveryStatus::PickedUp as i32,
            driver_id: Some(String::new()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(view.driver_id, None);
        assert_eq!(view.vehicle_license_number, None);
        assert!(view.proof.is_none());
    }
}
