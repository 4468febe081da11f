use contracts::v1::CommandReply;
use tonic::Code;

use crate::helpers::{TestApp, contact_update, customer, detail, new_id, spawn_app, with_metadata};

#[tokio::test]
async fn a_registered_customer_replies_with_its_consistency_token() {
    let app = spawn_app().await;
    let id = new_id();
    let reply = app
        .customers()
        .register_customer(customer(&id))
        .await
        .expect("registered")
        .into_inner();
    let token = reply.token.expect("token");
    assert_eq!(token.stream_id, format!("customer-{id}"));
    assert_eq!(token.version, 1);
    assert_eq!(reply.aggregate_id, id);
    let events = app.all_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].position, token.position);
    assert_eq!(events[0].event_type, "customer.registered.v1");
}

#[tokio::test]
async fn request_metadata_lands_in_every_event_envelope() {
    let app = spawn_app().await;
    app.customers()
        .register_customer(with_metadata(customer(&new_id())))
        .await
        .expect("registered");
    let event = &app.all_events().await[0];
    assert_eq!(event.correlation_id, "corr-42");
    assert_eq!(event.actor.subject, "alice");
    assert_eq!(event.actor.role, "planner");
    assert_eq!(
        event.traceparent.as_deref(),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
    assert!(!event.causation_id.is_empty());
}

#[tokio::test]
async fn every_empty_or_malformed_required_field_is_an_invalid_argument_naming_it_and_appends_nothing()
 {
    let app = spawn_app().await;
    for (field, value) in [
        ("customer_id", ""),
        ("name", ""),
        ("telephone", ""),
        ("email", ""),
        ("email", "not-an-email"),
    ] {
        let mut request = customer(&new_id());
        match field {
            "customer_id" => request.customer_id = value.into(),
            "name" => request.name = value.into(),
            "telephone" => request.telephone = value.into(),
            _ => request.email = value.into(),
        }
        let status = app
            .customers()
            .register_customer(request)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field} = {value:?}");
        assert_eq!(detail(&status).field, field, "{value:?}");
    }
    assert!(app.all_events().await.is_empty());
}

#[tokio::test]
async fn registering_an_existing_customer_is_already_exists_and_appends_nothing() {
    let app = spawn_app().await;
    let id = app.registered_customer().await;
    let status = app
        .customers()
        .register_customer(customer(&id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert!(!detail(&status).reason.is_empty());
    assert_eq!(app.all_events().await.len(), 1);
}

#[tokio::test]
async fn updating_an_unknown_customer_is_not_found() {
    let app = spawn_app().await;
    let status = app
        .customers()
        .update_customer_contact(contact_update(&new_id()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_original_reply_and_appends_nothing() {
    let app = spawn_app().await;
    let mut request = customer(&new_id());
    request.idempotency_key = Some("key-1".into());
    let first = app
        .customers()
        .register_customer(request.clone())
        .await
        .unwrap()
        .into_inner();
    let second = app
        .customers()
        .register_customer(request.clone())
        .await
        .expect("a retry with the same key succeeds")
        .into_inner();
    assert_eq!(first, second);
    assert_eq!(app.all_events().await.len(), 1);

    request.name = "Someone Else".into();
    let status = app
        .customers()
        .register_customer(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(detail(&status).field, "idempotency_key");
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_apply_once() {
    let app = spawn_app().await;
    let mut request = customer(&new_id());
    request.idempotency_key = Some("key-race".into());
    let calls = (0..8).map(|_| {
        let mut client = app.customers();
        let request = request.clone();
        tokio::spawn(async move { client.register_customer(request).await })
    });
    let replies: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| {
            r.unwrap()
                .expect("every retry gets the original reply")
                .into_inner()
        })
        .collect();
    assert!(replies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(app.all_events().await.len(), 1);
}

/// Updates customer `id`'s contact expecting its stream at `version` (`x-expected-version`).
async fn update_expecting(
    app: &TestApp,
    id: &str,
    version: &str,
) -> Result<CommandReply, tonic::Status> {
    let mut request = tonic::Request::new(contact_update(id));
    request
        .metadata_mut()
        .insert("x-expected-version", version.parse().unwrap());
    let reply = app.customers().update_customer_contact(request).await?;
    Ok(reply.into_inner())
}

#[tokio::test]
async fn a_command_expecting_the_current_version_applies() {
    let app = spawn_app().await;
    let id = app.registered_customer().await;
    let reply = update_expecting(&app, &id, "1")
        .await
        .expect("applies at version 1");
    assert_eq!(reply.token.expect("token").version, 2);
}

#[tokio::test]
async fn a_command_expecting_a_stale_version_is_a_version_mismatch_and_appends_nothing() {
    let app = spawn_app().await;
    let id = app.registered_customer().await;
    app.customers()
        .update_customer_contact(contact_update(&id))
        .await
        .expect("now at version 2");
    let status = update_expecting(&app, &id, "1").await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(detail(&status).reason, "version_mismatch");
    assert_eq!(app.all_events().await.len(), 2);
}

#[tokio::test]
async fn a_malformed_expected_version_is_an_invalid_argument_naming_the_key() {
    let app = spawn_app().await;
    let id = app.registered_customer().await;
    let status = update_expecting(&app, &id, "one").await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(detail(&status).field, "x-expected-version");
}
