//! Events of aggregate type `route` (topic `<prefix>.deliveries.events`).

use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate_events;

aggregate_events! {
    pub enum RouteEvent for "route" {
        "route.created.v1" => Created(Created),
        "route.updated.v1" => Updated(Updated),
        /// Appended after every existing checkpoint.
        "route.checkpoint_added.v1" => CheckpointAdded(CheckpointPlanned),
        /// An existing checkpoint changed.
        "route.checkpoint_updated.v1" => CheckpointUpdated(CheckpointPlanned),
        "route.activated.v1" => Activated(Activated),
        "route.completed.v1" => Completed(Completed),
        "route.cancelled.v1" => Cancelled(Cancelled),
    }
}

/// A route in `planning`, without checkpoints (so without a scheduled end).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Created {
    pub route_id: Uuid,
    pub origin: String,
    pub destination: String,
    pub scheduled_start: DateTime<Utc>,
}

/// Origin, destination and start replaced (while planning).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Updated {
    pub route_id: Uuid,
    pub origin: String,
    pub destination: String,
    pub scheduled_start: DateTime<Utc>,
}

/// A checkpoint of the route as planned; `scheduled_end` is the route's end after the
/// change (the last checkpoint's expected time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckpointPlanned {
    pub route_id: Uuid,
    pub sequence: NonZeroU32,
    pub location: String,
    pub expected_at: DateTime<Utc>,
    pub scheduled_end: DateTime<Utc>,
}

/// Planning done: deliveries may run on the route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Activated {
    pub route_id: Uuid,
}

/// Every delivery of the route ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Completed {
    pub route_id: Uuid,
}

/// The route called off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cancelled {
    pub route_id: Uuid,
}
