//! The delivery detail queries: `GetDelivery` (checkpoints, incidents, proof, driver
//! and vehicle) and `GetDeliveryTimeline` (every event of the delivery, oldest first).

use chrono::{DateTime, Utc};
use contracts::v1;

use super::delivery_projection::{
    DELIVERIES, DELIVERY_CHECKPOINTS, DELIVERY_INCIDENTS, DELIVERY_TIMELINE,
};
use super::status::{DeliveryStatus, checkpoint_status};
use super::support::{driver_names, parse_id, sequence_of};
use crate::api::{QueryError, to_timestamp};
use crate::store::{DbError, Order, Reader, Row, Select};

/// One delivery by id, its checkpoints' status taken as of `now` (an unreached
/// checkpoint past its expected time is delayed). The driver's name comes from the
/// fleet read model and is empty when that does not know the driver (yet).
pub fn get_delivery(
    reader: &mut dyn Reader,
    request: &v1::GetDeliveryRequest,
    now: DateTime<Utc>,
) -> Result<v1::Delivery, QueryError> {
    let delivery_id = parse_id("delivery_id", &request.delivery_id)?;
    let key = [("delivery_id", delivery_id.as_str().into())];
    let row = reader
        .get(&DELIVERIES, &key)?
        .ok_or_else(|| QueryError::NotFound(format!("delivery {delivery_id} not found")))?;

    let checkpoints = reader
        .select(
            &Select::from(&DELIVERY_CHECKPOINTS)
                .filter_eq(&key)
                .order_by("sequence", Order::Asc),
        )?
        .iter()
        .map(|row| to_checkpoint(row, now))
        .collect::<Result<Vec<_>, _>>()?;
    let incidents = reader
        .select(
            &Select::from(&DELIVERY_INCIDENTS)
                .filter_eq(&key)
                .order_by("reported_at", Order::Asc)
                .order_by("incident_id", Order::Asc),
        )?
        .iter()
        .map(to_incident)
        .collect::<Result<Vec<_>, _>>()?;

    let driver_id = row.opt_text("driver_id")?;
    let driver_name = match &driver_id {
        Some(id) => driver_names(reader, [id.as_str()])?
            .remove(id)
            .unwrap_or_default(),
        None => String::new(),
    };
    let proof = match row.opt_time("proof_captured_at")? {
        Some(captured_at) => Some(v1::ProofOfDelivery {
            receiver_name: row.opt_text("proof_receiver_name")?.unwrap_or_default(),
            signature_reference: row
                .opt_text("proof_signature_reference")?
                .unwrap_or_default(),
            captured_at: Some(to_timestamp(captured_at)),
        }),
        None => None,
    };
    Ok(v1::Delivery {
        delivery_id: row.text("delivery_id")?,
        route_id: row.text("route_id")?,
        slot: Some(v1::Timeslot {
            start: Some(to_timestamp(row.time("slot_start")?)),
            end: Some(to_timestamp(row.time("slot_end")?)),
        }),
        status: DeliveryStatus::proto_of_stored(DELIVERIES.name, &row.text("status")?)?,
        driver_id,
        driver_name,
        vehicle_license_number: row.opt_text("vehicle_license_number")?,
        checkpoints,
        incidents,
        proof,
        failure_reason: row.opt_text("failure_reason")?.unwrap_or_default(),
        version: row.uint("version")?,
    })
}

/// Every event of one delivery in version order, each with its summary and the status
/// after it.
pub fn get_delivery_timeline(
    reader: &mut dyn Reader,
    request: &v1::GetDeliveryTimelineRequest,
) -> Result<v1::DeliveryTimeline, QueryError> {
    let delivery_id = parse_id("delivery_id", &request.delivery_id)?;
    let entries = reader
        .select(
            &Select::from(&DELIVERY_TIMELINE)
                .filter_eq(&[("delivery_id", delivery_id.as_str().into())])
                .order_by("version", Order::Asc),
        )?
        .iter()
        .map(to_timeline_entry)
        .collect::<Result<Vec<_>, _>>()?;
    if entries.is_empty() {
        return Err(QueryError::NotFound(format!(
            "delivery {delivery_id} not found"
        )));
    }
    Ok(v1::DeliveryTimeline {
        delivery_id,
        entries,
    })
}

fn to_checkpoint(row: &Row, now: DateTime<Utc>) -> Result<v1::Checkpoint, DbError> {
    let expected_at = row.time("expected_at")?;
    let reached_at = row.opt_time("reached_at")?;
    Ok(v1::Checkpoint {
        sequence: sequence_of(row)?,
        location: row.text("location")?,
        expected_at: Some(to_timestamp(expected_at)),
        status: checkpoint_status(reached_at.is_some(), expected_at, now).into(),
        reached_at: reached_at.map(to_timestamp),
    })
}

