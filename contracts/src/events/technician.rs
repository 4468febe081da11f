//! Events of aggregate type `technician` (topic `<prefix>.workshop.events`).

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate_events;
use super::words::ServiceCategory;

aggregate_events! {
    pub enum TechnicianEvent for "technician" {
        "technician.registered.v1" => Registered(Registered),
        "technician.updated.v1" => Updated(Updated),
        "technician.deactivated.v1" => Deactivated(Deactivated),
        "technician.reactivated.v1" => Reactivated(Reactivated),
    }
}

/// A technician joined the workshop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Registered {
    pub technician_id: Uuid,
    pub name: String,
    /// The categories of service the technician may be assigned jobs of.
    pub skills: BTreeSet<ServiceCategory>,
}

/// Name and skills replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Updated {
    pub technician_id: Uuid,
    pub name: String,
    pub skills: BTreeSet<ServiceCategory>,
}

/// The technician may no longer be assigned jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Deactivated {
    pub technician_id: Uuid,
}

/// A deactivated technician may be assigned jobs again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reactivated {
    pub technician_id: Uuid,
}
