//! Test fixtures for the fleet queries: five vehicles and three drivers, in a database
//! holding both fleet projections.

use serde_json::json;
use uuid::Uuid;

use crate::api::QueryError;
use crate::fleet::{drivers, vehicles};
use crate::testing::{EventFactory, TestDb};

pub fn id(n: u128) -> String {
    Uuid::from_u128(n).to_string()
}

pub const OWNER_A: u128 = 0xa;
pub const OWNER_B: u128 = 0xb;

/// Three customer cars (two of owner A), two fleet vans (one out of service), and
/// three drivers (Sam suspended).
pub fn db() -> TestDb {
    let db = TestDb::new(vec![
        Box::new(vehicles::VehiclesProjection),
        Box::new(drivers::DriversProjection),
    ]);
    let mut events = EventFactory::new();
    let mut batch = Vec::new();
    for (plate, brand, model, owner, usage, status) in [
        ("AB-123-C", "Volvo", "V70", Some(OWNER_A), "customer", None),
        ("XY-9-Z", "Audi", "A4", Some(OWNER_A), "customer", None),
        ("1-BB-22", "BMW", "320", Some(OWNER_B), "customer", None),
        (
            "12-VAN-3",
            "Ford",
            "Transit",
            None,
            "fleet",
            Some("available"),
        ),
        (
            "34-VAN-5",
            "Mercedes",
            "Sprinter",
            None,
            "fleet",
            Some("available"),
        ),
    ] {
        batch.push(events.event(
            "vehicle",
            plate,
            "vehicle.registered.v1",
            json!({ "license_number": plate, "brand": brand, "model": model,
                    "owner": owner.map(id), "usage": usage, "status": status }),
        ));
    }
    batch.push(events.event(
        "vehicle",
        "34-VAN-5",
        "vehicle.status_changed.v1",
        json!({ "license_number": "34-VAN-5", "status": "out_of_service" }),
    ));
    for (n, name) in [(1, "Jo Driver"), (2, "Sam Wheeler"), (3, "Joe Rider")] {
        batch.push(events.event(
            "driver",
            &id(n),
            "driver.registered.v1",
            json!({ "driver_id": id(n), "name": name,
                    "driving_licence_number": format!("DL-{n}"), "status": "active" }),
        ));
    }
    batch.push(events.event(
        "driver",
        &id(2),
        "driver.suspended.v1",
        json!({ "driver_id": id(2) }),
    ));
    assert!(
        db.apply(&batch)
            .iter()
            .all(|r| r == &Ok(crate::projection::Outcome::Applied))
    );
    db
}

pub fn invalid_field<T: std::fmt::Debug>(result: Result<T, QueryError>) -> String {
    match result {
        Err(QueryError::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}
