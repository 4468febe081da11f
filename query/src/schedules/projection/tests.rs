use serde_json::{Value as Json, json};

use super::*;
use crate::store::{Order, Reader, Select};
use crate::testing::{EventFactory, TestDb};
// `JOB` here is the holder kind; the workshop's job is `JOB_ID`.
pub use crate::workshop::test_events::{JOB as JOB_ID, OTHER_TECH as TECH_B, TECH as TECH_A};
use crate::workshop::test_events::{
    job_cancelled, job_finished, job_planned, morning, planning_created, planning_event, slot,
    technician_assigned,
};

pub const DELIVERY_ID: &str = "0190a5e4-7b1c-7c3e-9f00-00000000d001";
pub const DRIVER_A: &str = "0190a5e4-7b1c-7c3e-9f00-00000000e001";
pub const DRIVER_B: &str = "0190a5e4-7b1c-7c3e-9f00-00000000e002";

pub fn delivery_created(f: &mut EventFactory, delivery_id: &str, slot: Json) -> EventEnvelope {
    f.event(
        "delivery",
        delivery_id,
        "delivery.created.v1",
        json!({
            "delivery_id": delivery_id,
            "route_id": "0190a5e4-7b1c-7c3e-9f00-00000000f001",
            "slot": slot,
            "checkpoints": [
                {"sequence": 1, "location": "Depot North", "expected_at": "2026-03-02T12:00:00Z"},
            ],
        }),
    )
}

pub fn driver_assigned(
    f: &mut EventFactory,
    delivery_id: &str,
    slot: Json,
    driver: &str,
    previous: Option<&str>,
) -> EventEnvelope {
    f.event(
        "delivery",
        delivery_id,
        "delivery.driver_assigned.v1",
        json!({
            "delivery_id": delivery_id, "driver_id": driver,
            "previous_driver_id": previous, "slot": slot,
        }),
    )
}

pub fn vehicle_assigned(
    f: &mut EventFactory,
    delivery_id: &str,
    slot: Json,
    vehicle: &str,
    previous: Option<&str>,
) -> EventEnvelope {
    f.event(
        "delivery",
        delivery_id,
        "delivery.vehicle_assigned.v1",
        json!({
            "delivery_id": delivery_id, "vehicle_license_number": vehicle,
            "previous_vehicle_license_number": previous, "slot": slot,
        }),
    )
}

pub fn status_changed(
    f: &mut EventFactory,
    delivery_id: &str,
    from: &str,
    to: &str,
) -> EventEnvelope {
    f.event(
        "delivery",
        delivery_id,
        "delivery.status_changed.v1",
        json!({
            "delivery_id": delivery_id, "from": from, "to": to,
            "at": "2026-03-02T10:30:00Z", "reason": null,
        }),
    )
}

fn db() -> TestDb {
    TestDb::new(vec![
        Box::new(ResourceSchedulesProjection) as Box<dyn Projection>
    ])
}

/// Every booked slot as `kind resource holder status`, in key order.
fn slots(db: &TestDb) -> Vec<String> {
    db.read(|reader: &mut dyn Reader| {
        let select = Select::from(&RESOURCE_SLOTS)
            .order_by("resource_kind", Order::Asc)
            .order_by("resource_id", Order::Asc);
        reader
            .select(&select)
            .unwrap()
            .iter()
            .map(|row| {
                let text = |column| row.text(column).unwrap();
                format!(
                    "{} {} {} {}",
                    text("resource_kind"),
                    text("resource_id"),
                    text("holder_id"),
                    text("status")
                )
            })
            .collect()
    })
}

fn applied(db: &TestDb, events: &[EventEnvelope]) {
    let results = db.apply(events);
    assert!(
        results.iter().all(|r| r == &Ok(Outcome::Applied)),
        "{results:?}"
    );
}

