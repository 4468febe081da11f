//! The read-only `Audit` gRPC service (issue 7) on a real server and a real store file:
//! history, state as of, diff, trace, verify and export, before and after erasure.

use contracts::v1::audit_client::AuditClient;
use contracts::v1::{
    AuditFilter, AuditHistoryRequest, ExportRequest, StateAsOfReply, StateAsOfRequest,
    StateDiffRequest, TraceRequest, VerifyReport, VerifyRequest, state_as_of_request::AsOf,
    verify_update::Update,
};
use futures::StreamExt;
use serde_json::Value;
use tonic::Code;

use crate::helpers::{
    TestApp, contact_update, customer, detail, erase, new_id, spawn_app, with_metadata,
};

fn audit(app: &TestApp) -> AuditClient<crate::helpers::AuthedChannel> {
    AuditClient::new(app.channel.clone())
}

/// A customer registered, then renamed; both by request `corr-42`.
async fn renamed_customer(app: &TestApp) -> String {
    let id = new_id();
    app.customers()
        .register_customer(with_metadata(customer(&id)))
        .await
        .unwrap();
    app.customers()
        .update_customer_contact(with_metadata(contact_update(&id)))
        .await
        .unwrap();
    id
}

fn history(stream_id: &str) -> AuditHistoryRequest {
    AuditHistoryRequest {
        stream_id: stream_id.into(),
        ..Default::default()
    }
}

