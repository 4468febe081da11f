//! The delivery's state and how each event changes it. Only mutation lives here (the
//! "evolve" half); every decision is in `delivery.rs`.

use serde::{Deserialize, Serialize};

use super::messages::{
    DeliveryEvent, DeliveryStatus, Incident, IncidentResolution, LongText, ProofOfDelivery,
    ReachedCheckpoint,
};
use crate::deliveries::checkpoint::Checkpoint;
use crate::shared::{DeliveryId, DriverId, LicenseNumber, RouteId, Timeslot};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct DeliveryState {
    pub(super) delivery_id: DeliveryId,
    pub(super) route_id: RouteId,
    pub(super) slot: Timeslot,
    /// The route's checkpoints, ordered by sequence.
    pub(super) checkpoints: Vec<Checkpoint>,
    pub(super) driver: Option<DriverId>,
    pub(super) vehicle: Option<LicenseNumber>,
    pub(super) status: DeliveryStatus,
    /// Always a prefix of `checkpoints` (reached in order), for the current run.
    pub(super) reached: Vec<ReachedCheckpoint>,
    pub(super) incidents: Vec<Incident>,
    pub(super) proof: Option<ProofOfDelivery>,
    pub(super) failure_reason: Option<LongText>,
}

impl DeliveryState {
    /// The state a `delivery.created.v1` event starts; `None` for any other event.
    pub(super) fn from_created(event: &DeliveryEvent) -> Option<Self> {
        let DeliveryEvent::Created {
            delivery_id,
            route_id,
            slot,
            checkpoints,
        } = event
        else {
            return None;
        };
        Some(DeliveryState {
            delivery_id: *delivery_id,
            route_id: *route_id,
            slot: *slot,
            checkpoints: checkpoints.clone(),
            driver: None,
            vehicle: None,
            status: DeliveryStatus::PickedUp,
            reached: Vec::new(),
            incidents: Vec::new(),
            proof: None,
            failure_reason: None,
        })
    }

    pub(super) fn apply(&mut self, event: &DeliveryEvent) {
        match event {
            DeliveryEvent::Created { .. } => {}
            DeliveryEvent::DriverAssigned { driver_id, .. } => self.driver = Some(*driver_id),
            DeliveryEvent::VehicleAssigned {
                vehicle_license_number,
                ..
            } => self.vehicle = Some(vehicle_license_number.clone()),
            DeliveryEvent::StatusChanged { to, reason, .. } => {
                self.status = *to;
                self.failure_reason = reason.clone();
                if *to == DeliveryStatus::PickedUp {
                    self.reached.clear();
                }
            }
            DeliveryEvent::CheckpointReached { sequence, at, .. } => {
                self.reached.push(ReachedCheckpoint {
                    sequence: *sequence,
                    at: *at,
                })
            }
            DeliveryEvent::IncidentReported {
                incident_id,
                incident_type,
                description,
                at,
                ..
            } => self.incidents.push(Incident {
                incident_id: *incident_id,
                incident_type: incident_type.clone(),
                description: description.clone(),
                reported_at: *at,
                resolved: None,
            }),
            DeliveryEvent::IncidentResolved {
                incident_id,
                resolution,
                at,
                ..
            } => {
                if let Some(incident) = self
                    .incidents
                    .iter_mut()
                    .find(|i| i.incident_id == *incident_id)
                {
                    incident.resolved = Some(IncidentResolution {
                        resolution: resolution.clone(),
                        resolved_at: *at,
                    });
                }
            }
            DeliveryEvent::ProofOfDeliveryCaptured {
                receiver_name,
                signature_reference,
                at,
                ..
            } => {
                self.proof = Some(ProofOfDelivery {
                    receiver_name: receiver_name.clone(),
                    signature_reference: signature_reference.clone(),
                    captured_at: *at,
                })
            }
        }
    }
}
