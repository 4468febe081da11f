//! The deliveries read models: routes with their checkpoints' status, and deliveries
//! (detail, lists by route, driver, vehicle or status, live tracking, timeline) — two
//! projections and the queries over them.
//!
//! The queries also read the fleet context's `drivers` table for driver names; a
//! driver it does not hold yet leaves the name empty.

pub mod delivery;
pub mod routes;
mod status;
mod support;
#[cfg(test)]
mod test_events;

pub use delivery::{
    DELIVERIES, DELIVERY_CHECKPOINTS, DELIVERY_INCIDENTS, DELIVERY_TIMELINE, DeliveryProjection,
    get_delivery, get_delivery_timeline, list_deliveries, list_live_tracking,
};
pub use routes::{ROUTE_CHECKPOINTS, ROUTES, RouteProjection, get_route, list_routes};

use crate::projection::Projection;

/// The projections of the deliveries context, for the runtime to run.
pub fn projections() -> Vec<Box<dyn Projection>> {
    vec![Box::new(RouteProjection), Box::new(DeliveryProjection)]
}
