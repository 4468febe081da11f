//! The `drivers` projection: one row per driver, following aggregate type `driver`.
//!
//! - `driver.registered.v1` inserts the row with the status the event records
//!   (always `active`; the projection does not re-derive the rule).
//! - `driver.updated.v1` replaces name and driving licence number.
//! - `driver.suspended.v1` / `driver.reinstated.v1` set the status to `suspended` /
//!   `active`.
//!
//! Decisions:
//! - The key is the payload's `driver_id`, decoded as a UUID and stored in canonical
//!   lower-case form, as queries look it up.
//! - The status is stored as the domain's snake_case string, decoded through
//!   [`DriverStatus`] so an unknown value is a malformed payload.
//! - Updates `update` the existing row: a driver stream always starts with `registered`.

use contracts::events::DriverEvent;
pub use contracts::events::driver::DriverStatus;
use es_core::EventEnvelope;
use uuid::Uuid;

use crate::projection::{AggregateProjection, Projected};
use crate::store::{Column, Table, Tx, Value};

pub static DRIVERS: Table = Table {
    name: "drivers",
    columns: &[
        Column::text("driver_id"),
        Column::text("name"),
        Column::text("driving_licence_number"),
        Column::text("status"),
        Column::int("version"),
    ],
    key: &["driver_id"],
    indexes: &[&["name"]],
};

/// Projects driver events into [`DRIVERS`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DriversProjection;

fn key(driver_id: Uuid) -> [(&'static str, Value); 1] {
    [("driver_id", driver_id.to_string().into())]
}

impl AggregateProjection for DriversProjection {
    type Event = DriverEvent;
    const NAME: &'static str = "drivers";
    const TABLES: &'static [&'static Table] = &[&DRIVERS];

    fn project(&self, change: Self::Event, event: &EventEnvelope, tx: &mut dyn Tx) -> Projected {
        let version = ("version", Value::from(event.version));
        match change {
            DriverEvent::Registered(p) => {
                let [key] = key(p.driver_id);
                tx.upsert(
                    &DRIVERS,
                    &[
                        key,
                        ("name", p.name.into()),
                        ("driving_licence_number", p.driving_licence_number.into()),
                        ("status", p.status.as_str().into()),
                        version,
                    ],
                )?;
            }
            DriverEvent::Updated(p) => {
                tx.update(
                    &DRIVERS,
                    &key(p.driver_id),
                    &[
                        ("name", p.name.into()),
                        ("driving_licence_number", p.driving_licence_number.into()),
                        version,
                    ],
                )?;
            }
            DriverEvent::Suspended(p) => {
                let status = ("status", DriverStatus::Suspended.as_str().into());
                tx.update(&DRIVERS, &key(p.driver_id), &[status, version])?;
            }
            DriverEvent::Reinstated(p) => {
                let status = ("status", DriverStatus::Active.as_str().into());
                tx.update(&DRIVERS, &key(p.driver_id), &[status, version])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::projection::{Outcome, ProjectionError};
    use crate::store::{Reader, Row};

    const AGGREGATE_TYPE: &str = "driver";
    const REGISTERED: &str = "driver.registered.v1";
    const UPDATED: &str = "driver.updated.v1";
    const SUSPENDED: &str = "driver.suspended.v1";
    const REINSTATED: &str = "driver.reinstated.v1";
    use crate::testing::{EventFactory, TestDb};

    const JO: &str = "018f0000-0000-7000-8000-0000000000d1";

    fn db() -> TestDb {
        TestDb::new(vec![Box::new(DriversProjection)])
    }

    fn row(db: &TestDb) -> Option<Row> {
        db.read(|reader: &mut dyn Reader| {
            reader
                .get(&DRIVERS, &[("driver_id", JO.into())])
                .expect("read")
        })
    }

    fn registered(events: &mut EventFactory) -> EventEnvelope {
        events.event(
            AGGREGATE_TYPE,
            JO,
            REGISTERED,
            json!({ "driver_id": JO, "name": "Jo Driver", "driving_licence_number": "DL-1",
                    "status": "active" }),
        )
    }

    fn id_only(events: &mut EventFactory, event_type: &str) -> EventEnvelope {
        events.event(AGGREGATE_TYPE, JO, event_type, json!({ "driver_id": JO }))
    }

    #[test]
    fn a_registered_driver_gets_a_row_with_the_recorded_status() {
        let db = db();
        let mut events = EventFactory::new();
        assert_eq!(
            db.apply(&[registered(&mut events)]),
            vec![Ok(Outcome::Applied)]
        );
        let row = row(&db).expect("row");
        assert_eq!(row.text("name").unwrap(), "Jo Driver");
        assert_eq!(row.text("driving_licence_number").unwrap(), "DL-1");
        assert_eq!(row.text("status").unwrap(), "active");
        assert_eq!(row.uint("version").unwrap(), 1);
    }

    #[test]
    fn an_update_replaces_name_and_licence_number() {
        let db = db();
        let mut events = EventFactory::new();
        let first = registered(&mut events);
        let updated = events.event(
            AGGREGATE_TYPE,
            JO,
            UPDATED,
            json!({ "driver_id": JO, "name": "Joanna Driver", "driving_licence_number": "DL-2" }),
        );
        assert_eq!(db.apply(&[first, updated]), vec![Ok(Outcome::Applied); 2]);
        let row = row(&db).expect("row");
        assert_eq!(row.text("name").unwrap(), "Joanna Driver");
        assert_eq!(row.text("driving_licence_number").unwrap(), "DL-2");
        assert_eq!(row.text("status").unwrap(), "active");
        assert_eq!(row.uint("version").unwrap(), 2);
    }

    #[test]
    fn suspension_and_reinstatement_set_the_status() {
        let db = db();
        let mut events = EventFactory::new();
        let first = registered(&mut events);
        let suspended = id_only(&mut events, SUSPENDED);
        assert_eq!(db.apply(&[first, suspended]), vec![Ok(Outcome::Applied); 2]);
        assert_eq!(row(&db).unwrap().text("status").unwrap(), "suspended");

        let reinstated = id_only(&mut events, REINSTATED);
        assert_eq!(db.apply(&[reinstated]), vec![Ok(Outcome::Applied)]);
        let row = row(&db).unwrap();
        assert_eq!(row.text("status").unwrap(), "active");
        assert_eq!(row.uint("version").unwrap(), 3);
    }

    #[test]
    fn a_payload_without_a_valid_driver_id_is_malformed() {
        let db = db();
        let mut events = EventFactory::new();
        let broken = events.event(AGGREGATE_TYPE, JO, SUSPENDED, json!({ "driver_id": 7 }));
        let missing = events.event(AGGREGATE_TYPE, JO, REGISTERED, json!({ "driver_id": JO }));
        for result in db.apply(&[broken, missing]) {
            assert!(
                matches!(result, Err(ProjectionError::Malformed { .. })),
                "{result:?}"
            );
        }
        assert!(row(&db).is_none());
    }
}
