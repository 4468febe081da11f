//! The `resource_schedules` projection: every slot a driver, a vehicle or a technician
//! is booked for, with the job or delivery holding it — what the BFF's conflict checks
//! read (DESIGN §7).
//!
//! Follows two aggregates:
//! - `workshop_planning`: `job_planned` books the job's vehicle and, when set, its
//!   technician; `technician_assigned` moves the job's technician slot to the new
//!   technician; `job_finished` / `job_cancelled` set the status of the job's slots.
//!   `planning_created` books nothing (ignored).
//! - `delivery`: `created` remembers the delivery's slot and status in
//!   `schedule_deliveries` (it has no driver or vehicle yet); `driver_assigned` /
//!   `vehicle_assigned` move the delivery's driver / vehicle slot to the new resource;
//!   `status_changed` sets the status of the delivery's slots. Checkpoints, incidents
//!   and proofs book nothing (ignored).
//!
//! Decisions:
//! - slots of finished, cancelled, delivered or failed holders stay, with their status:
//!   the reader decides what conflicts (only planned jobs and non-terminal deliveries);
//! - a reassignment deletes every slot of that resource kind the holder has, rather
//!   than only the event's `previous_*` one, so the holder keeps exactly one driver,
//!   vehicle or technician slot even if an earlier event was parked as a dead letter;
//! - the new slot takes the holder's current status (a job can only be assigned while
//!   planned; a delivery's status is remembered in `schedule_deliveries`);
//! - statuses are stored as the events spell them (`planned`, `in_transit`, …);
//!   license numbers upper-case, ids as canonical lower-case UUIDs.

use contracts::events::delivery::DeliveryStatus;
use contracts::events::{DeliveryEvent, Slot, WorkshopPlanningEvent};
use es_core::EventEnvelope;
use uuid::Uuid;

use crate::projection::{Decoded, Outcome, Projection, ProjectionError, decode};
use crate::store::{Column, Table, Tx, Value};
use crate::workshop::planning::projection::{CANCELLED, FINISHED, PLANNED};

pub static RESOURCE_SLOTS: Table = Table {
    name: "resource_slots",
    columns: &[
        Column::text("resource_kind"),
        Column::text("resource_id"),
        Column::text("holder_kind"),
        Column::text("holder_id"),
        Column::text("slot_start"),
        Column::text("slot_end"),
        Column::text("status"),
    ],
    key: &["resource_kind", "resource_id", "holder_kind", "holder_id"],
    indexes: &[
        &["resource_kind", "resource_id", "slot_start"],
        // Status changes and reassignments address a holder's slots. `resource_kind`
        // is part of it so that a reassignment's delete (which also names the kind)
        // matches this index on every column; otherwise SQLite, without statistics,
        // may prefer the primary key's prefix, whose first column has three values,
        // and scan a third of the table per delete.
        &["holder_kind", "holder_id", "resource_kind"],
    ],
};

/// What this projection remembers of each delivery to book its resources.
pub static SCHEDULE_DELIVERIES: Table = Table {
    name: "schedule_deliveries",
    columns: &[
        Column::text("delivery_id"),
        Column::text("slot_start"),
        Column::text("slot_end"),
        Column::text("status"),
        Column::opt_text("driver_id"),
        Column::opt_text("vehicle"),
    ],
    key: &["delivery_id"],
    indexes: &[],
};

/// The stored `resource_kind` values.
pub const DRIVER: &str = "driver";
pub const VEHICLE: &str = "vehicle";
pub const TECHNICIAN: &str = "technician";

/// The stored `holder_kind` values.
pub const JOB: &str = "job";
pub const DELIVERY: &str = "delivery";

/// The status a delivery is created in.
const PICKED_UP: &str = DeliveryStatus::PickedUp.as_str();

static TABLES: [&Table; 2] = [&RESOURCE_SLOTS, &SCHEDULE_DELIVERIES];

pub struct ResourceSchedulesProjection;

impl Projection for ResourceSchedulesProjection {
    fn name(&self) -> &'static str {
        "resource_schedules"
    }

    fn tables(&self) -> &'static [&'static Table] {
        &TABLES
    }

    fn apply(&self, event: &EventEnvelope, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError> {
        match decode::<WorkshopPlanningEvent>(event)? {
            Decoded::Event(change) => return apply_workshop(change, tx),
            Decoded::Skip(Outcome::Ignored) => {}
            Decoded::Skip(outcome) => return Ok(outcome),
        }
        match decode::<DeliveryEvent>(event)? {
            Decoded::Event(change) => apply_delivery(change, tx),
            Decoded::Skip(outcome) => Ok(outcome),
        }
    }
}

