//! The delivery read model: the `deliveries` table (one row per delivery) with its
//! `delivery_checkpoints`, `delivery_incidents` and `delivery_timeline`, answering
//! `GetDelivery` and `ListDeliveries` (by route, driver, vehicle or status),
//! `GetDeliveryTimeline` and `ListLiveTracking` (where the moving deliveries are).

pub mod live_tracking;
pub mod projection;
pub mod queries;
mod timeline;

pub use live_tracking::list_live_tracking;
pub use projection::{
    DELIVERIES, DELIVERY_CHECKPOINTS, DELIVERY_INCIDENTS, DELIVERY_TIMELINE, DeliveryProjection,
};
pub use queries::{get_delivery, get_delivery_timeline, list_deliveries};
