//! The Route aggregate: an origin, a destination, a scheduled start and ordered
//! checkpoints; status `planning → active → completed`, `planning | active → cancelled`.
//!
//! Rules it enforces (each has a test below):
//! - creating an existing route id is rejected; any other command on a route that was
//!   never created is `route_not_found`;
//! - the route (origin, destination, scheduled start) and its checkpoints are changed
//!   only while `planning`; an active route never returns to planning, so its
//!   checkpoints are frozen;
//! - checkpoint sequences are positive (by type: [`super::checkpoint::Sequence`]),
//!   unique, and increasing: a new checkpoint's sequence is greater than every
//!   existing one; a sequence may skip numbers (1, 5, 10);
//! - each expected time is strictly after the scheduled start and after the previous
//!   checkpoint's; an updated checkpoint also stays strictly before the next one's;
//! - the scheduled end is the last checkpoint's expected time (none without checkpoints);
//! - updating the route keeps the scheduled start strictly before the first checkpoint;
//! - activation needs at least one checkpoint;
//! - invalid status transitions are rejected as `invalid_route_transition`.
//!
//! Decided here (DOMAIN.md is silent):
//! - `Create` carries the route id, so every event can name its route;
//! - `UpdateCheckpoint` addresses a checkpoint by its sequence, which cannot change;
//!   an unknown sequence is `checkpoint_not_found`;
//! - completing or cancelling a route does not look at its deliveries (each delivery
//!   holds its own copy of the route's slot and checkpoints).

pub mod messages;
mod rules;

use chrono::{DateTime, Utc};
use es_core::Aggregate;
use serde::{Deserialize, Serialize};

pub use messages::{Place, RouteCommand, RouteError, RouteEvent, RouteStatus, RouteSummary};
use rules::{check_checkpoint_times, check_new_sequence};

use super::checkpoint::Checkpoint;
use crate::shared::{RouteId, Timeslot};

/// The route; `None` until it is created.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Route {
    state: Option<RouteState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RouteState {
    route_id: RouteId,
    origin: Place,
    destination: Place,
    scheduled_start: DateTime<Utc>,
    status: RouteStatus,
    /// Strictly increasing in sequence and in expected time, all after the start.
    checkpoints: Vec<Checkpoint>,
}

impl Route {
    /// What a delivery copies from its route; `None` for a route never created.
    pub fn summary(&self) -> Option<RouteSummary> {
        let state = self.state.as_ref()?;
        Some(RouteSummary {
            route_id: state.route_id,
            status: state.status,
            slot: state.slot(),
            checkpoints: state.checkpoints.clone(),
        })
    }

    pub fn status(&self) -> Option<RouteStatus> {
        self.state.as_ref().map(|state| state.status)
    }
}

impl RouteState {
    /// The scheduled end: the last checkpoint's expected time.
    fn scheduled_end(&self) -> Option<DateTime<Utc>> {
        self.checkpoints.last().map(|last| last.expected_at)
    }

    fn slot(&self) -> Option<Timeslot> {
        // Every checkpoint is after the start, so the slot is never empty.
        let end = self.scheduled_end()?;
        Timeslot::new("slot", self.scheduled_start, end).ok()
    }

    fn require_planning(&self) -> Result<(), RouteError> {
        match self.status {
            RouteStatus::Planning => Ok(()),
            status => Err(RouteError::NotPlanning { status }),
        }
    }

    fn transition(&self, to: RouteStatus) -> Result<(), RouteError> {
        use RouteStatus::*;
        match (self.status, to) {
            (Planning, Active) | (Active, Completed) | (Planning | Active, Cancelled) => Ok(()),
            (from, to) => Err(RouteError::InvalidTransition { from, to }),
        }
    }

