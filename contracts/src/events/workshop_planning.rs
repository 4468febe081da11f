//! Events of aggregate type `workshop_planning` (topic `<prefix>.workshop.events`):
//! one stream per workshop day, holding its maintenance jobs.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate_events;
use super::words::{MaintenanceService, ServiceCategory, Slot};

aggregate_events! {
    pub enum WorkshopPlanningEvent for "workshop_planning" {
        "workshop.planning_created.v1" => PlanningCreated(PlanningCreated),
        "workshop.job_planned.v1" => JobPlanned(JobPlanned),
        "workshop.technician_assigned.v1" => TechnicianAssigned(TechnicianAssigned),
        "workshop.job_finished.v1" => JobFinished(JobFinished),
        "workshop.job_cancelled.v1" => JobCancelled(JobCancelled),
    }
}

/// The day's planning opened (before its first job).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanningCreated {
    pub date: NaiveDate,
}

/// A maintenance job planned on the day, on a customer's vehicle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobPlanned {
    pub date: NaiveDate,
    pub job_id: Uuid,
    pub slot: Slot,
    /// The vehicle's license number.
    pub vehicle: String,
    pub customer_id: Uuid,
    pub service: MaintenanceService,
    /// The category of `service`, recorded so readers need not know the catalogue.
    pub category: ServiceCategory,
    pub description: String,
    pub technician_id: Option<Uuid>,
}

/// A technician assigned to a job (replacing `previous_technician_id`, whose slot
/// is freed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TechnicianAssigned {
    pub date: NaiveDate,
    pub job_id: Uuid,
    pub slot: Slot,
    pub technician_id: Uuid,
    pub previous_technician_id: Option<Uuid>,
}

/// A job done, with the time it actually took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobFinished {
    pub date: NaiveDate,
    pub job_id: Uuid,
    pub actual: Slot,
    pub notes: Option<String>,
    pub vehicle: String,
    pub technician_id: Option<Uuid>,
}

/// A job called off; its vehicle and technician are free again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobCancelled {
    pub date: NaiveDate,
    pub job_id: Uuid,
    pub reason: String,
    pub vehicle: String,
    pub technician_id: Option<Uuid>,
}
