//! The Delivery aggregate: one run of goods along an active route, from pick-up to
//! proof of delivery (status machine in [`DeliveryStatus`]).
//!
//! Rules it enforces (each has a test below):
//! 1. a delivery is created only from an active route's summary (`route_not_active`
//!    otherwise — a summary without a slot counts as not active); it copies the
//!    route's slot and checkpoints and starts `picked_up`;
//! 2. driver and vehicle are (re)assigned only while `picked_up`;
//! 3. `in_transit` needs both a driver and a vehicle;
//! 4. checkpoints are reached only while `in_transit`, in sequence order, and must be
//!    the route's checkpoint with that sequence and location: an unknown sequence is
//!    not found, a wrong location, a skipped checkpoint or one reached twice is
//!    rejected;
//! 5. `out_for_delivery` (only from `in_transit`) needs every route checkpoint reached;
//! 6. proof of delivery is captured only while `out_for_delivery`, and moves the
//!    delivery to `delivered` (a proof event and a status change);
//! 7. incidents are reported and resolved in any status, also after delivered or
//!    failed; a reused incident id is rejected, an unknown incident is not found, a
//!    resolved incident cannot be resolved again; open incidents never block anything;
//! 8. text limits are in the types (see [`messages`]) and are checked,
//!    naming the field, in `convert.rs`.
//!
//! Decided here (DOMAIN.md is silent):
//! - `Create` carries the delivery id and the route's summary (the command handler
//!   loads the route), so the aggregate stays pure; a route that does not exist has
//!   no summary (`Route::summary()` is `None`) and is the handler's `route_not_found`;
//! - a status command checks the transition first, then its prerequisites (starting
//!   transit twice is `invalid_delivery_transition`, not `driver_not_assigned`);
//! - any status change outside the machine is `invalid_delivery_transition`: failing a
//!   failed or delivered delivery, retrying one that has not failed, and so on;
//! - a failure needs a reason; the reason is kept until the delivery is retried;
//! - retrying (`failed → picked_up`) starts a new run: the reached checkpoints are
//!   cleared, driver and vehicle are kept (and may be re-assigned while picked up);
//! - a checkpoint location must equal the route's (after trimming, case-sensitive);
//! - re-assigning the same driver or vehicle is accepted and recorded again;
//! - times come from the command (the server clock) and are recorded as given.

pub mod messages;
mod rules;
mod state;

use chrono::{DateTime, Utc};
use es_core::Aggregate;
use serde::{Deserialize, Serialize};

pub use messages::{
    DeliveryCommand, DeliveryError, DeliveryEvent, DeliveryStatus, Incident, IncidentResolution,
    IncidentType, LongText, ProofOfDelivery, ReachedCheckpoint, ReceiverName, SignatureReference,
};
use rules::{check_new_incident, check_reach, check_resolvable};
use state::DeliveryState;

use super::checkpoint::Checkpoint;
use super::route::{RouteStatus, RouteSummary};
use crate::shared::{DeliveryId, DriverId, LicenseNumber, RouteId, Timeslot};

/// The delivery; `None` until it is created.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Delivery {
    state: Option<DeliveryState>,
}

/// Read-only views for the command handlers (e.g. the BFF's conflict checks).
impl Delivery {
    pub fn route_id(&self) -> Option<RouteId> {
        self.state.as_ref().map(|state| state.route_id)
    }

    pub fn status(&self) -> Option<DeliveryStatus> {
        self.state.as_ref().map(|state| state.status)
    }

    pub fn slot(&self) -> Option<Timeslot> {
        self.state.as_ref().map(|state| state.slot)
    }

    pub fn driver(&self) -> Option<DriverId> {
        self.state.as_ref().and_then(|state| state.driver)
    }

    pub fn vehicle(&self) -> Option<&LicenseNumber> {
        self.state.as_ref().and_then(|state| state.vehicle.as_ref())
    }
}

fn create(delivery_id: DeliveryId, route: RouteSummary) -> Result<DeliveryEvent, DeliveryError> {
    match (route.status, route.slot) {
        (RouteStatus::Active, Some(slot)) => Ok(DeliveryEvent::Created {
            delivery_id,
            route_id: route.route_id,
            slot,
            checkpoints: route.checkpoints,
        }),
        (status, _) => Err(DeliveryError::RouteNotActive {
            route_id: route.route_id,
            status,
        }),
    }
}

impl DeliveryState {
    fn change_status(
        &self,
        to: DeliveryStatus,
        at: DateTime<Utc>,
        reason: Option<LongText>,
    ) -> Result<DeliveryEvent, DeliveryError> {
        if !self.status.can_become(to) {
            return Err(DeliveryError::InvalidTransition {
                from: self.status,
                to,
            });
        }
        Ok(DeliveryEvent::StatusChanged {
            delivery_id: self.delivery_id,
            from: self.status,
            to,
            at,
            reason,
        })
    }

