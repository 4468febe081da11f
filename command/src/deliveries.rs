//! The deliveries bounded context (DOMAIN.md "deliveries"): routes with ordered
//! checkpoints, and deliveries that run along an active route.

pub mod checkpoint;
pub mod convert;
pub mod delivery;
pub mod route;
pub mod service;

pub use checkpoint::{Checkpoint, Location, Sequence};
pub use convert::create_delivery;
pub use delivery::{
    Delivery, DeliveryCommand, DeliveryError, DeliveryEvent, DeliveryStatus, Incident,
    IncidentResolution, ProofOfDelivery, ReachedCheckpoint,
};
pub use route::{Place, Route, RouteCommand, RouteError, RouteEvent, RouteStatus, RouteSummary};
pub use service::Service;
