//! The workshop bounded context (DOMAIN.md "workshop"): technicians and their skills, the
//! service catalogue, and one planning per date of the jobs on the three workstations.

pub mod catalogue;
pub mod convert;
pub mod planning;
pub mod service;
pub mod technician;

pub use catalogue::{MaintenanceService, ServiceCategory};
pub use planning::{
    Job, JobStatus, PlanMaintenanceJob, TechnicianRef, WorkshopPlanning, WorkshopPlanningCommand,
    WorkshopPlanningError, WorkshopPlanningEvent,
};
pub use service::Service;
pub use technician::{Technician, TechnicianCommand, TechnicianError, TechnicianEvent};