#[test]
fn a_planned_job_books_its_vehicle_and_its_technician() {
    let db = db();
    let mut f = EventFactory::new();
    applied(
        &db,
        &[job_planned(
            &mut f,
            JOB_ID,
            morning(),
            "ab-123-c",
            Some(TECH_A),
        )],
    );
    assert_eq!(
        slots(&db),
        [
            format!("technician {TECH_A} {JOB_ID} planned"),
            format!("vehicle AB-123-C {JOB_ID} planned"),
        ]
    );
    let row = db.read(|reader: &mut dyn Reader| {
        let key = [
            ("resource_kind", VEHICLE.into()),
            ("resource_id", "AB-123-C".into()),
            ("holder_kind", JOB.into()),
            ("holder_id", JOB_ID.into()),
        ];
        reader.get(&RESOURCE_SLOTS, &key).unwrap().unwrap()
    });
    assert_eq!(
        row.text("slot_start").unwrap(),
        "2026-03-02T09:00:00.000000Z"
    );
    assert_eq!(row.text("slot_end").unwrap(), "2026-03-02T11:00:00.000000Z");
}

#[test]
fn a_job_without_a_technician_books_only_its_vehicle() {
    let db = db();
    let mut f = EventFactory::new();
    applied(
        &db,
        &[job_planned(&mut f, JOB_ID, morning(), "AB-123-C", None)],
    );
    assert_eq!(slots(&db), [format!("vehicle AB-123-C {JOB_ID} planned")]);
}

#[test]
fn assigning_a_technician_moves_the_job_technician_slot() {
    let db = db();
    let mut f = EventFactory::new();
    let planned = job_planned(&mut f, JOB_ID, morning(), "AB-123-C", Some(TECH_A));
    let assigned = technician_assigned(&mut f, JOB_ID, morning(), TECH_B, Some(TECH_A));
    applied(&db, &[planned, assigned]);
    assert_eq!(
        slots(&db),
        [
            format!("technician {TECH_B} {JOB_ID} planned"),
            format!("vehicle AB-123-C {JOB_ID} planned"),
        ]
    );
}

#[test]
fn finished_and_cancelled_jobs_keep_their_slots_with_their_status() {
    let db = db();
    let mut f = EventFactory::new();
    const OTHER_JOB: &str = "0190a5e4-7b1c-7c3e-9f00-00000000a002";
    let actual = slot("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z");
    let events = [
        job_planned(&mut f, JOB_ID, morning(), "AB-123-C", Some(TECH_A)),
        job_planned(
            &mut f,
            OTHER_JOB,
            slot("2026-03-02T13:00:00Z", "2026-03-02T14:00:00Z"),
            "XY-9-Z",
            None,
        ),
        job_finished(&mut f, JOB_ID, actual, None, "AB-123-C", Some(TECH_A)),
        job_cancelled(&mut f, OTHER_JOB, "No show", "XY-9-Z", None),
    ];
    applied(&db, &events);
    assert_eq!(
        slots(&db),
        [
            format!("technician {TECH_A} {JOB_ID} finished"),
            format!("vehicle AB-123-C {JOB_ID} finished"),
            format!("vehicle XY-9-Z {OTHER_JOB} cancelled"),
        ]
    );
}

#[test]
fn a_delivery_books_its_driver_and_vehicle_once_assigned() {
    let db = db();
    let mut f = EventFactory::new();
    let s = slot("2026-03-02T10:00:00Z", "2026-03-02T16:00:00Z");
    applied(&db, &[delivery_created(&mut f, DELIVERY_ID, s.clone())]);
    assert!(slots(&db).is_empty());
    applied(
        &db,
        &[
            driver_assigned(&mut f, DELIVERY_ID, s.clone(), DRIVER_A, None),
            vehicle_assigned(&mut f, DELIVERY_ID, s, "VAN-1-A", None),
        ],
    );
    assert_eq!(
        slots(&db),
        [
            format!("driver {DRIVER_A} {DELIVERY_ID} picked_up"),
            format!("vehicle VAN-1-A {DELIVERY_ID} picked_up"),
        ]
    );
}

