//! Workshop requests off the wire become commands here, or fail naming the proto field.
//!
//! Technicians are addressed by their id; plannings by their date (`yyyy-mm-dd`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use contracts::v1;

use super::{
    MaintenanceService, PlanMaintenanceJob, ServiceCategory, Technician, TechnicianCommand,
    TechnicianRef, WorkshopPlanning, WorkshopPlanningCommand,
};
use crate::shared::{
    Addressed, CustomerId, FieldError, IntoCommand, JobId, LicenseNumber, PlanningDate,
    TechnicianId, Text, Timeslot, optional_text, required_slot, required_time,
};

type TechnicianAddressed = Result<Addressed<TechnicianCommand>, FieldError>;
type PlanningAddressed = Result<Addressed<WorkshopPlanningCommand>, FieldError>;

impl IntoCommand for v1::RegisterTechnicianRequest {
    type Aggregate = Technician;

    fn into_command(self, _now: DateTime<Utc>) -> TechnicianAddressed {
        let technician_id = TechnicianId::parse("technician_id", &self.technician_id)?;
        let command = TechnicianCommand::Register {
            technician_id,
            name: Text::parse("name", &self.name)?,
            skills: required_skills("skills", &self.skills)?,
        };
        Ok(Addressed::new(technician_id, command))
    }
}

impl IntoCommand for v1::UpdateTechnicianRequest {
    type Aggregate = Technician;

    fn into_command(self, _now: DateTime<Utc>) -> TechnicianAddressed {
        let technician_id = TechnicianId::parse("technician_id", &self.technician_id)?;
        let command = TechnicianCommand::Update {
            name: Text::parse("name", &self.name)?,
            skills: required_skills("skills", &self.skills)?,
        };
        Ok(Addressed::new(technician_id, command))
    }
}

impl IntoCommand for v1::DeactivateTechnicianRequest {
    type Aggregate = Technician;

    fn into_command(self, _now: DateTime<Utc>) -> TechnicianAddressed {
        let technician_id = TechnicianId::parse("technician_id", &self.technician_id)?;
        Ok(Addressed::new(technician_id, TechnicianCommand::Deactivate))
    }
}

impl IntoCommand for v1::ReactivateTechnicianRequest {
    type Aggregate = Technician;

    fn into_command(self, _now: DateTime<Utc>) -> TechnicianAddressed {
        let technician_id = TechnicianId::parse("technician_id", &self.technician_id)?;
        Ok(Addressed::new(technician_id, TechnicianCommand::Reactivate))
    }
}

impl IntoCommand for v1::PlanMaintenanceJobRequest {
    type Aggregate = WorkshopPlanning;

    fn into_command(self, _now: DateTime<Utc>) -> PlanningAddressed {
        let date = PlanningDate::parse("planning_date", &self.planning_date)?;
        let plan = PlanMaintenanceJob {
            date,
            job_id: JobId::parse("job_id", &self.job_id)?,
            slot: required_slot("slot", self.slot)?,
            vehicle: LicenseNumber::parse("vehicle_license_number", &self.vehicle_license_number)?,
            customer_id: CustomerId::parse("customer_id", &self.customer_id)?,
            service: MaintenanceService::parse("service", self.service)?,
            description: Text::parse("description", &self.description)?,
            technician: self.technician.map(technician_ref).transpose()?,
        };
        Ok(Addressed::new(
            date,
            WorkshopPlanningCommand::PlanMaintenanceJob(plan),
        ))
    }
}

impl IntoCommand for v1::AssignTechnicianRequest {
    type Aggregate = WorkshopPlanning;

    fn into_command(self, _now: DateTime<Utc>) -> PlanningAddressed {
        let date = PlanningDate::parse("planning_date", &self.planning_date)?;
        let technician = self
            .technician
            .ok_or_else(|| FieldError::new("technician", "is required"))?;
        let command = WorkshopPlanningCommand::AssignTechnician {
            job_id: JobId::parse("job_id", &self.job_id)?,
            technician: technician_ref(technician)?,
        };
        Ok(Addressed::new(date, command))
    }
}

impl IntoCommand for v1::FinishMaintenanceJobRequest {
    type Aggregate = WorkshopPlanning;

    fn into_command(self, _now: DateTime<Utc>) -> PlanningAddressed {
        let date = PlanningDate::parse("planning_date", &self.planning_date)?;
        let job_id = JobId::parse("job_id", &self.job_id)?;
        let start = required_time("actual_start", self.actual_start)?;
        let end = required_time("actual_end", self.actual_end)?;
        // The proto has two flat fields, so the slot's error names `actual_end` itself.
        let actual = Timeslot::new("actual", start, end)
            .map_err(|_| FieldError::new("actual_end", "must be after actual_start"))?;
        let command = WorkshopPlanningCommand::FinishMaintenanceJob {
            job_id,
            actual,
            notes: optional_text("notes", &self.notes)?,
        };
        Ok(Addressed::new(date, command))
    }
}

impl IntoCommand for v1::CancelMaintenanceJobRequest {
    type Aggregate = WorkshopPlanning;

    fn into_command(self, _now: DateTime<Utc>) -> PlanningAddressed {
        let date = PlanningDate::parse("planning_date", &self.planning_date)?;
        let command = WorkshopPlanningCommand::CancelMaintenanceJob {
            job_id: JobId::parse("job_id", &self.job_id)?,
            reason: Text::parse("reason", &self.reason)?,
        };
        Ok(Addressed::new(date, command))
    }
}

/// The BFF's view of a technician. An empty skill set is let through: the planning
/// then rejects the job as `technician_lacks_skill`, which is the truth of it.
fn technician_ref(technician: v1::TechnicianRef) -> Result<TechnicianRef, FieldError> {
    Ok(TechnicianRef {
        id: TechnicianId::parse("technician.technician_id", &technician.technician_id)?,
        skills: skills("technician.skills", &technician.skills)?,
    })
}

/// Every value must be a known category; repeats collapse into the set.
fn skills(field: &str, raw: &[i32]) -> Result<BTreeSet<ServiceCategory>, FieldError> {
    raw.iter()
        .map(|value| ServiceCategory::parse(field, *value))
        .collect()
}

/// A technician's own skills: at least one.
fn required_skills(field: &str, raw: &[i32]) -> Result<BTreeSet<ServiceCategory>, FieldError> {
    let skills = skills(field, raw)?;
    if skills.is_empty() {
        return Err(FieldError::new(field, "needs at least one skill"));
    }
    Ok(skills)
}

#[cfg(test)]
mod tests;
