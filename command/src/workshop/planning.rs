//! The `WorkshopPlanning` aggregate: one per calendar date (id `yyyy-mm-dd`), holding
//! the day's maintenance jobs on the workshop's three workstations.
//!
//! Rules (DOMAIN.md workshop 1–6):
//! 1. a job's planned slot starts and ends on the planning's UTC date
//!    (`slot_outside_planning_date`); both instants must fall on that date, so a job
//!    ending exactly at the next midnight is rejected (decided: the brief says both ends);
//! 2. at most 3 planned jobs are in progress at any instant (`too_many_overlapping_jobs`);
//!    this is simultaneity, found by a sweep, not "jobs overlapping the new one";
//! 3. a vehicle has at most one planned job in any overlapping slot (`vehicle_double_booked`);
//! 4. a technician has at most one planned job in any overlapping slot
//!    (`technician_double_booked`) and holds the skill for the job's service category
//!    (`technician_lacks_skill`), both when planning with a technician and when assigning;
//! 5. only a planned job can be finished or cancelled (`job_not_planned`); the actual slot
//!    has start < end by construction ([`Timeslot`](crate::shared::Timeslot));
//! 6. an unknown job id is not found (`job_not_found`).
//!
//! Decided where DOMAIN.md is silent:
//! - the first job of a date creates the planning (`workshop.planning_created.v1` before
//!   `workshop.job_planned.v1`); any other command on a date without a planning is not
//!   found (`planning_not_found`);
//! - a job id already in the planning is rejected (`job_already_exists`);
//! - a plan command naming another date than the planning's is rejected
//!   (`planning_date_mismatch`);
//! - finished and cancelled jobs no longer hold a workstation, a vehicle or a technician;
//! - only a planned job can get a technician (`job_not_planned`); assigning replaces the
//!   previous technician, and the overlap check ignores the job itself, so assigning
//!   the same technician again is accepted and recorded;
//! - the actual slot is recorded as reported: a job may overrun its planned slot or date;
//! - whether the technician is active, and whether the vehicle is busy on a delivery,
//!   are cross-aggregate checks made by the BFF (DOMAIN.md "Cross-aggregate …").

mod capacity;
mod job;
pub mod messages;
mod rules;

use es_core::Aggregate;
use serde::{Deserialize, Serialize};

pub use capacity::WORKSTATIONS;
pub use job::Job;
pub use messages::{
    JobStatus, PlanMaintenanceJob, TechnicianRef, WorkshopPlanningCommand, WorkshopPlanningError,
    WorkshopPlanningEvent,
};
use rules::{check_plan, check_technician, planned_job};

use crate::shared::{JobId, PlanningDate};

/// State of one date's planning; `date` is `None` until its first job is planned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkshopPlanning {
    date: Option<PlanningDate>,
    jobs: Vec<Job>,
}

type Error = WorkshopPlanningError;
type Event = WorkshopPlanningEvent;

impl Aggregate for WorkshopPlanning {
    const TYPE: &'static str = "workshop_planning";

    type Command = WorkshopPlanningCommand;
    type Event = WorkshopPlanningEvent;
    type Error = WorkshopPlanningError;

    fn handle(&self, command: WorkshopPlanningCommand) -> Result<Vec<Event>, Error> {
        let event = match command {
            WorkshopPlanningCommand::PlanMaintenanceJob(plan) => return self.plan(plan),
            WorkshopPlanningCommand::AssignTechnician { job_id, technician } => {
                let (date, job) = planned_job(self.date, &self.jobs, job_id)?;
                check_technician(
                    &self.jobs,
                    &technician,
                    job.service,
                    &job.slot,
                    Some(job_id),
                )?;
                Event::TechnicianAssigned {
                    date,
                    job_id,
                    slot: job.slot,
                    technician_id: technician.id,
                    previous_technician_id: job.technician,
                }
            }
            WorkshopPlanningCommand::FinishMaintenanceJob {
                job_id,
                actual,
                notes,
            } => {
                let (date, job) = planned_job(self.date, &self.jobs, job_id)?;
                Event::JobFinished {
                    date,
                    job_id,
                    actual,
                    notes,
                    vehicle: job.vehicle.clone(),
                    technician_id: job.technician,
                }
            }
            WorkshopPlanningCommand::CancelMaintenanceJob { job_id, reason } => {
                let (date, job) = planned_job(self.date, &self.jobs, job_id)?;
                Event::JobCancelled {
                    date,
                    job_id,
                    reason,
                    vehicle: job.vehicle.clone(),
                    technician_id: job.technician,
                }
            }
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::PlanningCreated { date } => self.date = Some(*date),
            Event::JobPlanned {
                job_id,
                slot,
                vehicle,
                customer_id,
                service,
                description,
                technician_id,
                ..
            } => self.jobs.push(Job {
                id: *job_id,
                slot: *slot,
                vehicle: vehicle.clone(),
                customer_id: *customer_id,
                service: *service,
                description: description.clone(),
                technician: *technician_id,
                actual: None,
                notes: None,
                status: JobStatus::Planned,
                cancel_reason: None,
            }),
            Event::TechnicianAssigned {
                job_id,
                technician_id,
                ..
            } => self.update(*job_id, |job| job.technician = Some(*technician_id)),
            Event::JobFinished {
                job_id,
                actual,
                notes,
                ..
            } => self.update(*job_id, |job| {
                job.status = JobStatus::Finished;
                job.actual = Some(*actual);
                job.notes = notes.clone();
            }),
            Event::JobCancelled { job_id, reason, .. } => self.update(*job_id, |job| {
                job.status = JobStatus::Cancelled;
                job.cancel_reason = Some(reason.clone());
            }),
        }
    }
}

impl WorkshopPlanning {
    /// The planning's date; `None` until its first job is planned.
    pub fn date(&self) -> Option<PlanningDate> {
        self.date
    }

    /// Every job of the date (planned, finished and cancelled) in planning order.
    pub fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter()
    }

    /// The jobs that hold a workstation, a vehicle and maybe a technician.
    pub fn planned_jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().filter(|job| job.is_planned())
    }

    pub fn job(&self, id: JobId) -> Option<&Job> {
        self.jobs.iter().find(|job| job.id == id)
    }

    fn update(&mut self, id: JobId, change: impl FnOnce(&mut Job)) {
        if let Some(job) = self.jobs.iter_mut().find(|job| job.id == id) {
            change(job);
        }
    }

    /// Rules 1–4 ([`check_plan`]); the first job of a date also creates the planning.
    fn plan(&self, plan: PlanMaintenanceJob) -> Result<Vec<Event>, Error> {
        check_plan(self.date, &self.jobs, &plan)?;
        let created = self
            .date
            .is_none()
            .then_some(Event::PlanningCreated { date: plan.date });
        let planned = Event::JobPlanned {
            date: plan.date,
            job_id: plan.job_id,
            slot: plan.slot,
            vehicle: plan.vehicle,
            customer_id: plan.customer_id,
            service: plan.service,
            category: plan.service.category(),
            description: plan.description,
            technician_id: plan.technician.map(|t| t.id),
        };
        Ok(created.into_iter().chain([planned]).collect())
    }
}

#[cfg(test)]
mod tests;