fn to_incident(row: &Row) -> Result<v1::Incident, DbError> {
    let resolved_at = row.opt_time("resolved_at")?;
    Ok(v1::Incident {
        incident_id: row.text("incident_id")?,
        incident_type: row.text("incident_type")?,
        description: row.text("description")?,
        reported_at: Some(to_timestamp(row.time("reported_at")?)),
        resolved: resolved_at.is_some(),
        resolution: row.opt_text("resolution")?.unwrap_or_default(),
        resolved_at: resolved_at.map(to_timestamp),
    })
}

fn to_timeline_entry(row: &Row) -> Result<v1::TimelineEntry, DbError> {
    // An entry written while its delivery row was missing (its creation parked as a
    // dead letter) has no status: UNSPECIFIED rather than an unreadable timeline.
    let status = match row.text("status")?.as_str() {
        "" => v1::DeliveryStatus::Unspecified as i32,
        stored => DeliveryStatus::proto_of_stored(DELIVERY_TIMELINE.name, stored)?,
    };
    Ok(v1::TimelineEntry {
        version: row.uint("version")?,
        event_type: row.text("event_type")?,
        occurred_at: Some(to_timestamp(row.time("occurred_at")?)),
        summary: row.text("summary")?,
        status,
        actor_subject: row.text("actor_subject")?,
    })
}

#[cfg(test)]
mod tests {
    use contracts::v1::CheckpointStatus;

    use super::*;
    use crate::deliveries::test_events::{
        DELIVERY, DRIVER, Events, INCIDENT, ROUTE, apply_all, at, db,
    };
    use crate::testing::TestDb;

    const UNKNOWN: &str = "018f0000-0000-7000-8000-0000000000ff";

    fn get(db: &TestDb, delivery_id: &str, now: DateTime<Utc>) -> Result<v1::Delivery, QueryError> {
        let request = v1::GetDeliveryRequest {
            delivery_id: delivery_id.into(),
            ..Default::default()
        };
        db.read(move |reader| get_delivery(reader, &request, now))
    }

    fn timeline(db: &TestDb, delivery_id: &str) -> Result<v1::DeliveryTimeline, QueryError> {
        let request = v1::GetDeliveryTimelineRequest {
            delivery_id: delivery_id.into(),
            ..Default::default()
        };
        db.read(move |reader| get_delivery_timeline(reader, &request))
    }

