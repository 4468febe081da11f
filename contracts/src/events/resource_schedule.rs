//! Events of aggregate type `resource_schedule` (topic `<prefix>.fleet.events`): what
//! each driver and vehicle is booked for — the write side's final word on
//! bookings (ADR 016).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate_events;
use super::words::{Slot, words};

aggregate_events! {
    pub enum ResourceScheduleEvent for "resource_schedule" {
        "schedule.slot_reserved.v1" => SlotReserved(SlotReserved),
        "schedule.slot_released.v1" => SlotReleased(SlotReleased),
    }
}

words! {
    /// The kind of resource a schedule books.
    pub enum ResourceKind {
        Driver = "driver",
        Vehicle = "vehicle",
    }
}

words! {
    /// What a slot is booked for.
    pub enum HolderKind {
        Job = "job",
        Delivery = "delivery",
    }
}

/// A slot of the resource booked for a job or a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SlotReserved {
    pub resource_kind: ResourceKind,
    /// A driver's id, or a vehicle's license number.
    pub resource_id: String,
    pub holder_kind: HolderKind,
    pub holder_id: Uuid,
    pub slot: Slot,
}

/// The holder's slot freed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SlotReleased {
    pub resource_kind: ResourceKind,
    pub resource_id: String,
    pub holder_kind: HolderKind,
    pub holder_id: Uuid,
}
