//! What a schedule is told (the changes one command makes to one resource), what it
//! records (events) and how it refuses (errors, with a stable reason), with the
//! resources and holders they name.

use std::fmt;

use es_core::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::shared::{DomainRule, DriverId, LicenseNumber, Timeslot};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Driver,
    Vehicle,
}

impl ResourceKind {
    fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Driver => "driver",
            ResourceKind::Vehicle => "vehicle",
        }
    }
}

/// A bookable resource: a driver (by id) or a vehicle (by license number).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScheduledResource {
    pub kind: ResourceKind,
    pub id: String,
}

impl ScheduledResource {
    pub fn driver(id: DriverId) -> Self {
        Self {
            kind: ResourceKind::Driver,
            id: id.to_string(),
        }
    }

    pub fn vehicle(license_number: &LicenseNumber) -> Self {
        Self {
            kind: ResourceKind::Vehicle,
            id: license_number.as_str().to_owned(),
        }
    }

    /// The schedule's aggregate id: `driver:<uuid>`, `vehicle:<license number>`.
    pub fn aggregate_id(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.id)
    }
}

impl fmt::Display for ScheduledResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKind {
    /// A maintenance job of a workshop planning.
    Job,
    Delivery,
}

/// What holds a slot: a maintenance job or a delivery, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Holder {
    pub kind: HolderKind,
    pub id: Uuid,
}

impl Holder {
    pub fn job(id: impl Into<Uuid>) -> Self {
        Self {
            kind: HolderKind::Job,
            id: id.into(),
        }
    }

    pub fn delivery(id: impl Into<Uuid>) -> Self {
        Self {
            kind: HolderKind::Delivery,
            id: id.into(),
        }
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            HolderKind::Job => "maintenance job",
            HolderKind::Delivery => "delivery",
        };
        write!(f, "{what} {}", self.id)
    }
}

/// One change a booking makes to a resource's schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `holder` books the resource for `slot` (replacing any slot it held).
    Reserve { holder: Holder, slot: Timeslot },
    /// `holder` no longer needs the resource.
    Release { holder: Holder },
}

/// The changes one command makes to one resource's schedule, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleCommand {
    pub resource: ScheduledResource,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum ScheduleEvent {
    #[serde(rename = "schedule.slot_reserved.v1")]
    SlotReserved {
        resource_kind: ResourceKind,
        resource_id: String,
        holder_kind: HolderKind,
        holder_id: Uuid,
        slot: Timeslot,
    },
    #[serde(rename = "schedule.slot_released.v1")]
    SlotReleased {
        resource_kind: ResourceKind,
        resource_id: String,
        holder_kind: HolderKind,
        holder_id: Uuid,
    },
}

impl DomainEvent for ScheduleEvent {}

impl ScheduleEvent {
    /// Whose slot the event reserves or releases.
    pub fn holder(&self) -> Holder {
        match self {
            ScheduleEvent::SlotReserved {
                holder_kind,
                holder_id,
                ..
            }
            | ScheduleEvent::SlotReleased {
                holder_kind,
                holder_id,
                ..
            } => Holder {
                kind: *holder_kind,
                id: *holder_id,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{resource} is already booked on {holder} from {} to {}", .slot.start().to_rfc3339(), .slot.end().to_rfc3339())]
    SlotTaken {
        resource: ScheduledResource,
        holder: Holder,
        slot: Timeslot,
    },
}

impl DomainRule for ScheduleError {
    fn reason(&self) -> &'static str {
        "schedule_conflict"
    }
}
