use serde_json::{Value as Json, json};

use super::*;
use crate::projection::{Outcome, Projection, ProjectionError};
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
fn a_malformed_workshop_event_is_rejected() {
    let db = db();
    let bad = EventFactory::new().event(
        "workshop_planning",
        DATE,
        "workshop.job_planned.v1",
        json!({"date": "second of March", "job_id": JOB}),
    );
    assert!(matches!(
        db.apply(&[bad]).as_slice(),
        [Err(ProjectionError::Malformed { .. })]
    ));
}
