use serde_json::json;

use super::*;
use crate::projection::{Outcome, Projection, ProjectionError};
use crate::store::{Reader, Row};
use crate::testing::{EventFactory, TestDb};
use crate::workshop::test_events::{
    DATE, JOB, OTHER_TECH, TECH, job_cancelled, job_finished, morning, plan, planning_event, slot,
    technician_assigned,
};

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
    let assigned = technician_assigned(&mut factory, JOB, morning(), OTHER_TECH, Some(TECH));
    events.push(assigned);
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
    let actual = slot("2026-03-02T09:15:00Z", "2026-03-02T11:30:00Z");
    let notes = Some("Valve replaced too");
    events.push(job_finished(
        &mut factory,
        JOB,
        actual,
        notes,
        "AB-123-C",
        Some(TECH),
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
    let reason = "Customer called off";
    events.push(job_cancelled(&mut factory, JOB, reason, "AB-123-C", None));
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
    let bad = planning_event(
        &mut EventFactory::new(),
        "workshop.job_planned.v1",
        json!({"date": "second of March", "job_id": JOB}),
    );
    assert!(matches!(
        db.apply(&[bad]).as_slice(),
        [Err(ProjectionError::Malformed { .. })]
    ));
}