fn apply_workshop(
    change: WorkshopPlanningEvent,
    tx: &mut dyn Tx,
) -> Result<Outcome, ProjectionError> {
    match change {
        WorkshopPlanningEvent::PlanningCreated(_) => return Ok(Outcome::Ignored),
        WorkshopPlanningEvent::JobPlanned(job) => {
            let holder = Holder::job(job.job_id);
            let vehicle = job.vehicle.to_ascii_uppercase();
            holder.book(tx, VEHICLE, vehicle, job.slot, PLANNED)?;
            if let Some(technician) = job.technician_id {
                holder.book(tx, TECHNICIAN, technician.to_string(), job.slot, PLANNED)?;
            }
        }
        WorkshopPlanningEvent::TechnicianAssigned(assigned) => {
            let holder = Holder::job(assigned.job_id);
            holder.release(tx, TECHNICIAN)?;
            let technician = assigned.technician_id.to_string();
            holder.book(tx, TECHNICIAN, technician, assigned.slot, PLANNED)?;
        }
        WorkshopPlanningEvent::JobFinished(job) => {
            Holder::job(job.job_id).set_status(tx, FINISHED)?;
        }
        WorkshopPlanningEvent::JobCancelled(job) => {
            Holder::job(job.job_id).set_status(tx, CANCELLED)?;
        }
    }
    Ok(Outcome::Applied)
}

fn apply_delivery(change: DeliveryEvent, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError> {
    match change {
        DeliveryEvent::Created(created) => {
            tx.upsert(
                &SCHEDULE_DELIVERIES,
                &[
                    ("delivery_id", created.delivery_id.to_string().into()),
                    ("slot_start", created.slot.start.into()),
                    ("slot_end", created.slot.end.into()),
                    ("status", PICKED_UP.into()),
                    ("driver_id", Value::Null),
                    ("vehicle", Value::Null),
                ],
            )?;
        }
        DeliveryEvent::DriverAssigned(assigned) => {
            let driver = assigned.driver_id.to_string();
            assign(tx, assigned.delivery_id, assigned.slot, DRIVER, driver)?;
        }
        DeliveryEvent::VehicleAssigned(assigned) => {
            let vehicle = assigned.vehicle_license_number.to_ascii_uppercase();
            assign(tx, assigned.delivery_id, assigned.slot, VEHICLE, vehicle)?;
        }
        DeliveryEvent::StatusChanged(changed) => {
            let holder = Holder::delivery(changed.delivery_id);
            let status = changed.to.as_str();
            tx.update(
                &SCHEDULE_DELIVERIES,
                &[("delivery_id", holder.id.clone().into())],
                &[("status", status.into())],
            )?;
            holder.set_status(tx, status)?;
        }
        DeliveryEvent::CheckpointReached(_)
        | DeliveryEvent::IncidentReported(_)
        | DeliveryEvent::IncidentResolved(_)
        | DeliveryEvent::ProofOfDeliveryCaptured(_) => return Ok(Outcome::Ignored),
    }
    Ok(Outcome::Applied)
}

/// Gives the delivery's `kind` slot to `resource`, freeing the one it replaces.
fn assign(
    tx: &mut dyn Tx,
    delivery_id: Uuid,
    slot: Slot,
    kind: &'static str,
    resource: String,
) -> Result<(), ProjectionError> {
    let holder = Holder::delivery(delivery_id);
    let key = [("delivery_id", Value::from(&holder.id))];
    // Assignment happens only while `picked_up`, the status a delivery is created in.
    let status = match tx.get(&SCHEDULE_DELIVERIES, &key)? {
        Some(row) => row.text("status")?,
        None => PICKED_UP.to_owned(),
    };
    holder.release(tx, kind)?;
    holder.book(tx, kind, resource.clone(), slot, &status)?;
    let column = if kind == DRIVER {
        "driver_id"
    } else {
        "vehicle"
    };
    let [key] = key;
    tx.upsert(
        &SCHEDULE_DELIVERIES,
        &[
            key,
            ("slot_start", slot.start.into()),
            ("slot_end", slot.end.into()),
            ("status", status.into()),
            (column, resource.into()),
        ],
    )?;
    Ok(())
}

/// The job or delivery holding a slot.
struct Holder {
    kind: &'static str,
    id: String,
}

impl Holder {
    fn job(id: Uuid) -> Self {
        Holder {
            kind: JOB,
            id: id.to_string(),
        }
    }

    fn delivery(id: Uuid) -> Self {
        Holder {
            kind: DELIVERY,
            id: id.to_string(),
        }
    }

    fn columns(&self) -> [(&'static str, Value); 2] {
        [
            ("holder_kind", self.kind.into()),
            ("holder_id", Value::from(&self.id)),
        ]
    }

    /// Books `resource` for `slot` on behalf of this holder.
    fn book(
        &self,
        tx: &mut dyn Tx,
        resource_kind: &'static str,
        resource_id: String,
        slot: Slot,
        status: &str,
    ) -> Result<(), ProjectionError> {
        let [kind, id] = self.columns();
        tx.upsert(
            &RESOURCE_SLOTS,
            &[
                ("resource_kind", resource_kind.into()),
                ("resource_id", resource_id.into()),
                kind,
                id,
                ("slot_start", slot.start.into()),
                ("slot_end", slot.end.into()),
                ("status", status.into()),
            ],
        )?;
        Ok(())
    }

    /// Frees every `resource_kind` slot this holder has.
    fn release(&self, tx: &mut dyn Tx, resource_kind: &'static str) -> Result<(), ProjectionError> {
        let [kind, id] = self.columns();
        tx.delete(
            &RESOURCE_SLOTS,
            &[("resource_kind", resource_kind.into()), kind, id],
        )?;
        Ok(())
    }

    fn set_status(&self, tx: &mut dyn Tx, status: &str) -> Result<(), ProjectionError> {
        tx.update(
            &RESOURCE_SLOTS,
            &self.columns(),
            &[("status", status.into())],
        )?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests;
