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

use crate::projection::{Decoded, Outcome, Projection, ProjectionError, decode};
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

static TABLES: [&Table; 2] = [&WORKSHOP_PLANNINGS, &WORKSHOP_JOBS];

pub struct WorkshopPlanningProjection;

impl Projection for WorkshopPlanningProjection {
    fn name(&self) -> &'static str {
        "workshop_planning"
    }

    fn tables(&self) -> &'static [&'static Table] {
        &TABLES
    }

    fn apply(&self, event: &EventEnvelope, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError> {
        let change = match decode::<WorkshopPlanningEvent>(event)? {
            Decoded::Event(change) => change,
            Decoded::Skip(outcome) => return Ok(outcome),
        };
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
        Ok(Outcome::Applied)
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
pub(crate) mod tests {
    use serde_json::{Value as Json, json};

    use super::*;
    use crate::store::{Reader, Row};
    use crate::testing::{EventFactory, TestDb};

    pub const DATE: &str = "2026-03-02";
    pub const JOB: &str = "0190a5e4-7b1c-7c3e-9f00-00000000a001";
    pub const CUSTOMER: &str = "0190a5e4-7b1c-7c3e-9f00-00000000c001";
    pub const TECH: &str = "0190a5e4-7b1c-7c3e-9f00-00000000b001";
    pub const OTHER_TECH: &str = "0190a5e4-7b1c-7c3e-9f00-00000000b002";

    /// `workshop.job_planned.v1` exactly as the command side writes it.
    pub fn job_planned(job_id: &str, start: &str, end: &str, technician: Option<&str>) -> Json {
        json!({
            "date": DATE,
            "job_id": job_id,
            "slot": {"start": start, "end": end},
            "vehicle": "AB-123-C",
            "customer_id": CUSTOMER,
            "service": "tire_rotation",
            "category": "maintenance",
            "description": "Rotate all four",
            "technician_id": technician,
        })
    }

    pub fn plan(
        factory: &mut EventFactory,
        job_id: &str,
        technician: Option<&str>,
    ) -> Vec<EventEnvelope> {
        vec![
            factory.event(
                "workshop_planning",
                DATE,
                "workshop.planning_created.v1",
                json!({"date": DATE}),
            ),
            factory.event(
                "workshop_planning",
                DATE,
                "workshop.job_planned.v1",
                job_planned(
                    job_id,
                    "2026-03-02T09:00:00Z",
                    "2026-03-02T11:00:00Z",
                    technician,
                ),
            ),
        ]
    }

    fn db() -> TestDb {
        TestDb::new(vec![
            Box::new(WorkshopPlanningProjection) as Box<dyn Projection>
        ])
    }

    fn job(db: &TestDb) -> Row {
        db.read(|reader: &mut dyn Reader| {
            reader
                .get(&WORKSHOP_JOBS, &[("job_id", JOB.into())])
                .unwrap()
                .expect("a job row")
        })
    }

    fn planning_version(db: &TestDb) -> i64 {
        db.read(|reader: &mut dyn Reader| {
            reader
                .get(&WORKSHOP_PLANNINGS, &[("date", DATE.into())])
                .unwrap()
                .expect("a planning row")
                .int("version")
                .unwrap()
        })
    }

    #[test]
    fn a_planned_job_is_stored_with_its_slot_and_the_planning_version() {
        let db = db();
        let mut factory = EventFactory::new();
        let results = db.apply(&plan(&mut factory, JOB, None));
        assert_eq!(results, vec![Ok(Outcome::Applied), Ok(Outcome::Applied)]);
        let row = job(&db);
        assert_eq!(row.text("date").unwrap(), DATE);
        assert_eq!(
            row.text("slot_start").unwrap(),
            "2026-03-02T09:00:00.000000Z"
        );
        assert_eq!(row.text("vehicle_license_number").unwrap(), "AB-123-C");
        assert_eq!(row.text("service").unwrap(), "tire_rotation");
        assert_eq!(row.text("category").unwrap(), "maintenance");
        assert_eq!(row.text("status").unwrap(), PLANNED);
        assert_eq!(row.opt_text("technician_id").unwrap(), None);
        assert_eq!(row.int("version").unwrap(), 2);
        assert_eq!(planning_version(&db), 2);
    }

    #[test]
    fn assigning_a_technician_replaces_the_job_technician() {
        let db = db();
        let mut factory = EventFactory::new();
        let mut events = plan(&mut factory, JOB, Some(TECH));
        events.push(factory.event(
            "workshop_planning",
            DATE,
            "workshop.technician_assigned.v1",
            json!({
                "date": DATE, "job_id": JOB,
                "slot": {"start": "2026-03-02T09:00:00Z", "end": "2026-03-02T11:00:00Z"},
                "technician_id": OTHER_TECH, "previous_technician_id": TECH,
            }),
        ));
        db.apply(&events);
        let row = job(&db);
        assert_eq!(
            row.opt_text("technician_id").unwrap().as_deref(),
            Some(OTHER_TECH)
        );
        assert_eq!(row.int("version").unwrap(), 3);
        assert_eq!(planning_version(&db), 3);
    }

    #[test]
    fn a_finished_job_records_its_actual_slot_and_notes() {
        let db = db();
        let mut factory = EventFactory::new();
        let mut events = plan(&mut factory, JOB, Some(TECH));
        events.push(factory.event(
            "workshop_planning",
            DATE,
            "workshop.job_finished.v1",
            json!({
                "date": DATE, "job_id": JOB,
                "actual": {"start": "2026-03-02T09:15:00Z", "end": "2026-03-02T11:30:00Z"},
                "notes": "Valve replaced too", "vehicle": "AB-123-C", "technician_id": TECH,
            }),
        ));
        db.apply(&events);
        let row = job(&db);
        assert_eq!(row.text("status").unwrap(), FINISHED);
        assert_eq!(
            row.text("actual_end").unwrap(),
            "2026-03-02T11:30:00.000000Z"
        );
        assert_eq!(
            row.opt_text("notes").unwrap().as_deref(),
            Some("Valve replaced too")
        );
        assert_eq!(row.int("version").unwrap(), 3);
    }

    #[test]
    fn a_cancelled_job_records_its_reason() {
        let db = db();
        let mut factory = EventFactory::new();
        let mut events = plan(&mut factory, JOB, None);
        events.push(factory.event(
            "workshop_planning",
            DATE,
            "workshop.job_cancelled.v1",
            json!({
                "date": DATE, "job_id": JOB, "reason": "Customer called off",
                "vehicle": "AB-123-C", "technician_id": null,
            }),
        ));
        db.apply(&events);
        let row = job(&db);
        assert_eq!(row.text("status").unwrap(), CANCELLED);
        assert_eq!(
            row.opt_text("cancel_reason").unwrap().as_deref(),
            Some("Customer called off")
        );
        assert_eq!(row.opt_text("actual_start").unwrap(), None);
    }

    #[test]
    fn an_unknown_workshop_event_is_unknown_and_a_malformed_one_is_rejected() {
        let db = db();
        let mut factory = EventFactory::new();
        let strange = factory.event(
            "workshop_planning",
            DATE,
            "workshop.job_paused.v1",
            json!({"date": DATE, "job_id": JOB}),
        );
        let bad = factory.event(
            "workshop_planning",
            DATE,
            "workshop.job_planned.v1",
            json!({"date": "second of March", "job_id": JOB}),
        );
        let other = factory.event("technician", TECH, "technician.registered.v1", json!({}));
        let results = db.apply(&[strange, bad, other]);
        assert_eq!(results[0], Ok(Outcome::Unknown));
        assert!(matches!(results[1], Err(ProjectionError::Malformed { .. })));
        assert_eq!(results[2], Ok(Outcome::Ignored));
    }
}
