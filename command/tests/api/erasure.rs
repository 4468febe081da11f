//! Crypto-shredding through the command service (ADR 010): personal data sealed in the
//! store, opened on the event stream, unreadable everywhere once erased.

use command::bus::CommandBus;
use command::customers::{Customer, CustomerCommand};
use command::shared::CustomerId;
use contracts::v1::EventEnvelope as WireEnvelope;
use es_core::{EventMetadata, SnapshotPolicy};
use serde_json::Value;
use tonic::Code;

use crate::helpers::{TestApp, contact_update, detail, erase, next_event, spawn_app};

/// The first `n` customer events as the event stream sends them.
async fn streamed(app: &TestApp, n: usize) -> Vec<WireEnvelope> {
    let mut stream = app.subscribe(0, &["customer"]).await.expect("subscribed");
    let mut events = Vec::new();
    while events.len() < n {
        events.push(next_event(&mut stream).await);
    }
    events
}

fn payload(event: &WireEnvelope) -> Value {
    serde_json::from_str(&event.payload_json).unwrap()
}

/// Customer `id`'s erasure appended by `bus`, which, unlike the service, never goes on
/// to erase the key.
async fn erasure_appended_by(bus: &CommandBus, id: &str) {
    bus.run::<Customer>(
        id,
        CustomerCommand::ErasePersonalData,
        &EventMetadata::system(),
        None,
        None,
    )
    .await
    .expect("erasure appended");
}

#[tokio::test]
async fn personal_data_is_sealed_in_the_store_and_opened_on_the_event_stream() {
    let app = spawn_app().await;
    let id = app.registered_customer().await;

    let stored = &app.all_events().await[0];
    let sealed = &stored.payload["personal_data"];
    assert_eq!(sealed["alg"], "A256GCM");
    assert_eq!(sealed["subject"], format!("customer-{id}"));
    assert_eq!(stored.payload["customer_id"], id.as_str());
    let text = stored.payload.to_string();
    assert!(!text.contains("Ada") && !text.contains("ada@example.com"));

    let sent = payload(&streamed(&app, 1).await[0]);
    assert_eq!(sent["customer_id"], id.as_str());
    assert_eq!(sent["personal_data"]["name"], "Ada Lovelace");
    assert_eq!(sent["personal_data"]["email"], "ada@example.com");
}

#[tokio::test]
async fn erasing_personal_data_appends_the_event_then_erases_the_key() {
    let app = spawn_app().await;
    let id = app.registered_customer().await;
    let subject = format!("customer-{id}");
    let before = app.all_events().await;

    let reply = app.customers().erase_personal_data(erase(&id)).await;
    assert_eq!(reply.unwrap().into_inner().token.unwrap().version, 2);

    let after = app.all_events().await;
    assert_eq!(after.len(), 2);
    assert_eq!(after[0], before[0], "the log is never rewritten");
    assert_eq!(after[1].event_type, "customer.personal_data_erased.v1");
    let sealed = &after[0].payload["personal_data"];
    assert_eq!(app.vault.open(&subject, sealed).await.unwrap(), None);

    let sent = streamed(&app, 2).await;
    let registered = payload(&sent[0]);
    assert_eq!(registered["personal_data"], Value::Null);
    assert_eq!(registered["customer_id"], id.as_str());
    assert_eq!(sent[0].hash, before[0].hash.to_hex(), "the stored hash");

    // Erasing again is a no-op that answers the same version.
    let again = app.customers().erase_personal_data(erase(&id)).await;
    assert_eq!(again.unwrap().into_inner().token.unwrap().version, 2);
    assert_eq!(app.all_events().await.len(), 2);
}

#[tokio::test]
async fn an_erasure_interrupted_before_the_key_was_erased_is_completed_by_a_retry() {
    let app = spawn_app().await;
    let id = app.registered_customer().await;
    // The erasure event lands, but the process "dies" before the key is erased: a bus
    // that appends with the same vault and never erases.
    let bus = CommandBus::new(app.store.clone(), SnapshotPolicy::NEVER, 3, 0)
        .with_vault(app.vault.clone());
    erasure_appended_by(&bus, &id).await;
    let subject = format!("customer-{id}");
    let stored = app.all_events().await;
    let sealed = &stored[0].payload["personal_data"];
    assert!(app.vault.open(&subject, sealed).await.unwrap().is_some());

    // The client's retry appends nothing and finishes the job.
    app.customers()
        .erase_personal_data(erase(&id))
        .await
        .unwrap();
    assert_eq!(app.all_events().await.len(), 2);
    assert_eq!(app.vault.open(&subject, sealed).await.unwrap(), None);
}

#[tokio::test]
async fn an_erased_customer_loads_as_erased_and_refuses_new_personal_data() {
    let app = spawn_app().await;
    let id = app.registered_customer().await;
    // A bus that would snapshot after every event, and caches nothing.
    let cold = CommandBus::new(app.store.clone(), SnapshotPolicy::every(1), 3, 0)
        .with_vault(app.vault.clone());
    erasure_appended_by(&cold, &id).await;
    app.customers()
        .erase_personal_data(erase(&id))
        .await
        .unwrap();

    // Replayed from the log: the shredded events still apply.
    let loaded = cold.repository::<Customer>().load(&id).await.unwrap();
    let customer_id: CustomerId = serde_json::from_value(Value::from(id.as_str())).unwrap();
    assert_eq!(loaded.state, Customer::Erased { id: customer_id });
    assert_eq!(loaded.version, 2);
    let snapshot = app.store.load_snapshot(&format!("customer-{id}")).await;
    assert!(
        snapshot.unwrap().is_none(),
        "customers are never snapshotted"
    );

    let status = app
        .customers()
        .update_customer_contact(contact_update(&id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(detail(&status).reason, "customer_erased");
    assert_eq!(app.all_events().await.len(), 2);
}
