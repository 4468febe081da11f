use serde_json::json;

use super::*;
use crate::projection::{Outcome, ProjectionError};
use crate::store::{Reader, Row};
use crate::testing::{EventFactory, TestDb};

const AGGREGATE_TYPE: &str = "customer";
const REGISTERED: &str = "customer.registered.v1";
const CONTACT_UPDATED: &str = "customer.contact_updated.v1";
const PERSONAL_DATA_ERASED: &str = "customer.personal_data_erased.v1";

const ADA: &str = "018f0000-0000-7000-8000-000000000ada";

fn db() -> TestDb {
    TestDb::new(vec![Box::new(CustomersProjection)])
}

fn ada() -> serde_json::Value {
    json!({
        "name": "Ada Lovelace",
        "address": "12 St James's Square",
        "postal_code": "SW1Y 4JH",
        "city": "London",
        "telephone": "+44 20 7946 0000",
        "email": "ada@example.com"
    })
}

fn registered(events: &mut EventFactory) -> EventEnvelope {
    events.event(
        AGGREGATE_TYPE,
        ADA,
        REGISTERED,
        json!({ "customer_id": ADA, "personal_data": ada() }),
    )
}

/// A row's personal columns, in table order (`None` for NULL).
fn personal(row: &Row) -> Vec<Option<String>> {
    let columns = [
        "name",
        "address",
        "postal_code",
        "city",
        "telephone",
        "email",
    ];
    columns.map(|column| row.opt_text(column).unwrap()).into()
}

/// `values` as [`personal`] reads them.
fn stored(values: [Option<&str>; 6]) -> Vec<Option<String>> {
    values.map(|value| value.map(str::to_owned)).into()
}

fn row(db: &TestDb) -> Option<Row> {
    db.read(|reader: &mut dyn Reader| {
        reader
            .get(&CUSTOMERS, &[("customer_id", ADA.into())])
            .expect("read")
    })
}

#[test]
fn a_registered_customer_gets_a_row_with_its_personal_data() {
    let db = db();
    let mut events = EventFactory::new();
    let event = registered(&mut events);
    assert_eq!(
        db.apply(std::slice::from_ref(&event)),
        vec![Ok(Outcome::Applied)]
    );

    let row = row(&db).expect("row");
    assert_eq!(
        personal(&row),
        stored([
            Some("Ada Lovelace"),
            Some("12 St James's Square"),
            Some("SW1Y 4JH"),
            Some("London"),
            Some("+44 20 7946 0000"),
            Some("ada@example.com"),
        ])
    );
    assert!(!row.bool("erased").unwrap());
    assert_eq!(row.uint("version").unwrap(), 1);
    assert_eq!(row.time("registered_at").unwrap(), event.occurred_at);
    assert_eq!(row.time("updated_at").unwrap(), event.occurred_at);
}

#[test]
fn a_contact_update_replaces_every_personal_field() {
    let db = db();
    let mut events = EventFactory::new();
    let first = registered(&mut events);
    let update = events.event(
        AGGREGATE_TYPE,
        ADA,
        CONTACT_UPDATED,
        json!({ "customer_id": ADA, "personal_data": {
            "name": "Ada Lovelace",
            "address": null,
            "postal_code": null,
            "city": "Ockham",
            "telephone": "+44 20 7946 0000",
            "email": "ada@analytical.engine"
        }}),
    );
    assert!(
        db.apply(&[first.clone(), update.clone()])
            .iter()
            .all(|r| r == &Ok(Outcome::Applied))
    );

    let row = row(&db).expect("row");
    assert_eq!(
        personal(&row),
        stored([
            Some("Ada Lovelace"),
            None,
            None,
            Some("Ockham"),
            Some("+44 20 7946 0000"),
            Some("ada@analytical.engine"),
        ])
    );
    assert_eq!(row.uint("version").unwrap(), 2);
    assert_eq!(row.time("registered_at").unwrap(), first.occurred_at);
    assert_eq!(row.time("updated_at").unwrap(), update.occurred_at);
}

#[test]
fn erasure_nulls_every_personal_field_and_keeps_the_row() {
    let db = db();
    let mut events = EventFactory::new();
    let first = registered(&mut events);
    let erased = events.event(
        AGGREGATE_TYPE,
        ADA,
        PERSONAL_DATA_ERASED,
        json!({ "customer_id": ADA }),
    );
    assert_eq!(db.apply(&[first, erased]), vec![Ok(Outcome::Applied); 2]);

    let row = row(&db).expect("row");
    assert_eq!(personal(&row), vec![None; 6]);
    assert!(row.bool("erased").unwrap());
    assert_eq!(row.uint("version").unwrap(), 2);
}

#[test]
fn a_history_whose_personal_data_was_shredded_projects_an_erased_row() {
    let db = db();
    let mut events = EventFactory::new();
    let shredded = |events: &mut EventFactory, event_type| {
        events.event(
            AGGREGATE_TYPE,
            ADA,
            event_type,
            json!({ "customer_id": ADA, "personal_data": null }),
        )
    };
    let first = shredded(&mut events, REGISTERED);
    let row_after = |db: &TestDb| row(db).expect("row");
    assert_eq!(
        db.apply(std::slice::from_ref(&first)),
        vec![Ok(Outcome::Applied)]
    );
    let after_registered = row_after(&db);
    assert!(after_registered.bool("erased").unwrap());
    assert_eq!(after_registered.opt_text("name").unwrap(), None);

    let update = shredded(&mut events, CONTACT_UPDATED);
    let erased = events.event(
        AGGREGATE_TYPE,
        ADA,
        PERSONAL_DATA_ERASED,
        json!({ "customer_id": ADA }),
    );
    assert_eq!(db.apply(&[update, erased]), vec![Ok(Outcome::Applied); 2]);
    let row = row_after(&db);
    assert_eq!(personal(&row), vec![None; 6]);
    assert!(row.bool("erased").unwrap());
    assert_eq!(row.uint("version").unwrap(), 3);
    assert_eq!(row.time("registered_at").unwrap(), first.occurred_at);
}

#[test]
fn sealed_personal_data_that_reached_a_projection_is_malformed() {
    let db = db();
    let mut events = EventFactory::new();
    let sealed = events.event(
        AGGREGATE_TYPE,
        ADA,
        REGISTERED,
        json!({ "customer_id": ADA, "personal_data": {
            "alg": "A256GCM", "sealed": "AAAA", "subject": format!("customer-{ADA}")
        }}),
    );
    assert!(matches!(
        db.apply(&[sealed]).as_slice(),
        [Err(ProjectionError::Malformed { .. })]
    ));
    assert!(row(&db).is_none());
}

#[test]
fn a_payload_without_the_promised_fields_is_malformed() {
    let db = db();
    let mut events = EventFactory::new();
    let broken = events.event(
        AGGREGATE_TYPE,
        ADA,
        REGISTERED,
        json!({ "customer_id": "not-a-uuid", "personal_data": ada() }),
    );
    let no_data = events.event(
        AGGREGATE_TYPE,
        ADA,
        REGISTERED,
        json!({ "customer_id": ADA }),
    );
    for result in db.apply(&[broken, no_data]) {
        assert!(
            matches!(result, Err(ProjectionError::Malformed { ref event_type, .. }) if event_type == REGISTERED),
            "{result:?}"
        );
    }
    assert!(row(&db).is_none());
}
