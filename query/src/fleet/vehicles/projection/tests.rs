use serde_json::json;

use super::*;
use crate::projection::{Outcome, ProjectionError};
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
