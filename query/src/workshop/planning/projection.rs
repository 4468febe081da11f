//! The workshop planning read model: one row per planned date (`workshop_plannings`) and
//! one per maintenance job (`workshop_jobs`), following the `workshop_planning`
//! aggregate's `workshop.*` events (`planning_created`, `job_planned`,
//! `technician_assigned`, `job_finished`, `job_cancelled`).
//!
//! Decisions:
//! - every event of a planning moves the planning row's `version` (the aggregate's
//!   ETag), and the job it names records the same version as the job's last change;
//! - the planning row is upserted by every event, not only `planning_created`, so a
//!   job event never leaves its date without a planning row;
//! - only the planning's own facts are stored: the vehicle's, customer's and
//!   technician's details are joined at query time from their read models, so a
//!   lagging context never blocks or corrupts this one;
//! - dates are stored as `yyyy-mm-dd`, times as RFC 3339 UTC text (which sorts).

use contracts::events::WorkshopPlanningEvent;
use es_core::EventEnvelope;
use uuid::Uuid;

use crate::projection::{AggregateProjection, Projected, ProjectionError};
use crate::store::{Column, Table, Tx, Value};

pub static WORKSHOP_PLANNINGS: Table = Table {
    name: "workshop_plannings",
    columns: &[Column::text("date"), Column::int("version")],
    key: &["date"],
    indexes: &[],
};

pub static WORKSHOP_JOBS: Table = Table {
    name: "workshop_jobs",
    columns: &[
        Column::text("job_id"),
        Column::text("date"),
        Column::text("slot_start"),
        Column::text("slot_end"),
        Column::text("vehicle_license_number"),
        Column::text("customer_id"),
        Column::text("service"),
        Column::text("category"),
        Column::text("description"),
        Column::opt_text("technician_id"),
        Column::text("status"),
        Column::opt_text("actual_start"),
        Column::opt_text("actual_end"),
        Column::opt_text("notes"),
        Column::opt_text("cancel_reason"),
        Column::int("version"),
    ],
    key: &["job_id"],
    indexes: &[&["date", "slot_start"]],
};

/// The stored job `status` values (the command side's snake_case `JobStatus`).
pub const PLANNED: &str = "planned";
pub const FINISHED: &str = "finished";
pub const CANCELLED: &str = "cancelled";

pub struct WorkshopPlanningProjection;

impl AggregateProjection for WorkshopPlanningProjection {
    type Event = WorkshopPlanningEvent;
    const NAME: &'static str = "workshop_planning";
    const TABLES: &'static [&'static Table] = &[&WORKSHOP_PLANNINGS, &WORKSHOP_JOBS];

    fn project(&self, change: Self::Event, event: &EventEnvelope, tx: &mut dyn Tx) -> Projected {
        let version = Value::from(event.version);
        let date = match change {
            WorkshopPlanningEvent::PlanningCreated(created) => created.date,
            WorkshopPlanningEvent::JobPlanned(job) => {
                tx.upsert(
                    &WORKSHOP_JOBS,
                    &[
                        ("job_id", job.job_id.to_string().into()),
                        ("date", job.date.to_string().into()),
                        ("slot_start", job.slot.start.into()),
                        ("slot_end", job.slot.end.into()),
                        ("vehicle_license_number", job.vehicle.to_uppercase().into()),
                        ("customer_id", job.customer_id.to_string().into()),
                        ("service", job.service.as_str().into()),
                        ("category", job.category.as_str().into()),
                        ("description", job.description.into()),
                        (
                            "technician_id",
                            job.technician_id.map(|t| t.to_string()).into(),
                        ),
                        ("status", PLANNED.into()),
                        ("actual_start", Value::Null),
                        ("actual_end", Value::Null),
                        ("notes", Value::Null),
                        ("cancel_reason", Value::Null),
                        ("version", version.clone()),
                    ],
                )?;
                job.date
            }
            WorkshopPlanningEvent::TechnicianAssigned(assigned) => {
                update_job(
                    tx,
                    assigned.job_id,
                    vec![
                        ("technician_id", assigned.technician_id.to_string().into()),
                        ("version", version.clone()),
                    ],
                )?;
                assigned.date
            }
            WorkshopPlanningEvent::JobFinished(finished) => {
                update_job(
                    tx,
                    finished.job_id,
                    vec![
                        ("status", FINISHED.into()),
                        ("actual_start", finished.actual.start.into()),
                        ("actual_end", finished.actual.end.into()),
                        ("notes", finished.notes.into()),
                        ("version", version.clone()),
                    ],
                )?;
                finished.date
            }
            WorkshopPlanningEvent::JobCancelled(cancelled) => {
                update_job(
                    tx,
                    cancelled.job_id,
                    vec![
                        ("status", CANCELLED.into()),
                        ("cancel_reason", cancelled.reason.into()),
                        ("version", version.clone()),
                    ],
                )?;
                cancelled.date
            }
        };
        tx.upsert(
            &WORKSHOP_PLANNINGS,
            &[("date", date.to_string().into()), ("version", version)],
        )?;
        Ok(())
    }
}

fn update_job(
    tx: &mut dyn Tx,
    job_id: Uuid,
    set: Vec<(&'static str, Value)>,
) -> Result<(), ProjectionError> {
    tx.update(
        &WORKSHOP_JOBS,
        &[("job_id", job_id.to_string().into())],
        &set,
    )?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