    fn handle(&self, command: RouteCommand) -> Result<Vec<RouteEvent>, RouteError> {
        let route_id = self.route_id;
        let event = match command {
            RouteCommand::Create { route_id, .. } => {
                return Err(RouteError::AlreadyExists { route_id });
            }
            RouteCommand::Update {
                origin,
                destination,
                scheduled_start,
            } => {
                self.require_planning()?;
                if let Some(first) = self.checkpoints.first()
                    && scheduled_start >= first.expected_at
                {
                    return Err(RouteError::StartNotBeforeFirstCheckpoint {
                        first: first.sequence,
                    });
                }
                RouteEvent::Updated {
                    route_id,
                    origin,
                    destination,
                    scheduled_start,
                }
            }
            RouteCommand::AddCheckpoint {
                sequence,
                location,
                expected_at,
            } => {
                self.require_planning()?;
                check_new_sequence(&self.checkpoints, sequence)?;
                let previous = self.checkpoints.last();
                check_checkpoint_times(
                    self.scheduled_start,
                    previous,
                    None,
                    sequence,
                    expected_at,
                )?;
                RouteEvent::CheckpointAdded {
                    route_id,
                    sequence,
                    location,
                    expected_at,
                    scheduled_end: expected_at,
                }
            }
            RouteCommand::UpdateCheckpoint {
                sequence,
                location,
                expected_at,
            } => {
                self.require_planning()?;
                let index = self
                    .checkpoints
                    .iter()
                    .position(|c| c.sequence == sequence)
                    .ok_or(RouteError::CheckpointNotFound { sequence })?;
                let previous = index.checked_sub(1).map(|i| &self.checkpoints[i]);
                let next = self.checkpoints.get(index + 1);
                check_checkpoint_times(
                    self.scheduled_start,
                    previous,
                    next,
                    sequence,
                    expected_at,
                )?;
                // The end moves only when the last checkpoint moves.
                let scheduled_end = next.and(self.scheduled_end()).unwrap_or(expected_at);
                RouteEvent::CheckpointUpdated {
                    route_id,
                    sequence,
                    location,
                    expected_at,
                    scheduled_end,
                }
            }
            RouteCommand::Activate => {
                self.transition(RouteStatus::Active)?;
                if self.checkpoints.is_empty() {
                    return Err(RouteError::NoCheckpoints);
                }
                RouteEvent::Activated { route_id }
            }
            RouteCommand::Complete => {
                self.transition(RouteStatus::Completed)?;
                RouteEvent::Completed { route_id }
            }
            RouteCommand::Cancel => {
                self.transition(RouteStatus::Cancelled)?;
                RouteEvent::Cancelled { route_id }
            }
        };
        Ok(vec![event])
    }
}

impl Aggregate for Route {
    const TYPE: &'static str = "route";

    type Command = RouteCommand;
    type Event = RouteEvent;
    type Error = RouteError;

    fn handle(&self, command: RouteCommand) -> Result<Vec<RouteEvent>, RouteError> {
        match (&self.state, command) {
            (Some(state), command) => state.handle(command),
            (
                None,
                RouteCommand::Create {
                    route_id,
                    origin,
                    destination,
                    scheduled_start,
                },
            ) => Ok(vec![RouteEvent::Created {
                route_id,
                origin,
                destination,
                scheduled_start,
            }]),
            (None, _) => Err(RouteError::NotFound),
        }
    }

    fn apply(&mut self, event: &RouteEvent) {
        if let RouteEvent::Created {
            route_id,
            origin,
            destination,
            scheduled_start,
        } = event
        {
            self.state = Some(RouteState {
                route_id: *route_id,
                origin: origin.clone(),
                destination: destination.clone(),
                scheduled_start: *scheduled_start,
                status: RouteStatus::Planning,
                checkpoints: Vec::new(),
            });
            return;
        }
        let Some(state) = self.state.as_mut() else {
            return;
        };
        match event {
            RouteEvent::Created { .. } => {}
            RouteEvent::Updated {
                origin,
                destination,
                scheduled_start,
                ..
            } => {
                state.origin = origin.clone();
                state.destination = destination.clone();
                state.scheduled_start = *scheduled_start;
            }
            RouteEvent::CheckpointAdded {
                sequence,
                location,
                expected_at,
                ..
            } => state.checkpoints.push(Checkpoint {
                sequence: *sequence,
                location: location.clone(),
                expected_at: *expected_at,
            }),
            RouteEvent::CheckpointUpdated {
                sequence,
                location,
                expected_at,
                ..
            } => {
                if let Some(checkpoint) = state
                    .checkpoints
                    .iter_mut()
                    .find(|c| c.sequence == *sequence)
                {
                    checkpoint.location = location.clone();
                    checkpoint.expected_at = *expected_at;
                }
            }
            RouteEvent::Activated { .. } => state.status = RouteStatus::Active,
            RouteEvent::Completed { .. } => state.status = RouteStatus::Completed,
            RouteEvent::Cancelled { .. } => state.status = RouteStatus::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests;
