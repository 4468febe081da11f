//! The deliveries read model: one row per delivery, its copied checkpoints (with when
//! each was reached), its incidents and its timeline.
//!
//! Follows `delivery.created.v1`, `delivery.driver_assigned.v1`,
//! `delivery.vehicle_assigned.v1`, `delivery.status_changed.v1`,
//! `delivery.checkpoint_reached.v1`, `delivery.incident_reported.v1`,
//! `delivery.incident_resolved.v1` and `delivery.proof_of_delivery_captured.v1`; any
//! other `delivery.*` type is [`Outcome::Unknown`](crate::projection::Outcome::Unknown).
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
use crate::projection::{AggregateProjection, Projected};
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

/// Projects `delivery.*` events into [`DELIVERIES`], [`DELIVERY_CHECKPOINTS`],
/// [`DELIVERY_INCIDENTS`] and [`DELIVERY_TIMELINE`].
pub struct DeliveryProjection;

impl AggregateProjection for DeliveryProjection {
    type Event = DeliveryEvent;
    const NAME: &'static str = "deliveries";
    const TABLES: &'static [&'static Table] = &[
        &DELIVERIES,
        &DELIVERY_CHECKPOINTS,
        &DELIVERY_INCIDENTS,
        &DELIVERY_TIMELINE,
    ];

    fn project(&self, change: Self::Event, event: &EventEnvelope, tx: &mut dyn Tx) -> Projected {
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
        Ok(())
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
mod tests;
