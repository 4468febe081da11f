//! The deliveries bounded context (DOMAIN.md "deliveries"): routes with ordered
//! checkpoints, and deliveries that run along an active route.

pub mod checkpoint;
pub mod convert;
pub mod delivery;
pub mod delivery_messages;
pub mod delivery_records;
pub mod delivery_rules;
mod delivery_state;
pub mod delivery_status;
pub mod route;
pub mod route_messages;
pub mod route_rules;
pub mod service;

pub use checkpoint::{Checkpoint, Location, Sequence};
pub use convert::create_delivery;
pub use delivery::Delivery;
pub use delivery_messages::{DeliveryCommand, DeliveryEvent};
pub use delivery_records::{Incident, IncidentResolution, ProofOfDelivery, ReachedCheckpoint};
pub use delivery_rules::DeliveryError;
pub use delivery_status::DeliveryStatus;
pub use route::{Place, Route, RouteStatus, RouteSummary};
pub use route_messages::{RouteCommand, RouteEvent};
pub use route_rules::RouteError;
pub use service::Service;
