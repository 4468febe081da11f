//! A maintenance job (work order) inside a workshop planning, read-only outside it.

use serde::{Deserialize, Serialize};

use super::messages::JobStatus;
use crate::shared::{CustomerId, JobId, LicenseNumber, TechnicianId, Text, Timeslot};
use crate::workshop::MaintenanceService;

/// Only the planning's `apply` changes a job; everyone else reads it through getters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub(super) id: JobId,
    pub(super) slot: Timeslot,
    pub(super) vehicle: LicenseNumber,
    pub(super) customer_id: CustomerId,
    pub(super) service: MaintenanceService,
    pub(super) description: Text<2000>,
    pub(super) technician: Option<TechnicianId>,
    pub(super) actual: Option<Timeslot>,
    pub(super) notes: Option<Text<2000>>,
    pub(super) status: JobStatus,
    pub(super) cancel_reason: Option<Text<2000>>,
}

impl Job {
    pub fn id(&self) -> JobId {
        self.id
    }

    /// The planned slot.
    pub fn slot(&self) -> Timeslot {
        self.slot
    }

    pub fn vehicle(&self) -> &LicenseNumber {
        &self.vehicle
    }

    pub fn customer_id(&self) -> CustomerId {
        self.customer_id
    }

    pub fn service(&self) -> MaintenanceService {
        self.service
    }

    pub fn description(&self) -> &Text<2000> {
        &self.description
    }

    pub fn technician(&self) -> Option<TechnicianId> {
        self.technician
    }

    /// When the work really happened; set when the job is finished.
    pub fn actual(&self) -> Option<Timeslot> {
        self.actual
    }

    pub fn notes(&self) -> Option<&Text<2000>> {
        self.notes.as_ref()
    }

    pub fn status(&self) -> JobStatus {
        self.status
    }

    pub fn cancel_reason(&self) -> Option<&Text<2000>> {
        self.cancel_reason.as_ref()
    }

    pub fn is_planned(&self) -> bool {
        self.status == JobStatus::Planned
    }

    /// Whether this job holds a workstation, its vehicle and its technician during
    /// `slot`: only planned jobs do; finished and cancelled ones have let go.
    pub fn occupies(&self, slot: &Timeslot) -> bool {
        self.is_planned() && self.slot.overlaps(slot)
    }
}
