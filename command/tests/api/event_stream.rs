use std::time::Duration;

use contracts::v1::{HeadPositionRequest, SubscribeRequest};
use futures::StreamExt;
use tonic::Code;

use crate::helpers::{customer, new_id, next_event, spawn_app};

#[tokio::test]
async fn a_subscriber_gets_history_then_live_events_in_order() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.registered_customer().await;
    }
    let mut stream = app.subscribe(1, &[]).await.expect("subscribed");
    let live = {
        let mut customers = app.customers();
        tokio::spawn(async move {
            for _ in 0..2 {
                customers
                    .register_customer(customer(&new_id()))
                    .await
                    .unwrap();
            }
        })
    };
    let mut positions = Vec::new();
    while positions.len() < 4 {
        let envelope = next_event(&mut stream).await;
        assert_eq!(envelope.event_type, "customer.registered.v1");
        assert_eq!(envelope.hash.len(), 64);
        let payload: serde_json::Value = serde_json::from_str(&envelope.payload_json).unwrap();
        assert!(payload.is_object());
        positions.push(envelope.position);
    }
    live.await.unwrap();
    assert_eq!(positions, vec![2, 3, 4, 5]);
    let head = app
        .events()
        .head_position(HeadPositionRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(head.position, 5);
    let storage = head.storage.expect("the embedded store is a local file");
    assert!(
        storage.database_bytes + storage.wal_bytes > 0,
        "the store's file and WAL take disk: {storage:?}"
    );
}

#[tokio::test]
async fn a_subscription_can_be_filtered_by_aggregate_type_and_rejects_bad_filters() {
    let app = spawn_app().await;
    app.registered_customer().await;
    app.fleet()
        .register_driver(contracts::v1::RegisterDriverRequest {
            driver_id: new_id(),
            name: "Lewis".into(),
            driving_licence_number: "DL-1234".into(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    let mut stream = app.subscribe(0, &["driver"]).await.expect("subscribed");
    let first = next_event(&mut stream).await;
    assert_eq!(first.aggregate_type, "driver");

    let status = app.subscribe(0, &["Not A Type"]).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_ends_open_subscriptions_instead_of_waiting_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::helpers::config_in(dir.path());
    let auth = config.auth.open("test").unwrap();
    let (app, _) = crate::helpers::app_in(dir.path(), &config).await;
    let address = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let service = crate::helpers::as_subject(&channel, &auth, "query", &[identity::Role::Service]);
    let mut subscription = contracts::v1::event_stream_client::EventStreamClient::new(service)
        .subscribe(SubscribeRequest::default())
        .await
        .expect("subscribed")
        .into_inner();
    // A subscriber that listens forever, as the query service's projections do.
    let _ = stop.send(());
    let stopped_in_time = tokio::time::timeout(Duration::from_secs(5), running).await;
    assert!(
        matches!(stopped_in_time, Ok(Ok(Ok(())))),
        "the service stopped within 5 s: {stopped_in_time:?}"
    );
    let ended = tokio::time::timeout(Duration::from_secs(5), subscription.next()).await;
    assert!(
        matches!(ended, Ok(None) | Ok(Some(Err(_)))),
        "the subscription ended: {ended:?}"
    );
}

#[tokio::test]
async fn an_event_altered_in_the_store_is_never_streamed_and_the_stream_names_it() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.registered_customer().await;
    }
    let file = app.store.local_file().expect("a SQLite store").to_owned();
    let conn = rusqlite::Connection::open(&file).unwrap();
    let altered = conn
        .execute(
            "UPDATE events SET correlation_id = correlation_id || 'x' WHERE position = 2",
            [],
        )
        .unwrap();
    assert_eq!(altered, 1);
    let mut stream = app.subscribe(0, &[]).await.expect("subscribed");
    let first = stream
        .next()
        .await
        .expect("an item")
        .expect("event 1 is intact");
    assert_eq!(first.position, 1);
    let alarm = stream
        .next()
        .await
        .expect("an item")
        .expect_err("event 2 was altered");
    assert_eq!(alarm.code(), Code::DataLoss);
    assert!(
        alarm.message().contains("(position 2)"),
        "{}",
        alarm.message()
    );
    assert!(stream.next().await.is_none(), "nothing after the alarm");
}
