//! What a workshop planning is told (commands, parsed values only), what it records
//! (events) and how it refuses (errors, each with a stable reason), with the values
//! they carry: the job to plan, the technician as the BFF knows them, a job's status.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use es_core::DomainEvent;
use serde::{Deserialize, Serialize};

use super::capacity::WORKSTATIONS;
use crate::shared::{
    CustomerId, DomainRule, JobId, LicenseNumber, PlanningDate, RuleKind, TechnicianId, Text,
    Timeslot,
};
use crate::workshop::catalogue::{MaintenanceService, ServiceCategory};

/// A technician as the BFF's read model knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechnicianRef {
    pub id: TechnicianId,
    pub skills: BTreeSet<ServiceCategory>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanMaintenanceJob {
    pub date: PlanningDate,
    pub job_id: JobId,
    pub slot: Timeslot,
    pub vehicle: LicenseNumber,
    pub customer_id: CustomerId,
    pub service: MaintenanceService,
    pub description: Text<2000>,
    pub technician: Option<TechnicianRef>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WorkshopPlanningCommand {
    PlanMaintenanceJob(PlanMaintenanceJob),
    AssignTechnician {
        job_id: JobId,
        technician: TechnicianRef,
    },
    FinishMaintenanceJob {
        job_id: JobId,
        actual: Timeslot,
        notes: Option<Text<2000>>,
    },
    CancelMaintenanceJob {
        job_id: JobId,
        reason: Text<2000>,
    },
}

/// Every event names its date and job, and the ones that free a job's slot name its
/// vehicle and technician, so schedule projectors need no lookups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum WorkshopPlanningEvent {
    #[serde(rename = "workshop.planning_created.v1")]
    PlanningCreated { date: PlanningDate },
    #[serde(rename = "workshop.job_planned.v1")]
    JobPlanned {
        date: PlanningDate,
        job_id: JobId,
        slot: Timeslot,
        vehicle: LicenseNumber,
        customer_id: CustomerId,
        service: MaintenanceService,
        category: ServiceCategory,
        description: Text<2000>,
        technician_id: Option<TechnicianId>,
    },
    #[serde(rename = "workshop.technician_assigned.v1")]
    TechnicianAssigned {
        date: PlanningDate,
        job_id: JobId,
        slot: Timeslot,
        technician_id: TechnicianId,
        previous_technician_id: Option<TechnicianId>,
    },
    #[serde(rename = "workshop.job_finished.v1")]
    JobFinished {
        date: PlanningDate,
        job_id: JobId,
        actual: Timeslot,
        notes: Option<Text<2000>>,
        vehicle: LicenseNumber,
        technician_id: Option<TechnicianId>,
    },
    #[serde(rename = "workshop.job_cancelled.v1")]
    JobCancelled {
        date: PlanningDate,
        job_id: JobId,
        reason: Text<2000>,
        vehicle: LicenseNumber,
        technician_id: Option<TechnicianId>,
    },
}

impl DomainEvent for WorkshopPlanningEvent {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkshopPlanningError {
    #[error("there is no workshop planning for this date")]
    PlanningNotFound,
    #[error("job {0} is not in this planning")]
    JobNotFound(JobId),
    #[error("job {0} is already in this planning")]
    JobAlreadyExists(JobId),
    #[error("the command is for {command}, but this planning is for {planning}")]
    DateMismatch {
        planning: PlanningDate,
        command: PlanningDate,
    },
    #[error("the planned slot must start and end on {0}")]
    SlotOutsideDate(PlanningDate),
    /// `holders`: the planned jobs in progress at `at`, which hold the workstations.
    #[error(
        "all {WORKSTATIONS} workstations are taken at {at}, by jobs {}",
        listed(holders)
    )]
    TooManyOverlappingJobs {
        at: DateTime<Utc>,
        holders: Vec<JobId>,
    },
    #[error("vehicle {vehicle} already has job {job_id} in an overlapping slot")]
    VehicleDoubleBooked {
        vehicle: LicenseNumber,
        job_id: JobId,
        slot: Timeslot,
    },
    #[error("technician {technician_id} already has job {job_id} in an overlapping slot")]
    TechnicianDoubleBooked {
        technician_id: TechnicianId,
        job_id: JobId,
        slot: Timeslot,
    },
    #[error("technician {technician_id} lacks the skill {category:?}")]
    TechnicianLacksSkill {
        technician_id: TechnicianId,
        category: ServiceCategory,
    },
    #[error("job {job_id} is {status:?}, not planned")]
    JobNotPlanned { job_id: JobId, status: JobStatus },
}

impl DomainRule for WorkshopPlanningError {
    fn reason(&self) -> &'static str {
        match self {
            Self::PlanningNotFound => "planning_not_found",
            Self::JobNotFound(_) => "job_not_found",
            Self::JobAlreadyExists(_) => "job_already_exists",
            Self::DateMismatch { .. } => "planning_date_mismatch",
            Self::SlotOutsideDate(_) => "slot_outside_planning_date",
            Self::TooManyOverlappingJobs { .. } => "too_many_overlapping_jobs",
            Self::VehicleDoubleBooked { .. } => "vehicle_double_booked",
            Self::TechnicianDoubleBooked { .. } => "technician_double_booked",
            Self::TechnicianLacksSkill { .. } => "technician_lacks_skill",
            Self::JobNotPlanned { .. } => "job_not_planned",
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            Self::PlanningNotFound | Self::JobNotFound(_) => RuleKind::NotFound,
            Self::JobAlreadyExists(_) => RuleKind::AlreadyExists,
            _ => RuleKind::Violation,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Planned,
    Finished,
    Cancelled,
}

/// `a, b and c`.
fn listed(ids: &[JobId]) -> String {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    match ids.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}
