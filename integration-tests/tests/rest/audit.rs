//! The auditors' REST API (issue 7) end to end: a customer created over REST with a
//! correlation id, then its history, state as of a version, a diff, the trace of the
//! request, verification, an export that verifies offline, erasure that leaves the
//! chain intact, the admin-only rebuild, and bad input refused naming the parameter.

use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use identity::Role;

use crate::helpers::{Answer, TestPlatform, spawn_platform, token_for};

const CORRELATION: &str = "corr-audit-1";

/// Registers Ada (request `corr-audit-1`, by the planner `alice`, whose request also
/// claims in headers to be an admin called `mallory`: ignored), then renames her;
/// returns her stream id.
async fn renamed_customer(app: &TestPlatform) -> String {
    let alice = app.with_token(token_for(&app.platform, "alice", &[Role::Planner]));
    let created = alice
        .send(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Ada Lovelace", "telephone": "+44 20 7946 0000", "email": "ada@example.com"})),
            &[("x-correlation-id", CORRELATION), ("x-actor-subject", "mallory"), ("x-actor-role", "admin")],
        )
        .await
        .expect(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    app.put(
        &format!("/api/v1/customers/{id}/contact"),
        json!({"name": "Ada King", "telephone": "+44 20 7946 0000", "email": "ada@example.com"}),
    )
    .await
    .expect(200);
    format!("customer-{id}")
}

/// A GET answered with raw bytes (the export is NDJSON, not one JSON document).
async fn get_bytes(app: &TestPlatform, path: &str) -> (u16, HeaderMap, Vec<u8>) {
    let response = app
        .http
        .get(format!("{}{path}", app.base))
        .bearer_auth(app.token.as_deref().unwrap_or_default())
        .send()
        .await
        .expect("the BFF answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a body").to_vec();
    (status, headers, bytes)
}

async fn export_report(
    app: &TestPlatform,
    stream_id: &str,
) -> (es_core::audit::ExportReport, String) {
    let (status, _, bytes) =
        get_bytes(app, &format!("/api/v1/audit/export?stream={stream_id}")).await;
    assert_eq!(status, 200);
    let report = es_core::audit::verify_export(bytes.as_slice(), es_core::audit::NoProgress)
        .expect("the export reads");
    (report, String::from_utf8(bytes).unwrap())
}

async fn events_of(app: &TestPlatform, stream_id: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/api/v1/audit/streams/{stream_id}/events"))
        .await
        .expect(200);
    page.body["events"].as_array().unwrap().clone()
}

async fn log_length(app: &TestPlatform) -> usize {
    app.platform.store.read_all(0, 1_000).await.unwrap().len()
}

#[track_caller]
fn assert_refused(answer: Answer, status: u16, field: &str) {
    let answer = answer.expect(status);
    assert_eq!(answer.body["field"], field, "{:#}", answer.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streams_history_shows_every_envelope_field_with_the_payload_as_json_and_pages() {
    let app = spawn_platform().await;
    let stream_id = renamed_customer(&app).await;
    let events = events_of(&app, &stream_id).await;
    assert_eq!(events.len(), 2);
    let first = &events[0];
    for field in es_core::testing::ENVELOPE_JSON_FIELDS {
        assert!(
            first.get(field).is_some(),
            "{field} is missing from {first:#}"
        );
    }
    assert_eq!(first["event_type"], "customer.registered.v1");
    assert_eq!(first["correlation_id"], CORRELATION);
    assert_eq!(
        first["actor"],
        json!({"subject": "alice", "role": "planner"})
    );
    assert_eq!(first["payload"]["personal_data"]["name"], "Ada Lovelace");
    assert_eq!(first["prev_hash"], "0".repeat(64));
    assert_eq!(events[1]["prev_hash"], first["hash"], "the chain links");

    let path = format!("/api/v1/audit/streams/{stream_id}/events");
    let page_one = app.get(&format!("{path}?limit=1")).await.expect(200);
    assert_eq!(page_one.body["events"].as_array().unwrap().len(), 1);
    assert_eq!(page_one.body["next"], 1);
    let page_two = app
        .get(&format!("{path}?after=1&limit=1"))
        .await
        .expect(200);
    assert_eq!(page_two.body["events"][0]["version"], 2);
    assert_eq!(page_two.body["next"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_filtered_by_event_type_correlation_id_actor_and_time_recorded() {
    let app = spawn_platform().await;
    let stream_id = renamed_customer(&app).await;
    renamed_customer(&app).await;
    let count = |answer: Answer| answer.expect(200).body["events"].as_array().unwrap().len();
    let all = "/api/v1/audit/events";
    assert_eq!(count(app.get(all).await), 4);
    assert_eq!(
        count(
            app.get(&format!("{all}?event_type=customer.contact_updated.v1"))
                .await
        ),
        2
    );
    assert_eq!(
        count(
            app.get(&format!("{all}?correlation_id={CORRELATION}"))
                .await
        ),
        2
    );
    assert_eq!(
        count(
            app.get(&format!("{all}?actor=alice&aggregate_type=customer"))
                .await
        ),
        2
    );
    assert_eq!(
        count(
            app.get(&format!("{all}?from_position=2&to_position=4"))
                .await
        ),
        2
    );

    let renamed_at = events_of(&app, &stream_id).await[1]["recorded_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let since = app
        .get(&format!("{all}?from={renamed_at}"))
        .await
        .expect(200);
    assert_eq!(
        since.body["events"][0]["event_type"],
        "customer.contact_updated.v1"
    );
    assert_eq!(since.body["events"].as_array().unwrap().len(), 3);
    let before = app.get(&format!("{all}?to={renamed_at}")).await.expect(200);
    assert_eq!(before.body["events"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_that_is_not_rfc_3339_gets_the_message_the_cli_gives_naming_the_parameter() {
    let app = spawn_platform().await;
    let stream_id = renamed_customer(&app).await;
    for (path, field) in [
        (
            format!("/api/v1/audit/streams/{stream_id}/state?at=yesterday"),
            "at",
        ),
        ("/api/v1/audit/events?from=yesterday".to_owned(), "from"),
    ] {
        let refused = app.get(&path).await.expect(400);
        assert_eq!(refused.body["field"], field, "{}", refused.body);
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("`yesterday` is not an RFC 3339 time like 2026-12-01T09:00:00Z"),
            "{}",
            refused.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_as_of_version_1_is_the_registration_and_a_diff_names_the_renamed_field() {
    let app = spawn_platform().await;
    let stream_id = renamed_customer(&app).await;
    let base = format!("/api/v1/audit/streams/{stream_id}");
    let at_1 = app
        .get(&format!("{base}/state?version=1"))
        .await
        .expect(200);
    assert_eq!(
        (
            at_1.body["version"].as_u64(),
            at_1.body["current_version"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(
        at_1.body["state"]["Registered"]["personal_data"]["name"],
        "Ada Lovelace"
    );
    assert_eq!(
        at_1.body["last_event"]["event_type"],
        "customer.registered.v1"
    );
    let latest = app.get(&format!("{base}/state")).await.expect(200);
    assert_eq!(
        latest.body["state"]["Registered"]["personal_data"]["name"],
        "Ada King"
    );
    let at_time = latest.body["last_event"]["recorded_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_time = app
        .get(&format!("{base}/state?at={at_time}"))
        .await
        .expect(200);
    assert_eq!(by_time.body["version"], 2);

    let diff = app.get(&format!("{base}/diff?from=1")).await.expect(200);
    assert_eq!(diff.body["to_version"], 2, "no `to` means the latest");
    assert_eq!(
        diff.body["changes"],
        json!([{
            "path": "/Registered/personal_data/name",
            "before": "Ada Lovelace",
            "after": "Ada King",
            "changed_by": diff.body["events"],
        }])
    );
    assert_eq!(
        diff.body["events"][0]["event_type"],
        "customer.contact_updated.v1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_of_a_correlation_id_holds_what_that_request_did() {
    let app = spawn_platform().await;
    let stream_id = renamed_customer(&app).await;
    let trace = app
        .get(&format!("/api/v1/audit/traces/{CORRELATION}"))
        .await
        .expect(200);
    assert_eq!(trace.body["streams"], json!([stream_id]));
    let steps = trace.body["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "the rename was another request");
    assert_eq!(steps[0]["depth"], 0);
    assert_eq!(steps[0]["caused_by"], Value::Null);
    assert_eq!(steps[0]["event"]["event_type"], "customer.registered.v1");
    let nothing = app
        .get("/api/v1/audit/traces/corr-nobody")
        .await
        .expect(200);
    assert_eq!(nothing.body["steps"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_and_the_export_hold_before_and_after_erasure_which_shows_personal_data_as_null() {
    let app = spawn_platform().await;
    let stream_id = renamed_customer(&app).await;
    let whole = app.get("/api/v1/audit/verify").await.expect(200);
    assert_eq!(whole.body["intact"], true);
    assert_eq!(whole.body["first_break"], Value::Null);
    assert_eq!(whole.body["events_checked"], 2);

    let (status, headers, _) =
        get_bytes(&app, &format!("/api/v1/audit/export?stream={stream_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/x-ndjson");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"pitlane-export.ndjson\""
    );
    let (exported, _) = export_report(&app, &stream_id).await;
    assert!(exported.is_intact(), "{:?}", exported.first_problem);
    assert_eq!(exported.events_checked, 2);

    let id = stream_id.trim_start_matches("customer-");
    app.post(&format!("/api/v1/customers/{id}/erasure"), json!({}))
        .await
        .expect(200);
    let events = events_of(&app, &stream_id).await;
    assert_eq!(events.len(), 3);
    for event in &events[..2] {
        assert_eq!(event["payload"]["personal_data"], Value::Null, "{event:#}");
    }
    let past = app
        .get(&format!(
            "/api/v1/audit/streams/{stream_id}/state?version=1"
        ))
        .await
        .expect(200);
    assert_eq!(
        past.body["state"]["Registered"]["personal_data"],
        Value::Null
    );

    let one = app
        .get(&format!("/api/v1/audit/verify?stream={stream_id}"))
        .await
        .expect(200);
    assert_eq!(
        (
            one.body["intact"].as_bool(),
            one.body["events_checked"].as_u64()
        ),
        (Some(true), Some(3))
    );
    assert_eq!(one.body["streams_checked"], 1);
    let (after_erasure, text) = export_report(&app, &stream_id).await;
    assert!(
        after_erasure.is_intact(),
        "{:?}",
        after_erasure.first_problem
    );
    assert_eq!(after_erasure.events_checked, 3);
    assert!(
        !text.contains("Ada"),
        "no personal data in clear in the export"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_chain_is_a_200_whose_report_names_the_changed_event() {
    let app = spawn_platform().await;
    let stream_id = renamed_customer(&app).await;
    let file = app
        .platform
        .store
        .local_file()
        .expect("a store file")
        .to_owned();
    let changed = rusqlite::Connection::open(file)
        .unwrap()
        .execute(
            "UPDATE events SET causation_id = causation_id || 'x' WHERE stream_id = ?1 AND version = 2",
            [&stream_id],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let report = app.get("/api/v1/audit/verify").await.expect(200);
    assert_eq!(report.body["intact"], false);
    let link = &report.body["first_break"];
    assert_eq!(
        (link["stream_id"].as_str(), link["version"].as_u64()),
        (Some(stream_id.as_str()), Some(2))
    );
    assert_eq!(link["kind"], "hash");
    assert_ne!(link["expected"], link["found"]);
}

async fn read_model(app: &TestPlatform, name: &str) -> Value {
    let status = app.get("/api/v1/audit/rebuilds").await.expect(200);
    status.body["read_models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no read model `{name}` in {:#}", status.body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_starts_a_rebuild_which_switches_the_read_model_to_a_new_generation() {
    let app = spawn_platform().await;
    let stream_id = renamed_customer(&app).await;
    let body = json!({"read_models": ["customers"]});
    let uri = "/api/v1/audit/rebuilds";
    let generation = read_model(&app, "customers").await["generation"]
        .as_u64()
        .unwrap();
    let refused = app
        .anonymous()
        .send(
            Method::POST,
            uri,
            Some(body.clone()),
            &[("x-actor-role", "admin")],
        )
        .await
        .expect(401);
    assert_eq!(refused.problem_type(), "/problems/unauthenticated");
    for role in [Role::Planner, Role::Auditor] {
        let refused = app
            .with_token(token_for(&app.platform, "someone", &[role]))
            .send(
                Method::POST,
                uri,
                Some(body.clone()),
                &[("x-actor-role", "admin")],
            )
            .await
            .expect(403);
        assert_eq!(refused.problem_type(), "/problems/forbidden");
    }
    let untouched = read_model(&app, "customers").await;
    assert_eq!(
        (
            untouched["generation"].as_u64(),
            untouched["rebuilding"].as_bool()
        ),
        (Some(generation), Some(false))
    );

    let started = app
        .with_token(token_for(&app.platform, "root", &[Role::Admin]))
        .send(Method::POST, uri, Some(body), &[])
        .await
        .expect(202);
    assert_eq!(started.body["started"], json!(["customers"]));
    assert_eq!(started.header("location"), Some(uri));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let customers = read_model(&app, "customers").await;
        if customers["generation"].as_u64() == Some(generation + 1)
            && customers["rebuilding"] == false
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rebuild never switched: {customers:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = stream_id.trim_start_matches("customer-");
    let rebuilt = app
        .get(&format!("/api/v1/customers/{id}"))
        .await
        .expect(200);
    assert_eq!(rebuilt.body["name"], "Ada King");

    let unknown = app
        .send(
            Method::POST,
            uri,
            Some(json!({"read_models": ["no_such_model"]})),
            &[],
        )
        .await;
    assert_refused(unknown, 422, "read_models");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_audit_input_is_a_400_404_or_422_naming_it_and_changes_nothing() {
    let app = spawn_platform().await;
    let stream_id = renamed_customer(&app).await;
    let before = log_length(&app).await;
    let base = format!("/api/v1/audit/streams/{stream_id}");

    for path in [
        "/api/v1/audit/streams/customer-nobody/events",
        "/api/v1/audit/streams/customer-nobody/state",
    ] {
        let unknown = app.get(path).await.expect(404);
        assert_eq!(unknown.problem_type(), "/problems/not-found");
    }
    assert_refused(
        app.get("/api/v1/audit/verify?stream=customer-nobody").await,
        404,
        "stream",
    );
    let (status, _, _) = get_bytes(&app, "/api/v1/audit/export?stream=customer-nobody").await;
    assert_eq!(status, 404);

    assert_refused(
        app.get(&format!("{base}/state?version=abc")).await,
        400,
        "version",
    );
    assert_refused(
        app.get(&format!("{base}/state?at=yesterday")).await,
        400,
        "at",
    );
    assert_refused(
        app.get("/api/v1/audit/events?from=yesterday").await,
        400,
        "from",
    );

    // A version the stream has not reached names nothing: 404, naming the parameter.
    assert_refused(
        app.get(&format!("{base}/state?version=3")).await,
        404,
        "version",
    );
    assert_refused(
        app.get(&format!("{base}/diff?from=1&to=9")).await,
        404,
        "to",
    );
    assert_refused(app.get(&format!("{base}/diff?from=9")).await, 404, "from");
    assert_refused(
        app.get(&format!("{base}/diff?from=2&to=1")).await,
        422,
        "from",
    );
    assert_refused(
        app.get(&format!("{base}/events?limit=5000")).await,
        422,
        "limit",
    );

    assert_eq!(
        log_length(&app).await,
        before,
        "no audit call appends to the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_models_status_shows_the_disk_their_database_and_its_log_take() {
    let app = spawn_platform().await;
    renamed_customer(&app).await;
    let status = app.get("/api/v1/audit/rebuilds").await.expect(200);
    let storage = &status.body["storage"];
    let on_disk = std::fs::metadata(app.data_dir().join("read-models.db"))
        .unwrap()
        .len();
    // The file only grows (a checkpoint may move the log into it after the answer).
    let reported = storage["database_bytes"].as_u64().unwrap_or(0);
    assert!(
        reported > 0 && reported <= on_disk,
        "{storage} vs {on_disk} on disk"
    );
    assert!(storage["wal_bytes"].as_u64().is_some(), "{storage}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_models_status_shows_the_logs_head_and_the_disk_the_event_store_takes() {
    let app = spawn_platform().await;
    renamed_customer(&app).await;
    let status = app.get("/api/v1/audit/rebuilds").await.expect(200);
    let log = &status.body["event_store"];
    assert_eq!(log["head"], 2, "registered and renamed: {log}");
    let storage = &log["storage"];
    let file = std::fs::metadata(app.data_dir().join("events.db"))
        .unwrap()
        .len();
    // The file only grows (a checkpoint may move the log into it after the answer).
    let reported = storage["database_bytes"].as_u64().unwrap_or(0);
    assert!(
        reported > 0 && reported <= file,
        "{storage} vs {file} on disk"
    );
    assert!(storage["wal_bytes"].as_u64().is_some(), "{storage}");
}
