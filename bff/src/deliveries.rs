//! `/api/v1/routes`, `/api/v1/deliveries` and `/api/v1/live-tracking`: the deliveries
//! context over REST. Routes are planned with checkpoints; deliveries run on active
//! routes, and booking their driver and van is checked for conflicts under locks.

mod booking;
mod lifecycle;
mod reads;
mod routes;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use booking::{AssignDriver, AssignVehicle, CreateDelivery};
pub use lifecycle::{
    FailDelivery, ProofOfDelivery, ReachCheckpoint, ReportIncident, ResolveIncident,
};
pub use reads::{
    DeliveryFilter, DeliveryList, DeliveryView, IncidentView, LiveTrackingFilter, LiveTrackingList,
    LiveTrackingView, MovingStatus, ProofView, TimelineEntryView, TimelineView,
};
pub use routes::{
    AddCheckpoint, CheckpointView, CreateRoute, RouteFilter, RouteList, RouteSort, RouteView,
    UpdateCheckpoint, UpdateRoute,
};

use crate::problem::{ApiError, ProblemKind};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::create_route, routes::list_routes))
        .routes(routes!(routes::get_route, routes::update_route))
        .routes(routes!(routes::add_checkpoint))
        .routes(routes!(routes::update_checkpoint))
        .routes(routes!(routes::activate_route))
        .routes(routes!(routes::complete_route))
        .routes(routes!(routes::cancel_route))
        .routes(routes!(booking::create_delivery, reads::list_deliveries))
        .routes(routes!(reads::get_delivery))
        .routes(routes!(booking::assign_driver))
        .routes(routes!(booking::assign_vehicle))
        .routes(routes!(lifecycle::start_transit))
        .routes(routes!(lifecycle::reach_checkpoint))
        .routes(routes!(lifecycle::mark_out_for_delivery))
        .routes(routes!(lifecycle::capture_proof_of_delivery))
        .routes(routes!(lifecycle::fail_delivery))
        .routes(routes!(lifecycle::retry_delivery))
        .routes(routes!(lifecycle::report_incident))
        .routes(routes!(lifecycle::resolve_incident))
        .routes(routes!(reads::get_delivery_timeline))
        .routes(routes!(reads::list_live_tracking))
}

/// A part of a read model the query service must always send: its absence breaks the
/// contract, which is the upstream's fault (502), never a value to make up.
pub(crate) fn required<T>(value: Option<T>, what: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        tracing::warn!(
            missing = what,
            "the query service answered without a required part"
        );
        ApiError::new(
            ProblemKind::UpstreamError,
            "a backend service answered incompletely; retry later",
        )
    })
}
