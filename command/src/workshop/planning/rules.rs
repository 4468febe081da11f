//! The checks behind each planning command (rules 1–6 of `planning.rs`), kept apart
//! from the aggregate's types so each file stays one concept. Each is a pure function
//! of the planning's date and jobs.

use super::capacity::{self, WORKSTATIONS};
use super::job::Job;
use super::messages::{PlanMaintenanceJob, TechnicianRef, WorkshopPlanningError as Error};
use crate::shared::{JobId, PlanningDate, Timeslot};
use crate::workshop::MaintenanceService;

/// Rules 5 and 6: the planning exists, the job is in it and is still planned.
pub(super) fn planned_job(
    date: Option<PlanningDate>,
    jobs: &[Job],
    job_id: JobId,
) -> Result<(PlanningDate, &Job), Error> {
    let date = date.ok_or(Error::PlanningNotFound)?;
    let job = find(jobs, job_id).ok_or(Error::JobNotFound(job_id))?;
    if job.is_planned() {
        Ok((date, job))
    } else {
        Err(Error::JobNotPlanned {
            job_id,
            status: job.status,
        })
    }
}

/// A new job fits the planning: it is for the planning's date, its id is new, and
/// rules 1–4 hold.
pub(super) fn check_plan(
    date: Option<PlanningDate>,
    jobs: &[Job],
    plan: &PlanMaintenanceJob,
) -> Result<(), Error> {
    if let Some(planning) = date.filter(|date| *date != plan.date) {
        return Err(Error::DateMismatch {
            planning,
            command: plan.date,
        });
    }
    if find(jobs, plan.job_id).is_some() {
        return Err(Error::JobAlreadyExists(plan.job_id));
    }
    // Rule 1.
    if !(plan.date.contains(plan.slot.start()) && plan.date.contains(plan.slot.end())) {
        return Err(Error::SlotOutsideDate(plan.date));
    }
    // Rules 4, 3 and 2, cheapest first.
    if let Some(technician) = &plan.technician {
        check_technician(jobs, technician, plan.service, &plan.slot, None)?;
    }
    if let Some(other) = booked(jobs, &plan.slot, None, |job| job.vehicle == plan.vehicle) {
        return Err(Error::VehicleDoubleBooked {
            vehicle: plan.vehicle.clone(),
            job_id: other.id,
            slot: other.slot,
        });
    }
    // Only jobs overlapping the new one can share an instant with it.
    let overlapping: Vec<&Job> = jobs.iter().filter(|job| job.occupies(&plan.slot)).collect();
    let slots = overlapping.iter().map(|job| job.slot).chain([plan.slot]);
    if let Some(at) = capacity::first_overbooked_instant(slots, WORKSTATIONS) {
        // Named in the refusal, so the planner sees which jobs to move.
        let holders = overlapping
            .iter()
            .filter(|job| job.slot.contains(at))
            .map(|job| job.id)
            .collect();
        return Err(Error::TooManyOverlappingJobs { at, holders });
    }
    Ok(())
}

/// Rule 4: the technician holds the skill and has no other planned job in `slot`
/// (`except` is the job being assigned, which the technician may already hold).
pub(super) fn check_technician(
    jobs: &[Job],
    technician: &TechnicianRef,
    service: MaintenanceService,
    slot: &Timeslot,
    except: Option<JobId>,
) -> Result<(), Error> {
    let category = service.category();
    if !technician.skills.contains(&category) {
        return Err(Error::TechnicianLacksSkill {
            technician_id: technician.id,
            category,
        });
    }
    let holds = |job: &Job| job.technician == Some(technician.id);
    match booked(jobs, slot, except, holds) {
        Some(other) => Err(Error::TechnicianDoubleBooked {
            technician_id: technician.id,
            job_id: other.id,
            slot: other.slot,
        }),
        None => Ok(()),
    }
}

/// The job with this id, whatever its status.
fn find(jobs: &[Job], id: JobId) -> Option<&Job> {
    jobs.iter().find(|job| job.id == id)
}

/// A planned job other than `except`, overlapping `slot`, that `holds` the resource.
fn booked<'a>(
    jobs: &'a [Job],
    slot: &Timeslot,
    except: Option<JobId>,
    holds: impl Fn(&Job) -> bool,
) -> Option<&'a Job> {
    jobs.iter()
        .filter(|job| Some(job.id) != except)
        .find(|job| job.occupies(slot) && holds(job))
}
