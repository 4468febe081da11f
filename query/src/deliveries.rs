//! The deliveries read models: routes with their checkpoints' status, and deliveries
//! (detail, lists by route, driver, vehicle or status, live tracking, timeline) — two
//! projections and the queries over them.
//!
//! The queries also read the fleet context's `drivers` table for driver names; a
//! driver it does not hold yet leaves the name empty.

pub mod delivery_projection;
pub mod delivery_queries;
mod delivery_timeline;
pub mod live_tracking;
pub mod route_projection;
pub mod route_queries;
mod status;
mod support;
#[cfg(test)]
mod test_events;

pub use delivery_projection::{
    DELIVERIES, DELIVERY_CHECKPOINTS, DELIVERY_INCIDENTS, DELIVERY_TIMELINE, DeliveryProjection,
};
pub use delivery_queries::{get_delivery, get_delivery_timeline, list_deliveries};
pub use live_tracking::list_live_tracking;
pub use route_projection::{ROUTE_CHECKPOINTS, ROUTES, RouteProjection};
pub use route_queries::{get_route, list_routes};

use crate::projection::Projection;

/// The projections of the deliveries context, for the runtime to run.
pub fn projections() -> Vec<Box<dyn Projection>> {
    vec![Box::new(RouteProjection), Box::new(DeliveryProjection)]
}
