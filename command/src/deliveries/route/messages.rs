//! What a route is told (commands, parsed values only) and what it records (events,
//! each payload complete enough for a projector to use on its own), its refusals
//! (errors, each with a stable reason), and the values they carry: places, the route's
//! status and the summary a delivery copies from it.

use chrono::{DateTime, Utc};
use es_core::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::deliveries::checkpoint::{Checkpoint, Location, Sequence};
use crate::shared::{DomainRule, RouteId, RuleKind, Text, Timeslot};

/// An origin or destination: at most 200 characters.
pub type Place = Text<200>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteStatus {
    Planning,
    Active,
    Completed,
    Cancelled,
}

impl RouteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteStatus::Planning => "planning",
            RouteStatus::Active => "active",
            RouteStatus::Completed => "completed",
            RouteStatus::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for RouteStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a delivery needs to know of its route when it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSummary {
    pub route_id: RouteId,
    pub status: RouteStatus,
    /// Scheduled start .. scheduled end; `None` while the route has no checkpoint.
    pub slot: Option<Timeslot>,
    /// Ordered by sequence.
    pub checkpoints: Vec<Checkpoint>,
}

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("route {route_id} already exists")]
    AlreadyExists { route_id: RouteId },
    #[error("route not found")]
    NotFound,
    #[error("the route is {status}; it can be changed only while planning")]
    NotPlanning { status: RouteStatus },
    #[error("a route cannot go from {from} to {to}")]
    InvalidTransition { from: RouteStatus, to: RouteStatus },
    #[error("a route needs at least one checkpoint to be activated")]
    NoCheckpoints,
    #[error("checkpoint {sequence} already exists")]
    SequenceTaken { sequence: Sequence },
    #[error("checkpoint {sequence} must come after the last checkpoint, {last}")]
    SequenceNotIncreasing { sequence: Sequence, last: Sequence },
    #[error("checkpoint {sequence} not found")]
    CheckpointNotFound { sequence: Sequence },
    #[error("checkpoint {sequence} must be expected after the scheduled start")]
    NotAfterScheduledStart { sequence: Sequence },
    #[error("checkpoint {sequence} must be expected after checkpoint {previous}")]
    NotAfterPrevious {
        sequence: Sequence,
        previous: Sequence,
    },
    #[error("checkpoint {sequence} must be expected before checkpoint {next}")]
    NotBeforeNext { sequence: Sequence, next: Sequence },
    #[error("the scheduled start must be before the first checkpoint, {first}")]
    StartNotBeforeFirstCheckpoint { first: Sequence },
}

impl DomainRule for RouteError {
    fn reason(&self) -> &'static str {
        match self {
            RouteError::AlreadyExists { .. } => "route_already_exists",
            RouteError::NotFound => "route_not_found",
            RouteError::NotPlanning { .. } => "route_not_planning",
            RouteError::InvalidTransition { .. } => "invalid_route_transition",
            RouteError::NoCheckpoints => "route_has_no_checkpoints",
            RouteError::SequenceTaken { .. } => "checkpoint_sequence_taken",
            RouteError::SequenceNotIncreasing { .. } => "checkpoint_sequence_not_increasing",
            RouteError::CheckpointNotFound { .. } => "checkpoint_not_found",
            RouteError::NotAfterScheduledStart { .. } => "checkpoint_not_after_scheduled_start",
            RouteError::NotAfterPrevious { .. } => "checkpoint_not_after_previous",
            RouteError::NotBeforeNext { .. } => "checkpoint_not_before_next",
            RouteError::StartNotBeforeFirstCheckpoint { .. } => {
                "scheduled_start_not_before_first_checkpoint"
            }
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            RouteError::AlreadyExists { .. } => RuleKind::AlreadyExists,
            RouteError::NotFound | RouteError::CheckpointNotFound { .. } => RuleKind::NotFound,
            _ => RuleKind::Violation,
        }
    }
}
