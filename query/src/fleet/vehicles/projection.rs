//! The `vehicles` projection: one row per vehicle, following aggregate type `vehicle`.
//!
//! - `vehicle.registered.v1` inserts the row: brand, model, owner, usage and the initial
//!   status (`available` for a fleet van, NULL for a customer's car).
//! - `vehicle.updated.v1` replaces brand, model and owner (the usage never changes).
//! - `vehicle.status_changed.v1` sets the status.
//!
//! Decisions:
//! - The key is the license number in upper case (the command side stores it so; the
//!   projection upper-cases again so a lookup can never miss on case).
//! - Events are read as their contract types ([`VehicleEvent`]): an unknown usage or
//!   status word is a malformed payload, not a silent row. Rows store the words.
//! - The owner is stored as a canonical lower-case UUID, as queries look it up.
//! - Updates `update` the existing row: a vehicle stream always starts with `registered`.

use contracts::events::VehicleEvent;
pub use contracts::events::vehicle::{VehicleStatus as Status, VehicleUsage as Usage};
use es_core::EventEnvelope;
use uuid::Uuid;

use crate::projection::{Decoded, Outcome, Projection, ProjectionError, decode};
use crate::store::{Column, Table, Tx, Value};

pub static VEHICLES: Table = Table {
    name: "vehicles",
    columns: &[
        Column::text("license_number"),
        Column::text("brand"),
        Column::text("model"),
        Column::opt_text("owner_customer_id"),
        Column::text("usage"),
        Column::opt_text("status"),
        Column::int("version"),
    ],
    key: &["license_number"],
    indexes: &[&["owner_customer_id"], &["usage"]],
};

static TABLES: [&Table; 1] = [&VEHICLES];

/// Projects vehicle events into [`VEHICLES`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VehiclesProjection;