#[test]
fn reassigning_a_driver_or_vehicle_frees_the_previous_one() {
    let db = db();
    let mut f = EventFactory::new();
    let s = slot("2026-03-02T10:00:00Z", "2026-03-02T16:00:00Z");
    let events = [
        delivery_created(&mut f, DELIVERY_ID, s.clone()),
        driver_assigned(&mut f, DELIVERY_ID, s.clone(), DRIVER_A, None),
        vehicle_assigned(&mut f, DELIVERY_ID, s.clone(), "VAN-1-A", None),
        driver_assigned(&mut f, DELIVERY_ID, s.clone(), DRIVER_B, Some(DRIVER_A)),
        vehicle_assigned(&mut f, DELIVERY_ID, s, "VAN-2-B", Some("VAN-1-A")),
    ];
    applied(&db, &events);
    assert_eq!(
        slots(&db),
        [
            format!("driver {DRIVER_B} {DELIVERY_ID} picked_up"),
            format!("vehicle VAN-2-B {DELIVERY_ID} picked_up"),
        ]
    );
    let remembered = db.read(|reader: &mut dyn Reader| {
        reader
            .get(&SCHEDULE_DELIVERIES, &[("delivery_id", DELIVERY_ID.into())])
            .unwrap()
            .unwrap()
    });
    assert_eq!(
        remembered.opt_text("driver_id").unwrap().as_deref(),
        Some(DRIVER_B)
    );
    assert_eq!(
        remembered.opt_text("vehicle").unwrap().as_deref(),
        Some("VAN-2-B")
    );
}

#[test]
fn status_changes_follow_the_delivery_onto_its_slots_and_later_assignments() {
    let db = db();
    let mut f = EventFactory::new();
    let s = slot("2026-03-02T10:00:00Z", "2026-03-02T16:00:00Z");
    let events = [
        delivery_created(&mut f, DELIVERY_ID, s.clone()),
        driver_assigned(&mut f, DELIVERY_ID, s.clone(), DRIVER_A, None),
        status_changed(&mut f, DELIVERY_ID, "picked_up", "failed"),
    ];
    applied(&db, &events);
    assert_eq!(
        slots(&db),
        [format!("driver {DRIVER_A} {DELIVERY_ID} failed")]
    );
    // A slot booked after a status change takes the remembered status.
    applied(
        &db,
        &[vehicle_assigned(&mut f, DELIVERY_ID, s, "VAN-1-A", None)],
    );
    assert_eq!(
        slots(&db),
        [
            format!("driver {DRIVER_A} {DELIVERY_ID} failed"),
            format!("vehicle VAN-1-A {DELIVERY_ID} failed"),
        ]
    );
}

#[test]
fn events_that_book_nothing_are_ignored_and_unknown_ones_are_unknown() {
    let db = db();
    let mut f = EventFactory::new();
    let events = [
        planning_created(&mut f),
        f.event(
            "delivery",
            DELIVERY_ID,
            "delivery.checkpoint_reached.v1",
            json!({"delivery_id": DELIVERY_ID, "sequence": 1, "location": "Depot", "at": "2026-03-02T12:00:00Z"}),
        ),
        f.event("customer", JOB_ID, "customer.registered.v1", json!({})),
        f.event("delivery", DELIVERY_ID, "delivery.teleported.v1", json!({})),
        planning_event(&mut f, "workshop.job_paused.v1", json!({})),
    ];
    assert_eq!(
        db.apply(&events),
        vec![
            Ok(Outcome::Ignored),
            Ok(Outcome::Ignored),
            Ok(Outcome::Ignored),
            Ok(Outcome::Unknown),
            Ok(Outcome::Unknown),
        ]
    );
}

#[test]
fn a_malformed_payload_is_rejected() {
    let db = db();
    let mut f = EventFactory::new();
    let bad_slot = driver_assigned(
        &mut f,
        DELIVERY_ID,
        json!({"start": "soon"}),
        DRIVER_A,
        None,
    );
    let bad_job = planning_event(&mut f, "workshop.job_cancelled.v1", json!({"job_id": 7}));
    for result in db.apply(&[bad_slot, bad_job]) {
        assert!(
            matches!(result, Err(ProjectionError::Malformed { .. })),
            "{result:?}"
        );
    }
}
