//! What a technician is told (commands, parsed values only), what it records (events)
//! and how it refuses (errors, each with a stable reason).

use std::collections::BTreeSet;

use es_core::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::shared::{DomainRule, RuleKind, TechnicianId, Text};
use crate::workshop::catalogue::ServiceCategory;

#[derive(Debug, Clone, PartialEq)]
pub enum TechnicianCommand {
    Register {
        technician_id: TechnicianId,
        name: Text<200>,
        skills: BTreeSet<ServiceCategory>,
    },
    Update {
        name: Text<200>,
        skills: BTreeSet<ServiceCategory>,
    },
    Deactivate,
    Reactivate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum TechnicianEvent {
    #[serde(rename = "technician.registered.v1")]
    Registered {
        technician_id: TechnicianId,
        name: Text<200>,
        skills: BTreeSet<ServiceCategory>,
    },
    #[serde(rename = "technician.updated.v1")]
    Updated {
        technician_id: TechnicianId,
        name: Text<200>,
        skills: BTreeSet<ServiceCategory>,
    },
    #[serde(rename = "technician.deactivated.v1")]
    Deactivated { technician_id: TechnicianId },
    #[serde(rename = "technician.reactivated.v1")]
    Reactivated { technician_id: TechnicianId },
}

impl DomainEvent for TechnicianEvent {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TechnicianError {
    #[error("technician {0} is already registered")]
    AlreadyRegistered(TechnicianId),
    #[error("no such technician")]
    NotFound,
    #[error("a technician needs at least one skill")]
    NoSkills,
    #[error("technician {0} is already inactive")]
    AlreadyInactive(TechnicianId),
    #[error("technician {0} is already active")]
    AlreadyActive(TechnicianId),
}

impl DomainRule for TechnicianError {
    fn reason(&self) -> &'static str {
        match self {
            TechnicianError::AlreadyRegistered(_) => "technician_already_registered",
            TechnicianError::NotFound => "technician_not_found",
            TechnicianError::NoSkills => "technician_needs_a_skill",
            TechnicianError::AlreadyInactive(_) => "technician_already_inactive",
            TechnicianError::AlreadyActive(_) => "technician_already_active",
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            TechnicianError::AlreadyRegistered(_) => RuleKind::AlreadyExists,
            TechnicianError::NotFound => RuleKind::NotFound,
            _ => RuleKind::Violation,
        }
    }
}
