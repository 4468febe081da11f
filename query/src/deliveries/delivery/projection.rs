//! The deliveries read model: one row per delivery, its copied checkpoints (with when
//! each was reached), its incidents and its timeline.
//!
//! Follows `delivery.created.v1`, `delivery.driver_assigned.v1`,
//! `delivery.vehicle_assigned.v1`, `delivery.status_changed.v1`,
//! `delivery.checkpoint_reached.v1`, `delivery.incident_reported.v1`,
//! `delivery.incident_resolved.v1` and `delivery.proof_of_delivery_captured.v1`; any
//! other `delivery.*` type is [`Outcome::Unknown`].
//!
//! Decisions (mirroring the aggregate's `apply`):
//! - a change to `picked_up` (a retry) starts a new run: every `reached_at` and the
//!   last location are cleared; `failure_reason` is the reason of the latest status
//!   change, so it is set only while failed;
//! - `last_location`, `last_checkpoint_sequence` and `last_seen_at` are the last
//!   checkpoint reached in the current run (null before the first one);
//! - `delivery_checkpoints` also carries the `route_id`, so a route's checkpoint
//!   status can be read from its deliveries without joining;
//! - every event adds one `delivery_timeline` row (key: the event's stream version)
//!   with the status after the event and the actor who caused it; a timeline entry's
//!   time is the envelope's `occurred_at` (the command side stamps payload times with
//!   the same clock).

use contracts::events::DeliveryEvent;
use es_core::EventEnvelope;
use uuid::Uuid;

use super::timeline::summary;
use crate::deliveries::status::DeliveryStatus;
use crate::projection::{Decoded, Outcome, Projection, ProjectionError, decode};
use crate::store::{Column, DbError, Table, Tx, Value};

pub static DELIVERIES: Table = Table {
    name: "deliveries",
    columns: &[
        Column::text("delivery_id"),
        Column::text("route_id"),
        Column::text("slot_start"),
        Column::text("slot_end"),
        Column::opt_text("driver_id"),
        Column::opt_text("vehicle_license_number"),
        Column::text("status"),
        Column::opt_int("last_checkpoint_sequence"),
        Column::opt_text("last_location"),
        Column::opt_text("last_seen_at"),
        Column::opt_text("failure_reason"),
        Column::opt_text("proof_receiver_name"),
        Column::opt_text("proof_signature_reference"),
        Column::opt_text("proof_captured_at"),
        Column::text("created_at"),
        Column::text("updated_at"),
        Column::int("version"),
    ],
    key: &["delivery_id"],
    // `ListDeliveries` filters on each of these; a driver's or a vehicle's deliveries
    // are read in slot order through their index. (An index added here is created on
    // the next start, over the existing rows: no rebuild needed.)
    indexes: &[
        &["route_id"],
        &["status"],
        &["driver_id", "slot_start"],
        &["vehicle_license_number", "slot_start"],
    ],
};

pub static DELIVERY_CHECKPOINTS: Table = Table {
    name: "delivery_checkpoints",
    columns: &[
        Column::text("delivery_id"),
        Column::text("route_id"),
        Column::int("sequence"),
        Column::text("location"),
        Column::text("expected_at"),
        Column::opt_text("reached_at"),
    ],
    key: &["delivery_id", "sequence"],
    indexes: &[&["route_id", "sequence"]],
};

pub static DELIVERY_INCIDENTS: Table = Table {
    name: "delivery_incidents",
    columns: &[
        Column::text("delivery_id"),
        Column::text("incident_id"),
        Column::text("incident_type"),
        Column::text("description"),
        Column::text("reported_at"),
        Column::opt_text("resolution"),
        Column::opt_text("resolved_at"),
    ],
    key: &["delivery_id", "incident_id"],
    indexes: &[],
};

