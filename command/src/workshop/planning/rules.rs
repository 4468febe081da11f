//! The checks behind each planning command (rules 1–6 of `planning.rs`), kept apart
//! from the aggregate's types so each file stays one concept.

use super::capacity::{self, WORKSTATIONS};
use super::{
    Job, PlanMaintenanceJob, TechnicianRef, WorkshopPlanning, WorkshopPlanningError as Error,
    WorkshopPlanningEvent as Event,
};
use crate::shared::{JobId, PlanningDate, Timeslot};
use crate::workshop::MaintenanceService;

impl WorkshopPlanning {
    /// Rules 5 and 6: the planning exists, the job is in it and is still planned.
    pub(super) fn planned_job(&self, job_id: JobId) -> Result<(PlanningDate, &Job), Error> {
        let date = self.date.ok_or(Error::PlanningNotFound)?;
        let job = self.job(job_id).ok_or(Error::JobNotFound(job_id))?;
        if job.is_planned() {
            Ok((date, job))
        } else {
            Err(Error::JobNotPlanned {
                job_id,
                status: job.status,
            })
        }
    }

    pub(super) fn plan(&self, plan: PlanMaintenanceJob) -> Result<Vec<Event>, Error> {
        if let Some(planning) = self.date.filter(|date| *date != plan.date) {
            return Err(Error::DateMismatch {
                planning,
                command: plan.date,
            });
        }
        if self.job(plan.job_id).is_some() {
            return Err(Error::JobAlreadyExists(plan.job_id));
        }
        // Rule 1.
        if !(plan.date.contains(plan.slot.start()) && plan.date.contains(plan.slot.end())) {
            return Err(Error::SlotOutsideDate(plan.date));
        }
        // Rules 4, 3 and 2, cheapest first.
        if let Some(technician) = &plan.technician {
            self.check_technician(technician, plan.service, &plan.slot, None)?;
        }
        if let Some(other) = self.booked(&plan.slot, None, |job| job.vehicle == plan.vehicle) {
            return Err(Error::VehicleDoubleBooked {
                vehicle: plan.vehicle,
                job_id: other.id,
                slot: other.slot,
            });
        }
        // Only jobs overlapping the new one can share an instant with it.
        let overlapping = self.planned_jobs().filter(|job| job.occupies(&plan.slot));
        let slots = overlapping.map(|job| job.slot).chain([plan.slot]);
        if let Some(at) = capacity::first_overbooked_instant(slots, WORKSTATIONS) {
            return Err(Error::TooManyOverlappingJobs { at });
        }
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

    /// Rule 4: the technician holds the skill and has no other planned job in `slot`
    /// (`except` is the job being assigned, which the technician may already hold).
    pub(super) fn check_technician(
        &self,
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
        match self.booked(slot, except, |job| job.technician == Some(technician.id)) {
            Some(other) => Err(Error::TechnicianDoubleBooked {
                technician_id: technician.id,
                job_id: other.id,
                slot: other.slot,
            }),
            None => Ok(()),
        }
    }

    /// A planned job other than `except`, overlapping `slot`, that `holds` the resource.
    fn booked(
        &self,
        slot: &Timeslot,
        except: Option<JobId>,
        holds: impl Fn(&Job) -> bool,
    ) -> Option<&Job> {
        self.jobs
            .iter()
            .filter(|job| Some(job.id) != except)
            .find(|job| job.occupies(slot) && holds(job))
    }
}
