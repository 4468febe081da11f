//! What a route is told (commands, parsed values only) and what it records (events,
//! each payload complete enough for a projector to use on its own).

use chrono::{DateTime, Utc};
use es_core::DomainEvent;
use serde::{Deserialize, Serialize};

use super::checkpoint::{Location, Sequence};
use super::route::Place;
use crate::shared::RouteId;

#[derive(Debug, Clone, PartialEq)]
pub enum RouteCommand {
    Create {
        route_id: RouteId,
        origin: Place,
        destination: Place,
        scheduled_start: DateTime<Utc>,
    },
    Update {
        origin: Place,
        destination: Place,
        scheduled_start: DateTime<Utc>,
    },
    AddCheckpoint {
        sequence: Sequence,
        location: Location,
        expected_at: DateTime<Utc>,
    },
    UpdateCheckpoint {
        sequence: Sequence,
        location: Location,
        expected_at: DateTime<Utc>,
    },
    Activate,
    Complete,
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum RouteEvent {
    /// A route in `planning`, without checkpoints (so without a scheduled end).
    #[serde(rename = "route.created.v1")]
    Created {
        route_id: RouteId,
        origin: Place,
        destination: Place,
        scheduled_start: DateTime<Utc>,
    },
    #[serde(rename = "route.updated.v1")]
    Updated {
        route_id: RouteId,
        origin: Place,
        destination: Place,
        scheduled_start: DateTime<Utc>,
    },
    /// Appended after every existing checkpoint; `scheduled_end` is the route's new end.
    #[serde(rename = "route.checkpoint_added.v1")]
    CheckpointAdded {
        route_id: RouteId,
        sequence: Sequence,
        location: Location,
        expected_at: DateTime<Utc>,
        scheduled_end: DateTime<Utc>,
    },
    /// `scheduled_end` is the route's end after the change (it moves with the last one).
    #[serde(rename = "route.checkpoint_updated.v1")]
    CheckpointUpdated {
        route_id: RouteId,
        sequence: Sequence,
        location: Location,
        expected_at: DateTime<Utc>,
        scheduled_end: DateTime<Utc>,
    },
    #[serde(rename = "route.activated.v1")]
    Activated { route_id: RouteId },
    #[serde(rename = "route.completed.v1")]
    Completed { route_id: RouteId },
    #[serde(rename = "route.cancelled.v1")]
    Cancelled { route_id: RouteId },
}

impl DomainEvent for RouteEvent {}