pub static DELIVERY_TIMELINE: Table = Table {
    name: "delivery_timeline",
    columns: &[
        Column::text("delivery_id"),
        Column::int("version"),
        Column::text("event_type"),
        Column::text("occurred_at"),
        Column::text("summary"),
        Column::text("status"),
        Column::text("actor_subject"),
    ],
    key: &["delivery_id", "version"],
    indexes: &[],
};

static TABLES: [&Table; 4] = [
    &DELIVERIES,
    &DELIVERY_CHECKPOINTS,
    &DELIVERY_INCIDENTS,
    &DELIVERY_TIMELINE,
];

/// Projects `delivery.*` events into [`DELIVERIES`], [`DELIVERY_CHECKPOINTS`],
/// [`DELIVERY_INCIDENTS`] and [`DELIVERY_TIMELINE`].
pub struct DeliveryProjection;

impl Projection for DeliveryProjection {
    fn name(&self) -> &'static str {
        "deliveries"
    }

    fn tables(&self) -> &'static [&'static Table] {
        &TABLES
    }

    fn apply(&self, event: &EventEnvelope, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError> {
        let change = match decode::<DeliveryEvent>(event)? {
            Decoded::Event(change) => change,
            Decoded::Skip(outcome) => return Ok(outcome),
        };
        let delivery_id = delivery_id(&change).to_string();
        let incident_type = write(&change, &delivery_id, event, tx)?;
        let status = tx
            .get(&DELIVERIES, &[("delivery_id", delivery_id.as_str().into())])?
            .map(|row| row.text("status"))
            .transpose()?
            .unwrap_or_default();
        tx.upsert(
            &DELIVERY_TIMELINE,
            &[
                ("delivery_id", delivery_id.into()),
                ("version", event.version.into()),
                ("event_type", event.event_type.as_str().into()),
                ("occurred_at", event.occurred_at.into()),
                ("summary", summary(&change, incident_type.as_deref()).into()),
                ("status", status.into()),
                ("actor_subject", event.actor.subject.as_str().into()),
            ],
        )?;
        Ok(Outcome::Applied)
    }
}

fn delivery_id(change: &DeliveryEvent) -> Uuid {
    match change {
        DeliveryEvent::Created(e) => e.delivery_id,
        DeliveryEvent::DriverAssigned(e) => e.delivery_id,
        DeliveryEvent::VehicleAssigned(e) => e.delivery_id,
        DeliveryEvent::StatusChanged(e) => e.delivery_id,
        DeliveryEvent::CheckpointReached(e) => e.delivery_id,
        DeliveryEvent::IncidentReported(e) => e.delivery_id,
        DeliveryEvent::IncidentResolved(e) => e.delivery_id,
        DeliveryEvent::ProofOfDeliveryCaptured(e) => e.delivery_id,
    }
}