fn key(license_number: &str) -> [(&'static str, Value); 1] {
    [("license_number", license_number.to_ascii_uppercase().into())]
}

fn owner(owner: Option<Uuid>) -> Value {
    owner.map(|id| id.to_string()).into()
}

impl Projection for VehiclesProjection {
    fn name(&self) -> &'static str {
        "vehicles"
    }

    fn tables(&self) -> &'static [&'static Table] {
        &TABLES
    }

    fn apply(&self, event: &EventEnvelope, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError> {
        let change = match decode::<VehicleEvent>(event)? {
            Decoded::Event(change) => change,
            Decoded::Skip(outcome) => return Ok(outcome),
        };
        let version = ("version", Value::from(event.version));
        match change {
            VehicleEvent::Registered(p) => {
                let [key] = key(&p.license_number);
                tx.upsert(
                    &VEHICLES,
                    &[
                        key,
                        ("brand", p.brand.into()),
                        ("model", p.model.into()),
                        ("owner_customer_id", owner(p.owner)),
                        ("usage", p.usage.as_str().into()),
                        ("status", p.status.map(Status::as_str).into()),
                        version,
                    ],
                )?;
            }
            VehicleEvent::Updated(p) => {
                tx.update(
                    &VEHICLES,
                    &key(&p.license_number),
                    &[
                        ("brand", p.brand.into()),
                        ("model", p.model.into()),
                        ("owner_customer_id", owner(p.owner)),
                        version,
                    ],
                )?;
            }
            VehicleEvent::StatusChanged(p) => {
                tx.update(
                    &VEHICLES,
                    &key(&p.license_number),
                    &[("status", p.status.as_str().into()), version],
                )?;
            }
        }
        Ok(Outcome::Applied)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::{Reader, Row};
    use crate::testing::{EventFactory, TestDb};

    const AGGREGATE_TYPE: &str = "vehicle";
    const REGISTERED: &str = "vehicle.registered.v1";
    const UPDATED: &str = "vehicle.updated.v1";
    const STATUS_CHANGED: &str = "vehicle.status_changed.v1";

    const OWNER: &str = "018f0000-0000-7000-8000-0000000000a1";
    const NEW_OWNER: &str = "018f0000-0000-7000-8000-0000000000a2";

    fn db() -> TestDb {
        TestDb::new(vec![Box::new(VehiclesProjection)])
    }

    fn row(db: &TestDb, license_number: &'static str) -> Option<Row> {
        db.read(move |reader: &mut dyn Reader| {
            reader
                .get(&VEHICLES, &[("license_number", license_number.into())])
                .expect("read")
        })
    }

    fn customer_car(events: &mut EventFactory) -> EventEnvelope {
        events.event(
            AGGREGATE_TYPE,
            "AB-123-C",
            REGISTERED,
            json!({ "license_number": "AB-123-C", "brand": "Volvo", "model": "V70",
                    "owner": OWNER, "usage": "customer", "status": null }),
        )
    }

    fn fleet_van(events: &mut EventFactory) -> EventEnvelope {
        events.event(
            AGGREGATE_TYPE,
            "12-VAN-3",
            REGISTERED,
            json!({ "license_number": "12-VAN-3", "brand": "Ford", "model": "Transit",
                    "owner": null, "usage": "fleet", "status": "available" }),
        )
    }

    #[test]
    fn a_registered_customer_car_has_an_owner_and_no_status() {
        let db = db();
        let mut events = EventFactory::new();
        assert_eq!(
            db.apply(&[customer_car(&mut events)]),
            vec![Ok(Outcome::Applied)]
        );
        let row = row(&db, "AB-123-C").expect("row");
        assert_eq!(row.text("brand").unwrap(), "Volvo");
        assert_eq!(row.text("model").unwrap(), "V70");
        assert_eq!(row.text("owner_customer_id").unwrap(), OWNER);
        assert_eq!(row.text("usage").unwrap(), "customer");
        assert_eq!(row.opt_text("status").unwrap(), None);
        assert_eq!(row.uint("version").unwrap(), 1);
    }

    #[test]
    fn a_registered_fleet_van_has_no_owner_and_starts_available() {
        let db = db();
        let mut events = EventFactory::new();
        assert_eq!(
            db.apply(&[fleet_van(&mut events)]),
            vec![Ok(Outcome::Applied)]
        );
        let row = row(&db, "12-VAN-3").expect("row");
        assert_eq!(row.opt_text("owner_customer_id").unwrap(), None);
        assert_eq!(row.text("usage").unwrap(), "fleet");
        assert_eq!(row.text("status").unwrap(), "available");
    }

    #[test]
    fn an_update_replaces_brand_model_and_owner() {
        let db = db();
        let mut events = EventFactory::new();
        let registered = customer_car(&mut events);
        let updated = events.event(
            AGGREGATE_TYPE,
            "AB-123-C",
            UPDATED,
            json!({ "license_number": "AB-123-C", "brand": "Saab", "model": "900",
                    "owner": NEW_OWNER }),
        );
        assert_eq!(
            db.apply(&[registered, updated]),
            vec![Ok(Outcome::Applied); 2]
        );
        let row = row(&db, "AB-123-C").expect("row");
        assert_eq!(row.text("brand").unwrap(), "Saab");
        assert_eq!(row.text("model").unwrap(), "900");
        assert_eq!(row.text("owner_customer_id").unwrap(), NEW_OWNER);
        assert_eq!(row.text("usage").unwrap(), "customer");
        assert_eq!(row.uint("version").unwrap(), 2);
    }

    #[test]
    fn a_status_change_sets_the_status() {
        let db = db();
        let mut events = EventFactory::new();
        let registered = fleet_van(&mut events);
        let out = events.event(
            AGGREGATE_TYPE,
            "12-VAN-3",
            STATUS_CHANGED,
            json!({ "license_number": "12-VAN-3", "status": "out_of_service" }),
        );
        assert_eq!(db.apply(&[registered, out]), vec![Ok(Outcome::Applied); 2]);
        let row = row(&db, "12-VAN-3").expect("row");
        assert_eq!(row.text("status").unwrap(), "out_of_service");
        assert_eq!(row.uint("version").unwrap(), 2);
    }

    #[test]
    fn events_of_other_aggregates_are_ignored() {
        let db = db();
        let mut events = EventFactory::new();
        let driver = events.event(
            "driver",
            OWNER,
            "driver.registered.v1",
            json!({ "driver_id": OWNER }),
        );
        assert_eq!(db.apply(&[driver]), vec![Ok(Outcome::Ignored)]);
    }

    #[test]
    fn an_unknown_vehicle_event_type_is_unknown_not_an_error() {
        let db = db();
        let mut events = EventFactory::new();
        let newer = events.event(
            AGGREGATE_TYPE,
            "AB-123-C",
            "vehicle.scrapped.v1",
            json!({ "license_number": "AB-123-C" }),
        );
        assert_eq!(db.apply(&[newer]), vec![Ok(Outcome::Unknown)]);
    }

    #[test]
    fn a_payload_with_an_unknown_usage_or_status_is_malformed() {
        let db = db();
        let mut events = EventFactory::new();
        let odd_usage = events.event(
            AGGREGATE_TYPE,
            "AB-123-C",
            REGISTERED,
            json!({ "license_number": "AB-123-C", "brand": "Volvo", "model": "V70",
                    "owner": null, "usage": "rental", "status": null }),
        );
        let odd_status = events.event(
            AGGREGATE_TYPE,
            "AB-123-C",
            STATUS_CHANGED,
            json!({ "license_number": "AB-123-C", "status": "assigned" }),
        );
        for result in db.apply(&[odd_usage, odd_status]) {
            assert!(
                matches!(result, Err(ProjectionError::Malformed { .. })),
                "{result:?}"
            );
        }
        assert!(row(&db, "AB-123-C").is_none());
    }
}
