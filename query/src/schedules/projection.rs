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
pub(crate) mod tests {
    use serde_json::{Value as Json, json};

    use super::*;
    use crate::store::{Order, Reader, Select};
    use crate::testing::{EventFactory, TestDb};

    pub const DATE: &str = "2026-03-02";
    pub const JOB_ID: &str = "0190a5e4-7b1c-7c3e-9f00-00000000a001";
    pub const DELIVERY_ID: &str = "0190a5e4-7b1c-7c3e-9f00-00000000d001";
    pub const TECH_A: &str = "0190a5e4-7b1c-7c3e-9f00-00000000b001";
    pub const TECH_B: &str = "0190a5e4-7b1c-7c3e-9f00-00000000b002";
    pub const DRIVER_A: &str = "0190a5e4-7b1c-7c3e-9f00-00000000e001";
    pub const DRIVER_B: &str = "0190a5e4-7b1c-7c3e-9f00-00000000e002";

    pub fn slot(start: &str, end: &str) -> Json {
        json!({"start": start, "end": end})
    }

    pub fn job_planned(
        f: &mut EventFactory,
        job_id: &str,
        slot: Json,
        vehicle: &str,
        technician: Option<&str>,
    ) -> EventEnvelope {
        f.event(
            "workshop_planning",
            DATE,
            "workshop.job_planned.v1",
            json!({
                "date": DATE, "job_id": job_id, "slot": slot, "vehicle": vehicle,
                "customer_id": "0190a5e4-7b1c-7c3e-9f00-00000000c001",
                "service": "brake_system", "category": "maintenance",
                "description": "Squeaky brakes", "technician_id": technician,
            }),
        )
    }

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

    fn morning() -> Json {
        slot("2026-03-02T09:00:00Z", "2026-03-02T11:00:00Z")
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
        let assigned = f.event(
            "workshop_planning",
            DATE,
            "workshop.technician_assigned.v1",
            json!({
                "date": DATE, "job_id": JOB_ID, "slot": morning(),
                "technician_id": TECH_B, "previous_technician_id": TECH_A,
            }),
        );
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
        let events = [
            job_planned(&mut f, JOB_ID, morning(), "AB-123-C", Some(TECH_A)),
            job_planned(
                &mut f,
                OTHER_JOB,
                slot("2026-03-02T13:00:00Z", "2026-03-02T14:00:00Z"),
                "XY-9-Z",
                None,
            ),
            f.event(
                "workshop_planning",
                DATE,
                "workshop.job_finished.v1",
                json!({
                    "date": DATE, "job_id": JOB_ID,
                    "actual": slot("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"),
                    "notes": null, "vehicle": "AB-123-C", "technician_id": TECH_A,
                }),
            ),
            f.event(
                "workshop_planning",
                DATE,
                "workshop.job_cancelled.v1",
                json!({
                    "date": DATE, "job_id": OTHER_JOB, "reason": "No show",
                    "vehicle": "XY-9-Z", "technician_id": null,
                }),
            ),
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
            f.event("workshop_planning", DATE, "workshop.planning_created.v1", json!({"date": DATE})),
            f.event(
                "delivery",
                DELIVERY_ID,
                "delivery.checkpoint_reached.v1",
                json!({"delivery_id": DELIVERY_ID, "sequence": 1, "location": "Depot", "at": "2026-03-02T12:00:00Z"}),
            ),
            f.event("customer", JOB_ID, "customer.registered.v1", json!({})),
            f.event("delivery", DELIVERY_ID, "delivery.teleported.v1", json!({})),
            f.event("workshop_planning", DATE, "workshop.job_paused.v1", json!({})),
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
        let bad_job = f.event(
            "workshop_planning",
            DATE,
            "workshop.job_cancelled.v1",
            json!({"job_id": 7}),
        );
        for result in db.apply(&[bad_slot, bad_job]) {
            assert!(
                matches!(result, Err(ProjectionError::Malformed { .. })),
                "{result:?}"
            );
        }
    }
}