/// The state of `stream_id` as of `version`.
async fn state_at(app: &TestApp, stream_id: &str, version: u64) -> StateAsOfReply {
    audit(app)
        .state_as_of(StateAsOfRequest {
            stream_id: stream_id.into(),
            as_of: Some(AsOf::Version(version)),
        })
        .await
        .unwrap()
        .into_inner()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

async fn verify(app: &TestApp, stream_id: &str) -> VerifyReport {
    let mut updates = audit(app)
        .verify(VerifyRequest {
            stream_id: stream_id.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut report = None;
    while let Some(update) = updates.next().await {
        if let Some(Update::Report(last)) = update.unwrap().update {
            report = Some(last);
        }
    }
    *report.expect("the stream ends with a report")
}

#[tokio::test]
async fn history_returns_every_envelope_of_a_stream_with_who_when_and_why() {
    let app = spawn_app().await;
    let id = renamed_customer(&app).await;
    let page = audit(&app)
        .history(history(&format!("customer-{id}")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.events.len(), 2);
    assert_eq!(page.next, None);
    let first = &page.events[0];
    assert_eq!(first.event_type, "customer.registered.v1");
    assert_eq!(first.correlation_id, "corr-42");
    assert_eq!(first.actor.as_ref().unwrap().subject, "alice");
    assert_eq!(first.schema_version, 1);
    assert!(!first.causation_id.is_empty() && !first.recorded_at.is_empty());
    assert_eq!(
        json(&page.events[1].payload_json)["personal_data"]["name"],
        "Ada King"
    );
}

#[tokio::test]
async fn history_of_all_filters_by_event_type_and_pages_with_a_cursor() {
    let app = spawn_app().await;
    for _ in 0..3 {
        renamed_customer(&app).await;
    }
    let request = |after| AuditHistoryRequest {
        filter: Some(AuditFilter {
            event_type: "customer.contact_updated.v1".into(),
            ..Default::default()
        }),
        after,
        limit: 2,
        ..Default::default()
    };
    let first = audit(&app).history(request(0)).await.unwrap().into_inner();
    assert_eq!(first.events.len(), 2);
    let second = audit(&app)
        .history(request(first.next.expect("a further page")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.events.len(), 1);
    assert!(
        first
            .events
            .iter()
            .chain(&second.events)
            .all(|e| e.event_type == "customer.contact_updated.v1")
    );
}

#[tokio::test]
async fn the_state_as_of_a_version_is_the_replay_up_to_it_and_a_diff_names_the_changed_field() {
    let app = spawn_app().await;
    let id = renamed_customer(&app).await;
    let stream_id = format!("customer-{id}");
    let at_1 = state_at(&app, &stream_id, 1).await;
    assert_eq!((at_1.version, at_1.current_version), (1, 2));
    assert_eq!(
        json(&at_1.state_json)["Registered"]["personal_data"]["name"],
        "Ada Lovelace"
    );

    let diff = audit(&app)
        .diff(StateDiffRequest {
            stream_id,
            from_version: 1,
            to_version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(diff.to_version, 2, "0 means the latest version");
    let paths: Vec<&str> = diff.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["/Registered/personal_data/name"]);
    let change = &diff.changes[0];
    assert_eq!(change.before_json.as_deref(), Some("\"Ada Lovelace\""));
    assert_eq!(change.after_json.as_deref(), Some("\"Ada King\""));
    assert_eq!(
        change.changed_by[0].event_type,
        "customer.contact_updated.v1"
    );
}

#[tokio::test]
async fn a_trace_holds_every_event_of_one_request_across_streams() {
    let app = spawn_app().await;
    let (a, b) = (new_id(), new_id());
    app.customers()
        .register_customer(with_metadata(customer(&a)))
        .await
        .unwrap();
    app.customers()
        .register_customer(customer(&new_id()))
        .await
        .unwrap();
    app.customers()
        .register_customer(with_metadata(customer(&b)))
        .await
        .unwrap();
    let trace = audit(&app)
        .trace(TraceRequest {
            correlation_id: "corr-42".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        trace.streams,
        [format!("customer-{a}"), format!("customer-{b}")]
    );
    assert!(
        trace
            .steps
            .iter()
            .all(|s| s.depth == 0 && s.caused_by.is_empty())
    );
}

#[tokio::test]
async fn unknown_streams_malformed_times_and_oversized_pages_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let unknown = audit(&app)
        .history(history("customer-nobody"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(detail(&unknown).reason, "unknown_stream");

    let id = renamed_customer(&app).await;
    let bad_time = audit(&app)
        .state_as_of(StateAsOfRequest {
            stream_id: format!("customer-{id}"),
            as_of: Some(AsOf::At("yesterday".into())),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_time.code(), Code::InvalidArgument);
    assert_eq!(detail(&bad_time).field, "at");

    let past_end = audit(&app)
        .state_as_of(StateAsOfRequest {
            stream_id: format!("customer-{id}"),
            as_of: Some(AsOf::Version(3)),
        })
        .await
        .unwrap_err();
    assert_eq!(detail(&past_end).field, "version");

    let too_big = audit(&app)
        .history(AuditHistoryRequest {
            limit: 5_000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(detail(&too_big).field, "limit");

    let bad_filter = audit(&app)
        .history(AuditHistoryRequest {
            filter: Some(AuditFilter {
                recorded_from: "2026-13-01".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(detail(&bad_filter).field, "filter.recorded_from");
}

#[tokio::test]
async fn verify_reports_every_chain_intact_and_names_a_flipped_byte_exactly() {
    let app = spawn_app().await;
    let id = renamed_customer(&app).await;
    renamed_customer(&app).await;
    let intact = verify(&app, "").await;
    assert_eq!((intact.events_checked, intact.streams_checked), (4, 2));
    assert!(intact.first_break.is_none());

    let stream_id = format!("customer-{id}");
    let file = app.store.local_file().unwrap().to_owned();
    let conn = rusqlite::Connection::open(&file).unwrap();
    let flipped = conn
        .execute(
            "UPDATE events SET causation_id = causation_id || 'x' WHERE stream_id = ?1 AND version = 2",
            [&stream_id],
        )
        .unwrap();
    assert_eq!(flipped, 1);
    let broken = verify(&app, "")
        .await
        .first_break
        .expect("the change is found");
    assert_eq!(
        (broken.stream_id.as_str(), broken.version),
        (stream_id.as_str(), 2)
    );
    assert_eq!(broken.kind, "hash");
    assert_ne!(broken.expected, broken.found);
}

#[tokio::test]
async fn after_erasure_history_and_state_show_the_fields_erased_exports_hold_no_clear_text_and_verify_passes()
 {
    let app = spawn_app().await;
    let id = renamed_customer(&app).await;
    app.customers()
        .erase_personal_data(erase(&id))
        .await
        .unwrap();
    let stream_id = format!("customer-{id}");

    let page = audit(&app)
        .history(history(&stream_id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.events.len(), 3);
    for event in &page.events[..2] {
        assert_eq!(json(&event.payload_json)["personal_data"], Value::Null);
    }
    let before_erasure = state_at(&app, &stream_id, 1).await;
    assert_eq!(
        json(&before_erasure.state_json)["Registered"]["personal_data"],
        Value::Null,
        "not even a past state shows erased data"
    );

    let mut chunks = audit(&app)
        .export(ExportRequest {
            stream_id: stream_id.clone(),
            filter: None,
        })
        .await
        .unwrap()
        .into_inner();
    let mut ndjson = Vec::new();
    while let Some(chunk) = chunks.next().await {
        ndjson.extend(chunk.unwrap().ndjson);
    }
    let text = String::from_utf8(ndjson).unwrap();
    assert!(
        !text.contains("Ada"),
        "no personal data in clear in the export"
    );
    let report =
        es_core::audit::verify_export(text.as_bytes(), es_core::audit::NoProgress).unwrap();
    assert!(report.is_intact(), "{:?}", report.first_problem);
    assert_eq!(report.events_checked, 3);

    let verified = verify(&app, &stream_id).await;
    assert!(verified.first_break.is_none());
    assert_eq!(verified.events_checked, 3);
}

#[tokio::test]
async fn verifying_or_exporting_an_unknown_stream_is_not_found() {
    let app = spawn_app().await;
    let verify = audit(&app)
        .verify(VerifyRequest {
            stream_id: "route-nowhere".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(verify.code(), Code::NotFound);
    let export = audit(&app)
        .export(ExportRequest {
            stream_id: "route-nowhere".into(),
            filter: None,
        })
        .await
        .unwrap_err();
    assert_eq!(export.code(), Code::NotFound);
}