    #[test]
    fn a_delivery_has_its_slot_driver_vehicle_checkpoints_incidents_and_proof() {
        let (db, mut events) = (db(), Events::default());
        let mut history = vec![events.driver_registered(DRIVER, "Jo Driver")];
        history.extend(events.in_transit(DELIVERY, ROUTE));
        history.extend([
            events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5)),
            events.incident_reported(DELIVERY, "delay"),
            events.incident_resolved(DELIVERY),
            events.checkpoint_reached(DELIVERY, 2, "Station", at(10, 10)),
            events.status_changed(DELIVERY, "in_transit", "out_for_delivery", None),
            events.proof_captured(DELIVERY),
            events.status_changed(DELIVERY, "out_for_delivery", "delivered", None),
        ]);
        apply_all(&db, &history);

        let delivery = get(&db, DELIVERY, at(11, 0)).unwrap();
        assert_eq!(delivery.delivery_id, DELIVERY);
        assert_eq!(delivery.route_id, ROUTE);
        let slot = delivery.slot.unwrap();
        assert_eq!(
            (slot.start, slot.end),
            (Some(to_timestamp(at(8, 0))), Some(to_timestamp(at(10, 0))))
        );
        assert_eq!(delivery.status(), v1::DeliveryStatus::Delivered);
        assert_eq!(delivery.driver_id.as_deref(), Some(DRIVER));
        assert_eq!(delivery.driver_name, "Jo Driver");
        assert_eq!(delivery.vehicle_license_number.as_deref(), Some("AB-123-C"));
        assert_eq!(delivery.failure_reason, "");
        assert_eq!(delivery.version, 11);

        let checkpoints: Vec<(u32, &str, CheckpointStatus)> = delivery
            .checkpoints
            .iter()
            .map(|c| (c.sequence, c.location.as_str(), c.status()))
            .collect();
        assert_eq!(
            checkpoints,
            [
                (1, "Market", CheckpointStatus::Reached),
                (2, "Station", CheckpointStatus::Reached)
            ]
        );
        assert_eq!(
            delivery.checkpoints[1].reached_at,
            Some(to_timestamp(at(10, 10)))
        );
        assert_eq!(
            delivery.checkpoints[1].expected_at,
            Some(to_timestamp(at(10, 0)))
        );

        assert_eq!(
            delivery.incidents,
            [v1::Incident {
                incident_id: INCIDENT.into(),
                incident_type: "delay".into(),
                description: "Flat tyre on the ring road".into(),
                reported_at: Some(to_timestamp(at(9, 15))),
                resolved: true,
                resolution: "Tyre replaced".into(),
                resolved_at: Some(to_timestamp(at(9, 40))),
            }]
        );
        assert_eq!(
            delivery.proof,
            Some(v1::ProofOfDelivery {
                receiver_name: "Ada Receiver".into(),
                signature_reference: "sig/123".into(),
                captured_at: Some(to_timestamp(at(10, 5))),
            })
        );
    }

    #[test]
    fn a_new_delivery_has_no_driver_vehicle_proof_or_incident_and_late_checkpoints_are_delayed() {
        let (db, mut events) = (db(), Events::default());
        apply_all(&db, &[events.delivery_created(DELIVERY, ROUTE)]);
        let delivery = get(&db, DELIVERY, at(9, 30)).unwrap();
        assert_eq!(delivery.status(), v1::DeliveryStatus::PickedUp);
        assert_eq!(
            (delivery.driver_id, delivery.driver_name.as_str()),
            (None, "")
        );
        assert_eq!(delivery.vehicle_license_number, None);
        assert_eq!(delivery.proof, None);
        assert!(delivery.incidents.is_empty());
        let statuses: Vec<CheckpointStatus> =
            delivery.checkpoints.iter().map(|c| c.status()).collect();
        assert_eq!(
            statuses,
            [CheckpointStatus::Delayed, CheckpointStatus::Pending]
        );
    }

    #[test]
    fn a_driver_the_fleet_read_model_does_not_know_has_an_empty_name() {
        let (db, mut events) = (db(), Events::default());
        apply_all(&db, &events.in_transit(DELIVERY, ROUTE));
        let delivery = get(&db, DELIVERY, at(9, 0)).unwrap();
        assert_eq!(delivery.driver_id.as_deref(), Some(DRIVER));
        assert_eq!(delivery.driver_name, "");
    }

    #[test]
    fn a_failed_delivery_carries_its_failure_reason() {
        let (db, mut events) = (db(), Events::default());
        let mut history = events.in_transit(DELIVERY, ROUTE);
        history.push(events.status_changed(DELIVERY, "in_transit", "failed", Some("Road closed")));
        apply_all(&db, &history);
        let delivery = get(&db, DELIVERY, at(9, 0)).unwrap();
        assert_eq!(delivery.status(), v1::DeliveryStatus::Failed);
        assert_eq!(delivery.failure_reason, "Road closed");
    }

    #[test]
    fn an_unknown_delivery_is_not_found_and_a_malformed_id_is_invalid() {
        let (db, mut events) = (db(), Events::default());
        apply_all(&db, &[events.delivery_created(DELIVERY, ROUTE)]);
        assert!(matches!(
            get(&db, UNKNOWN, at(9, 0)),
            Err(QueryError::NotFound(_))
        ));
        assert!(matches!(
            timeline(&db, UNKNOWN),
            Err(QueryError::NotFound(_))
        ));
        for result in [
            get(&db, "d-1", at(9, 0)).map(|_| ()),
            timeline(&db, "").map(|_| ()),
        ] {
            assert!(
                matches!(result, Err(QueryError::Invalid { field, .. }) if field == "delivery_id")
            );
        }
    }

    #[test]
    fn the_timeline_lists_every_event_oldest_first() {
        let (db, mut events) = (db(), Events::default());
        let mut history = events.in_transit(DELIVERY, ROUTE);
        history.push(events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5)));
        apply_all(&db, &history);
        let timeline = timeline(&db, DELIVERY).unwrap();
        assert_eq!(timeline.delivery_id, DELIVERY);
        let entries: Vec<(u64, &str, v1::DeliveryStatus)> = timeline
            .entries
            .iter()
            .map(|e| (e.version, e.event_type.as_str(), e.status()))
            .collect();
        assert_eq!(
            entries,
            [
                (1, "delivery.created.v1", v1::DeliveryStatus::PickedUp),
                (
                    2,
                    "delivery.driver_assigned.v1",
                    v1::DeliveryStatus::PickedUp
                ),
                (
                    3,
                    "delivery.vehicle_assigned.v1",
                    v1::DeliveryStatus::PickedUp
                ),
                (
                    4,
                    "delivery.status_changed.v1",
                    v1::DeliveryStatus::InTransit
                ),
                (
                    5,
                    "delivery.checkpoint_reached.v1",
                    v1::DeliveryStatus::InTransit
                ),
            ]
        );
        let last = &timeline.entries[4];
        assert_eq!(last.summary, "reached checkpoint 1 (Market)");
        assert_eq!(last.occurred_at, Some(to_timestamp(history[4].occurred_at)));
        assert_eq!(last.actor_subject, history[4].actor.subject);
    }
}
