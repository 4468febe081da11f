use serde_json::json;

use super::*;
use crate::deliveries::test_events::{
    DELIVERY, DRIVER, Events, INCIDENT, ROUTE, apply_all, at, db, rows,
};
use crate::projection::ProjectionError;
use crate::store::Row;
use crate::testing::TestDb;

fn delivery(db: &TestDb) -> Row {
    rows(db, &DELIVERIES, "delivery_id", DELIVERY, "delivery_id").remove(0)
}

fn reached(db: &TestDb) -> Vec<Option<chrono::DateTime<chrono::Utc>>> {
    rows(
        db,
        &DELIVERY_CHECKPOINTS,
        "delivery_id",
        DELIVERY,
        "sequence",
    )
    .iter()
    .map(|c| c.opt_time("reached_at").unwrap())
    .collect()
}

fn summaries(db: &TestDb) -> Vec<(i64, String, String)> {
    rows(db, &DELIVERY_TIMELINE, "delivery_id", DELIVERY, "version")
        .iter()
        .map(|e| {
            let summary = e.text("summary").unwrap();
            (
                e.int("version").unwrap(),
                summary,
                e.text("status").unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_created_delivery_is_picked_up_with_its_slot_and_copied_checkpoints() {
    let (db, mut events) = (db(), Events::default());
    apply_all(&db, &[events.delivery_created(DELIVERY, ROUTE)]);
    let row = delivery(&db);
    assert_eq!(row.text("route_id").unwrap(), ROUTE);
    assert_eq!(row.time("slot_start").unwrap(), at(8, 0));
    assert_eq!(row.time("slot_end").unwrap(), at(10, 0));
    assert_eq!(row.text("status").unwrap(), "picked_up");
    assert_eq!(row.opt_text("driver_id").unwrap(), None);
    assert_eq!(row.opt_text("last_location").unwrap(), None);
    assert_eq!(
        row.time("created_at").unwrap(),
        row.time("updated_at").unwrap()
    );
    assert_eq!(row.int("version").unwrap(), 1);
    let checkpoints = rows(
        &db,
        &DELIVERY_CHECKPOINTS,
        "delivery_id",
        DELIVERY,
        "sequence",
    );
    let copied: Vec<(String, i64, String)> = checkpoints
        .iter()
        .map(|c| {
            let route_id = c.text("route_id").unwrap();
            (
                route_id,
                c.int("sequence").unwrap(),
                c.text("location").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        copied,
        [
            (ROUTE.into(), 1, "Market".into()),
            (ROUTE.into(), 2, "Station".into())
        ]
    );
    assert_eq!(reached(&db), [None, None]);
}

#[test]
fn assigning_a_driver_and_a_vehicle_sets_them() {
    let (db, mut events) = (db(), Events::default());
    apply_all(
        &db,
        &[
            events.delivery_created(DELIVERY, ROUTE),
            events.driver_assigned(DELIVERY, DRIVER),
            events.vehicle_assigned(DELIVERY, "AB-123-C"),
        ],
    );
    let row = delivery(&db);
    assert_eq!(row.opt_text("driver_id").unwrap().as_deref(), Some(DRIVER));
    assert_eq!(
        row.opt_text("vehicle_license_number").unwrap().as_deref(),
        Some("AB-123-C")
    );
    assert_eq!(row.int("version").unwrap(), 3);
    assert!(row.time("updated_at").unwrap() > row.time("created_at").unwrap());
}

#[test]
fn a_status_change_sets_the_status_and_a_failure_its_reason() {
    let (db, mut events) = (db(), Events::default());
    apply_all(&db, &events.in_transit(DELIVERY, ROUTE));
    assert_eq!(delivery(&db).text("status").unwrap(), "in_transit");
    let failed = events.status_changed(DELIVERY, "in_transit", "failed", Some("Road closed"));
    apply_all(&db, &[failed]);
    let row = delivery(&db);
    assert_eq!(row.text("status").unwrap(), "failed");
    assert_eq!(
        row.opt_text("failure_reason").unwrap().as_deref(),
        Some("Road closed")
    );
    assert_eq!(row.int("version").unwrap(), 5);
}

#[test]
fn a_reached_checkpoint_records_its_time_and_the_last_location() {
    let (db, mut events) = (db(), Events::default());
    apply_all(&db, &events.in_transit(DELIVERY, ROUTE));
    apply_all(
        &db,
        &[events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5))],
    );
    assert_eq!(reached(&db), [Some(at(9, 5)), None]);
    let row = delivery(&db);
    assert_eq!(row.opt_int("last_checkpoint_sequence").unwrap(), Some(1));
    assert_eq!(
        row.opt_text("last_location").unwrap().as_deref(),
        Some("Market")
    );
    assert_eq!(row.opt_time("last_seen_at").unwrap(), Some(at(9, 5)));
}

#[test]
fn a_retry_clears_the_reached_checkpoints_the_last_location_and_the_failure_reason() {
    let (db, mut events) = (db(), Events::default());
    let mut history = events.in_transit(DELIVERY, ROUTE);
    history.extend([
        events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5)),
        events.status_changed(DELIVERY, "in_transit", "failed", Some("Road closed")),
        events.status_changed(DELIVERY, "failed", "picked_up", None),
    ]);
    apply_all(&db, &history);
    assert_eq!(reached(&db), [None, None]);
    let row = delivery(&db);
    assert_eq!(row.text("status").unwrap(), "picked_up");
    assert_eq!(row.opt_text("failure_reason").unwrap(), None);
    assert_eq!(row.opt_int("last_checkpoint_sequence").unwrap(), None);
    assert_eq!(row.opt_text("last_location").unwrap(), None);
    assert_eq!(row.opt_time("last_seen_at").unwrap(), None);
}

#[test]
fn an_incident_is_reported_then_resolved() {
    let (db, mut events) = (db(), Events::default());
    apply_all(
        &db,
        &[
            events.delivery_created(DELIVERY, ROUTE),
            events.incident_reported(DELIVERY, "delay"),
        ],
    );
    let incident = || {
        rows(
            &db,
            &DELIVERY_INCIDENTS,
            "delivery_id",
            DELIVERY,
            "incident_id",
        )
    };
    let open = incident().remove(0);
    assert_eq!(open.text("incident_id").unwrap(), INCIDENT);
    assert_eq!(open.text("incident_type").unwrap(), "delay");
    assert_eq!(
        open.text("description").unwrap(),
        "Flat tyre on the ring road"
    );
    assert_eq!(open.time("reported_at").unwrap(), at(9, 15));
    assert_eq!(open.opt_text("resolution").unwrap(), None);

    apply_all(&db, &[events.incident_resolved(DELIVERY)]);
    let resolved = incident().remove(0);
    assert_eq!(
        resolved.opt_text("resolution").unwrap().as_deref(),
        Some("Tyre replaced")
    );
    assert_eq!(resolved.opt_time("resolved_at").unwrap(), Some(at(9, 40)));
    assert_eq!(delivery(&db).int("version").unwrap(), 3);
}

#[test]
fn a_captured_proof_of_delivery_is_stored() {
    let (db, mut events) = (db(), Events::default());
    apply_all(
        &db,
        &[
            events.delivery_created(DELIVERY, ROUTE),
            events.proof_captured(DELIVERY),
        ],
    );
    let row = delivery(&db);
    assert_eq!(
        row.opt_text("proof_receiver_name").unwrap().as_deref(),
        Some("Ada Receiver")
    );
    assert_eq!(
        row.opt_text("proof_signature_reference")
            .unwrap()
            .as_deref(),
        Some("sig/123")
    );
    assert_eq!(row.opt_time("proof_captured_at").unwrap(), Some(at(10, 5)));
}

#[test]
fn every_event_adds_a_timeline_entry_with_its_summary_and_the_status_after_it() {
    let (db, mut events) = (db(), Events::default());
    let mut history = events.in_transit(DELIVERY, ROUTE);
    history.extend([
        events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5)),
        events.incident_reported(DELIVERY, "delay"),
        events.incident_resolved(DELIVERY),
        events.checkpoint_reached(DELIVERY, 2, "Station", at(9, 55)),
        events.status_changed(DELIVERY, "in_transit", "out_for_delivery", None),
        events.proof_captured(DELIVERY),
        events.status_changed(DELIVERY, "out_for_delivery", "delivered", None),
    ]);
    apply_all(&db, &history);
    let expected: Vec<(i64, String, String)> = [
        (
            format!("created on route {ROUTE} with 2 checkpoints"),
            "picked_up",
        ),
        (format!("driver {DRIVER} assigned"), "picked_up"),
        ("vehicle AB-123-C assigned".into(), "picked_up"),
        ("picked_up → in_transit".into(), "in_transit"),
        ("reached checkpoint 1 (Market)".into(), "in_transit"),
        (
            "incident reported (delay): Flat tyre on the ring road".into(),
            "in_transit",
        ),
        (
            "incident resolved (delay): Tyre replaced".into(),
            "in_transit",
        ),
        ("reached checkpoint 2 (Station)".into(), "in_transit"),
        ("in_transit → out_for_delivery".into(), "out_for_delivery"),
        (
            "proof of delivery captured, received by Ada Receiver".into(),
            "out_for_delivery",
        ),
        ("out_for_delivery → delivered".into(), "delivered"),
    ]
    .into_iter()
    .zip(1..)
    .map(|((summary, status), version)| (version, summary, status.to_owned()))
    .collect();
    assert_eq!(summaries(&db), expected);

    let first = rows(&db, &DELIVERY_TIMELINE, "delivery_id", DELIVERY, "version").remove(0);
    assert_eq!(first.text("event_type").unwrap(), "delivery.created.v1");
    assert_eq!(first.time("occurred_at").unwrap(), history[0].occurred_at);
    assert_eq!(
        first.text("actor_subject").unwrap(),
        history[0].actor.subject
    );
}