    /// The delivery must be in `wanted`; otherwise `refused` names the status it is in.
    fn require(
        &self,
        wanted: DeliveryStatus,
        refused: fn(DeliveryStatus) -> DeliveryError,
    ) -> Result<(), DeliveryError> {
        if self.status == wanted {
            Ok(())
        } else {
            Err(refused(self.status))
        }
    }

    /// Driver and vehicle are (re)assigned only while picked up.
    fn require_picked_up(&self) -> Result<(), DeliveryError> {
        self.require(DeliveryStatus::PickedUp, |status| {
            DeliveryError::NotPickedUp { status }
        })
    }

    /// The first route checkpoint not reached in this run.
    fn next_checkpoint(&self) -> Option<&Checkpoint> {
        self.checkpoints.get(self.reached.len())
    }

    fn handle(&self, command: DeliveryCommand) -> Result<Vec<DeliveryEvent>, DeliveryError> {
        let delivery_id = self.delivery_id;
        let event = match command {
            DeliveryCommand::Create { delivery_id, .. } => {
                return Err(DeliveryError::AlreadyExists { delivery_id });
            }
            DeliveryCommand::AssignDriver { driver } => {
                self.require_picked_up()?;
                DeliveryEvent::DriverAssigned {
                    delivery_id,
                    driver_id: driver,
                    previous_driver_id: self.driver,
                    slot: self.slot,
                }
            }
            DeliveryCommand::AssignVehicle { vehicle } => {
                self.require_picked_up()?;
                DeliveryEvent::VehicleAssigned {
                    delivery_id,
                    vehicle_license_number: vehicle,
                    previous_vehicle_license_number: self.vehicle.clone(),
                    slot: self.slot,
                }
            }
            DeliveryCommand::StartTransit { at } => {
                let event = self.change_status(DeliveryStatus::InTransit, at, None)?;
                if self.driver.is_none() {
                    return Err(DeliveryError::DriverNotAssigned);
                }
                if self.vehicle.is_none() {
                    return Err(DeliveryError::VehicleNotAssigned);
                }
                event
            }
            DeliveryCommand::ReachCheckpoint {
                sequence,
                location,
                at,
            } => {
                self.require(DeliveryStatus::InTransit, |status| {
                    DeliveryError::NotInTransit { status }
                })?;
                check_reach(&self.checkpoints, &self.reached, sequence, &location)?;
                DeliveryEvent::CheckpointReached {
                    delivery_id,
                    sequence,
                    location,
                    at,
                }
            }
            DeliveryCommand::MarkOutForDelivery { at } => {
                let event = self.change_status(DeliveryStatus::OutForDelivery, at, None)?;
                if let Some(next) = self.next_checkpoint() {
                    return Err(DeliveryError::CheckpointsNotAllReached {
                        next: next.sequence,
                    });
                }
                event
            }
            DeliveryCommand::CaptureProofOfDelivery {
                receiver_name,
                signature_reference,
                at,
            } => {
                self.require(DeliveryStatus::OutForDelivery, |status| {
                    DeliveryError::NotOutForDelivery { status }
                })?;
                let proof = DeliveryEvent::ProofOfDeliveryCaptured {
                    delivery_id,
                    receiver_name,
                    signature_reference,
                    at,
                };
                return Ok(vec![
                    proof,
                    self.change_status(DeliveryStatus::Delivered, at, None)?,
                ]);
            }
            DeliveryCommand::Fail { reason, at } => {
                self.change_status(DeliveryStatus::Failed, at, Some(reason))?
            }
            DeliveryCommand::Retry { at } => {
                self.change_status(DeliveryStatus::PickedUp, at, None)?
            }
            DeliveryCommand::ReportIncident {
                incident_id,
                incident_type,
                description,
                at,
            } => {
                check_new_incident(&self.incidents, incident_id)?;
                DeliveryEvent::IncidentReported {
                    delivery_id,
                    incident_id,
                    incident_type,
                    description,
                    at,
                }
            }
            DeliveryCommand::ResolveIncident {
                incident_id,
                resolution,
                at,
            } => {
                check_resolvable(&self.incidents, incident_id)?;
                DeliveryEvent::IncidentResolved {
                    delivery_id,
                    incident_id,
                    resolution,
                    at,
                }
            }
        };
        Ok(vec![event])
    }
}

impl Aggregate for Delivery {
    const TYPE: &'static str = "delivery";

    type Command = DeliveryCommand;
    type Event = DeliveryEvent;
    type Error = DeliveryError;

    fn handle(&self, command: DeliveryCommand) -> Result<Vec<DeliveryEvent>, DeliveryError> {
        match (&self.state, command) {
            (Some(state), command) => state.handle(command),
            (None, DeliveryCommand::Create { delivery_id, route }) => {
                Ok(vec![create(delivery_id, route)?])
            }
            (None, _) => Err(DeliveryError::NotFound),
        }
    }

    fn apply(&mut self, event: &DeliveryEvent) {
        match &mut self.state {
            Some(state) => state.apply(event),
            None => self.state = DeliveryState::from_created(event),
        }
    }
}

#[cfg(test)]
mod tests;