/// Applies `change` to the delivery's rows; answers the incident type of a resolved
/// incident, for its timeline summary.
fn write(
    change: &DeliveryEvent,
    delivery_id: &str,
    event: &EventEnvelope,
    tx: &mut dyn Tx,
) -> Result<Option<String>, DbError> {
    let id = || Value::from(delivery_id);
    let mut delivery: Vec<(&'static str, Value)> = vec![
        ("updated_at", event.occurred_at.into()),
        ("version", event.version.into()),
    ];
    let mut incident_type = None;
    match change {
        DeliveryEvent::Created(e) => {
            let route_id = e.route_id.to_string();
            for checkpoint in &e.checkpoints {
                tx.upsert(
                    &DELIVERY_CHECKPOINTS,
                    &[
                        ("delivery_id", id()),
                        ("route_id", route_id.as_str().into()),
                        ("sequence", checkpoint.sequence.get().into()),
                        ("location", checkpoint.location.as_str().into()),
                        ("expected_at", checkpoint.expected_at.into()),
                        ("reached_at", Value::Null),
                    ],
                )?;
            }
            delivery.extend([
                ("delivery_id", id()),
                ("route_id", route_id.into()),
                ("slot_start", e.slot.start.into()),
                ("slot_end", e.slot.end.into()),
                ("status", DeliveryStatus::PickedUp.as_str().into()),
                ("created_at", event.occurred_at.into()),
            ]);
            tx.upsert(&DELIVERIES, &delivery)?;
            return Ok(None);
        }
        DeliveryEvent::DriverAssigned(e) => {
            delivery.push(("driver_id", e.driver_id.to_string().into()));
        }
        DeliveryEvent::VehicleAssigned(e) => {
            delivery.push((
                "vehicle_license_number",
                e.vehicle_license_number.as_str().into(),
            ));
        }
        DeliveryEvent::StatusChanged(e) => {
            delivery.push(("status", e.to.as_str().into()));
            delivery.push(("failure_reason", e.reason.as_deref().into()));
            if e.to == DeliveryStatus::PickedUp {
                tx.update(
                    &DELIVERY_CHECKPOINTS,
                    &[("delivery_id", id())],
                    &[("reached_at", Value::Null)],
                )?;
                delivery.extend([
                    ("last_checkpoint_sequence", Value::Null),
                    ("last_location", Value::Null),
                    ("last_seen_at", Value::Null),
                ]);
            }
        }
        DeliveryEvent::CheckpointReached(e) => {
            tx.update(
                &DELIVERY_CHECKPOINTS,
                &[("delivery_id", id()), ("sequence", e.sequence.get().into())],
                &[("reached_at", e.at.into())],
            )?;
            delivery.extend([
                ("last_checkpoint_sequence", e.sequence.get().into()),
                ("last_location", e.location.as_str().into()),
                ("last_seen_at", e.at.into()),
            ]);
        }
        DeliveryEvent::IncidentReported(e) => {
            tx.upsert(
                &DELIVERY_INCIDENTS,
                &[
                    ("delivery_id", id()),
                    ("incident_id", e.incident_id.to_string().into()),
                    ("incident_type", e.incident_type.as_str().into()),
                    ("description", e.description.as_str().into()),
                    ("reported_at", e.at.into()),
                    ("resolution", Value::Null),
                    ("resolved_at", Value::Null),
                ],
            )?;
        }
        DeliveryEvent::IncidentResolved(e) => {
            let incident = [
                ("delivery_id", id()),
                ("incident_id", e.incident_id.to_string().into()),
            ];
            tx.update(
                &DELIVERY_INCIDENTS,
                &incident,
                &[
                    ("resolution", e.resolution.as_str().into()),
                    ("resolved_at", e.at.into()),
                ],
            )?;
            incident_type = tx
                .get(&DELIVERY_INCIDENTS, &incident)?
                .map(|row| row.text("incident_type"))
                .transpose()?;
        }
        DeliveryEvent::ProofOfDeliveryCaptured(e) => {
            delivery.extend([
                ("proof_receiver_name", e.receiver_name.as_str().into()),
                (
                    "proof_signature_reference",
                    e.signature_reference.as_str().into(),
                ),
                ("proof_captured_at", e.at.into()),
            ]);
        }
    }
    tx.update(&DELIVERIES, &[("delivery_id", id())], &delivery)?;
    Ok(incident_type)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::deliveries::test_events::{
        DELIVERY, DRIVER, Events, INCIDENT, ROUTE, apply_all, at, db, rows,
    };
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
    fn an_unknown_delivery_event_type_is_unknown() {
        let (db, mut events) = (db(), Events::default());
        let created = events.delivery_created(DELIVERY, ROUTE);
        let teleported = events.delivery(
            DELIVERY,
            "delivery.teleported.v1",
            json!({ "delivery_id": DELIVERY }),
        );
        let results = db.apply(&[created, teleported]);
        assert_eq!(results[1], Ok(Outcome::Unknown));
        assert_eq!(summaries(&db).len(), 1);
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
}
