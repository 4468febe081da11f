//! Crypto-shredding end to end (DESIGN §3, ADR 010): personal data is sealed in the
//! log, readable in the read models while its key lives, and erased everywhere — live
//! read models, rebuilt read models — once `ErasePersonalData` deletes the key, while the
//! log keeps every event and every hash.

use std::collections::BTreeMap;

use contracts::v1::*;
use es_core::{ChainCursor, EventEnvelope};
use rusqlite::{Connection, OpenFlags};

use crate::helpers::{Platform, new_id, spawn_platform, token};

fn ada(id: &str) -> RegisterCustomerRequest {
    RegisterCustomerRequest {
        customer_id: id.into(),
        name: "Ada Lovelace".into(),
        address: "12 St James's Square".into(),
        postal_code: "SW1Y 4JH".into(),
        city: "London".into(),
        telephone: "+44 20 7946 0000".into(),
        email: "ada@analytical.example".into(),
        idempotency_key: None,
    }
}

fn grace(id: &str) -> RegisterCustomerRequest {
    RegisterCustomerRequest {
        customer_id: id.into(),
        name: "Grace Hopper".into(),
        address: "1 Navy Yard".into(),
        postal_code: "20374".into(),
        city: "Washington".into(),
        telephone: "+1 202 555 0100".into(),
        email: "grace@cobol.example".into(),
        idempotency_key: None,
    }
}

fn read_only(path: std::path::PathBuf) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open read-only")
}

/// The `payload` column of every stored event, as SQLite holds it.
fn raw_payloads(platform: &Platform) -> Vec<String> {
    let conn = read_only(platform.file("events.db"));
    let mut query = conn
        .prepare("SELECT payload FROM events ORDER BY position")
        .unwrap();
    query
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn key_rows(platform: &Platform, subject: &str) -> i64 {
    let conn = read_only(platform.file("keys.db"));
    conn.query_row(
        "SELECT count(*) FROM keys WHERE subject = ?1",
        [subject],
        |row| row.get(0),
    )
    .unwrap()
}

async fn read_customer(platform: &Platform, id: &str, wait_for: ConsistencyToken) -> Customer {
    platform
        .query()
        .get_customer(GetCustomerRequest {
            wait_for: vec![wait_for],
            customer_id: id.into(),
        })
        .await
        .expect("customer read")
        .into_inner()
}

/// Every stream of the log checked against its hash chain; `position → hash`.
async fn verified_hashes(platform: &Platform) -> BTreeMap<u64, String> {
    let events: Vec<EventEnvelope> = platform.store.read_all(0, 10_000).await.unwrap();
    let mut chains: BTreeMap<String, ChainCursor> = BTreeMap::new();
    for event in &events {
        chains
            .entry(event.stream_id.clone())
            .or_insert_with(|| ChainCursor::from_start(&event.stream_id))
            .check(event)
            .expect("the chain verifies");
    }
    events
        .iter()
        .map(|e| (e.position, e.hash.to_hex()))
        .collect()
}

fn assert_erased(customer: &Customer) {
    assert!(customer.erased, "{customer:?}");
    for field in [
        &customer.name,
        &customer.address,
        &customer.postal_code,
        &customer.city,
        &customer.telephone,
        &customer.email,
    ] {
        assert!(field.is_empty(), "{customer:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_customers_personal_fields_are_unreadable_in_the_log_but_shown_by_the_read_models()
 {
    let platform = spawn_platform().await;
    let id = new_id();
    let registered = token(
        platform
            .customers()
            .register_customer(ada(&id))
            .await
            .unwrap(),
    );

    let payloads = raw_payloads(&platform);
    assert_eq!(payloads.len(), 1);
    for secret in ["Lovelace", "ada@analytical.example", "7946", "St James"] {
        assert!(!payloads[0].contains(secret), "{secret} in {}", payloads[0]);
    }
    assert!(
        payloads[0].contains(&id),
        "non-personal fields stay readable"
    );
    assert!(payloads[0].contains("A256GCM"));

    let customer = read_customer(&platform, &id, registered).await;
    assert_eq!(customer.name, "Ada Lovelace");
    assert_eq!(customer.email, "ada@analytical.example");
    assert_eq!(customer.city, "London");
    assert!(!customer.erased);
    assert_eq!(key_rows(&platform, &format!("customer-{id}")), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_erasure_live_and_rebuilt_read_models_show_the_customer_erased_and_the_log_still_verifies()
 {
    let platform = spawn_platform().await;
    let (ada_id, grace_id) = (new_id(), new_id());
    let subject = format!("customer-{ada_id}");
    platform
        .customers()
        .register_customer(ada(&ada_id))
        .await
        .unwrap();
    let moved = ada(&ada_id);
    platform
        .customers()
        .update_customer_contact(UpdateCustomerContactRequest {
            customer_id: ada_id.clone(),
            name: moved.name,
            address: String::new(),
            postal_code: String::new(),
            city: "Ockham".into(),
            telephone: moved.telephone,
            email: moved.email,
            idempotency_key: None,
        })
        .await
        .unwrap();
    let grace_registered = token(
        platform
            .customers()
            .register_customer(grace(&grace_id))
            .await
            .unwrap(),
    );
    let hashes_before = verified_hashes(&platform).await;
    assert_eq!(hashes_before.len(), 3);

    let erased = token(
        platform
            .customers()
            .erase_personal_data(ErasePersonalDataRequest {
                customer_id: ada_id.clone(),
                idempotency_key: None,
            })
            .await
            .unwrap(),
    );

    // Live read models: erased, with empty fields; the other customer untouched.
    assert_erased(&read_customer(&platform, &ada_id, erased.clone()).await);
    let grace_row = read_customer(&platform, &grace_id, grace_registered.clone()).await;
    assert_eq!(grace_row.name, "Grace Hopper");

    // The log: one event more, every earlier event and hash as it was, chains intact.
    let hashes_after = verified_hashes(&platform).await;
    assert_eq!(hashes_after.len(), 4);
    for (position, hash) in &hashes_before {
        assert_eq!(
            hashes_after.get(position),
            Some(hash),
            "position {position}"
        );
    }
    // The key row is gone; the other customer's key stays.
    assert_eq!(key_rows(&platform, &subject), 0);
    assert_eq!(key_rows(&platform, &format!("customer-{grace_id}")), 1);

    // A rebuild replays the whole log: the erased customer stays erased from its
    // first event on, and the other customer reads back in full.
    platform.rebuild("customers").await;
    assert_erased(&read_customer(&platform, &ada_id, erased).await);
    let grace_row = read_customer(&platform, &grace_id, grace_registered).await;
    assert_eq!(grace_row.name, "Grace Hopper");
    assert_eq!(grace_row.email, "grace@cobol.example");

    let found = platform
        .query()
        .list_customers(ListCustomersRequest {
            search: "Lovelace".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(found.customers.is_empty(), "{found:?}");
}