#[test]
fn a_failure_and_a_replacement_are_summarised_with_their_details() {
    let (db, mut events) = (db(), Events::default());
    let mut history = events.in_transit(DELIVERY, ROUTE);
    history.extend([
        events.status_changed(DELIVERY, "in_transit", "failed", Some("Road closed")),
        events.status_changed(DELIVERY, "failed", "picked_up", None),
        events.delivery(
            DELIVERY,
            "delivery.vehicle_assigned.v1",
            json!({ "delivery_id": DELIVERY, "vehicle_license_number": "XY-9-Z",
                    "previous_vehicle_license_number": "AB-123-C",
                    "slot": { "start": at(8, 0), "end": at(10, 0) } }),
        ),
    ]);
    apply_all(&db, &history);
    let summaries: Vec<String> = summaries(&db).into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(
        summaries[4..],
        [
            "in_transit → failed: Road closed".to_owned(),
            "failed → picked_up".into(),
            "vehicle XY-9-Z assigned, replacing AB-123-C".into(),
        ]
    );
}

#[test]
fn a_malformed_delivery_payload_is_malformed() {
    let (db, mut events) = (db(), Events::default());
    let created = events.delivery_created(DELIVERY, ROUTE);
    let lost = events.delivery(
        DELIVERY,
        "delivery.status_changed.v1",
        json!({ "delivery_id": DELIVERY, "from": "in_transit", "to": "lost",
                "at": at(9, 0), "reason": null }),
    );
    let results = db.apply(&[created, lost]);
    assert!(matches!(
        &results[1],
        Err(ProjectionError::Malformed { event_type, .. })
            if event_type == "delivery.status_changed.v1"
    ));
    assert_eq!(delivery(&db).text("status").unwrap(), "picked_up");
}
