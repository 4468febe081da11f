//! What operators see of the platform (issue 15): `/metrics` as Prometheus reads it.
//! The recorder is one per process and the tests of this binary share it, so each
//! test compares counters before and after what it does.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use identity::Role;
use serde_json::Value;

use crate::helpers::{Rest, spawn_platform, token_for};

/// One sample of a scrape: its name (`…_bucket` for a histogram's buckets), labels
/// and value.
pub struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// A scrape: the families' types and help, and their samples.
pub struct Scrape {
    types: HashMap<String, String>,
    help: HashMap<String, String>,
    samples: Vec<Sample>,
}

/// `/metrics`, read by the official Prometheus client's parser
/// (`scripts/parse_metrics.py`, which refuses a malformed page); `None` where that
/// Python is not installed (`scripts/test-infra.sh up` installs it; CI has it).
pub async fn scrape(app: &Rest) -> Option<Scrape> {
    let python = es_core::testing::servers::server_url("GRPC_PYTHON")?;
    let response = app
        .http
        .get(format!("{}/metrics", app.base))
        .bearer_auth(app.token.as_deref().expect("a token"))
        .send()
        .await
        .expect("the BFF answers");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/parse_metrics.py");
    let mut parser = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    parser
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = parser.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "Prometheus' parser refuses the page: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut scrape = Scrape {
        types: HashMap::new(),
        help: HashMap::new(),
        samples: Vec::new(),
    };
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let family: Value = serde_json::from_str(line).unwrap();
        let name = family["name"].as_str().unwrap().to_owned();
        scrape
            .types
            .insert(name.clone(), family["type"].as_str().unwrap().to_owned());
        scrape
            .help
            .insert(name, family["help"].as_str().unwrap().to_owned());
        for sample in family["samples"].as_array().unwrap() {
            scrape.samples.push(Sample {
                name: sample["name"].as_str().unwrap().to_owned(),
                labels: serde_json::from_value(sample["labels"].clone()).unwrap(),
                value: sample["value"].as_f64().unwrap(),
            });
        }
    }
    Some(scrape)
}

/// The sum of the samples `name` with these labels (0 when there is none).
pub fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_http_requests_by_route_template_and_grpc_calls_by_code() {
    let app = spawn_platform().await;
    let auditor = app.with_token(token_for(&app.platform, "watcher", &[Role::Auditor]));
    let Some(before) = scrape(&auditor).await else {
        return;
    };

    app.post(
        "/api/v1/technicians",
        serde_json::json!({"name": "Ann Watt", "skills": ["repairs"]}),
    )
    .await
    .expect(201);
    let missing = "0190a4a0-0000-7000-8000-00000000dead";
    app.post(
        &format!("/api/v1/technicians/{missing}/reactivate"),
        serde_json::json!({}),
    )
    .await
    .expect(404);

    let after = scrape(&auditor).await.expect("parsed before");
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    let created = [
        ("method", "POST"),
        ("route", "/api/v1/technicians"),
        ("status", "201"),
    ];
    assert!(moved("http_server_requests_total", &created) >= 1.0);
    let refused = [
        ("method", "POST"),
        ("route", "/api/v1/technicians/{technician_id}/reactivate"),
        ("status", "404"),
    ];
    assert!(moved("http_server_requests_total", &refused) >= 1.0);
    let registered = [
        ("grpc_service", "pitlane.v1.WorkshopCommands"),
        ("grpc_method", "RegisterTechnician"),
        ("grpc_code", "Ok"),
    ];
    assert!(moved("grpc_server_handled_total", &registered) >= 1.0);
    let not_found = [
        ("grpc_method", "ReactivateTechnician"),
        ("grpc_code", "NotFound"),
    ];
    assert!(moved("grpc_server_handled_total", &not_found) >= 1.0);
    // No label carries an id: the route is the template.
    assert!(
        after
            .samples
            .iter()
            .all(|s| s.labels.values().all(|v| !v.contains(missing))),
        "a label holds an id"
    );
    // Latencies are histograms with buckets Prometheus can take quantiles of.
    assert_eq!(
        after.types["http_server_request_duration_seconds"],
        "histogram"
    );
    let buckets = after
        .samples
        .iter()
        .filter(|s| s.name == "http_server_request_duration_seconds_bucket")
        .filter(|s| s.labels.get("route").map(String::as_str) == Some("/api/v1/technicians"))
        .count();
    assert!(buckets > 5, "{buckets} buckets");
    assert_eq!(after.types["http_server_requests"], "counter");
    assert!(after.help["http_server_requests"].contains("route template"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_for_auditors_and_admins_only() {
    let app = spawn_platform().await;
    let url = format!("{}/metrics", app.base);
    let anonymous = app.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let planner = token_for(&app.platform, "pat", &[Role::Planner]);
    let denied = app
        .http
        .get(&url)
        .bearer_auth(planner)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
    let admin = token_for(&app.platform, "root", &[Role::Admin]);
    let admitted = app.http.get(&url).bearer_auth(admin).send().await.unwrap();
    assert_eq!(admitted.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_commands_by_outcome_and_show_the_store_and_the_projections() {
    let app = spawn_platform().await;
    let auditor = app.with_token(token_for(&app.platform, "watcher", &[Role::Auditor]));
    let Some(before) = scrape(&auditor).await else {
        return;
    };
    let body = serde_json::json!({"name": "Bo Volt", "skills": ["paint"]});
    let key = [("idempotency-key", "metrics-test-register-bo")];
    let first = app
        .send(
            reqwest::Method::POST,
            "/api/v1/technicians",
            Some(body.clone()),
            &key,
        )
        .await
        .expect(201);
    app.send(
        reqwest::Method::POST,
        "/api/v1/technicians",
        Some(body),
        &key,
    )
    .await
    .expect(201);
    let missing = "0190a4a0-0000-7000-8000-00000000beef";
    app.post(
        &format!("/api/v1/technicians/{missing}/deactivate"),
        serde_json::json!({}),
    )
    .await
    .expect(404);
    // A read that waits for the write: the projections have applied it.
    let id = first.body["id"].as_str().unwrap().to_owned();
    app.get_after(&format!("/api/v1/technicians/{id}"), &first.token())
        .await
        .expect(200);

    let after = scrape(&auditor).await.expect("parsed before");
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    let commands = "pitlane_commands_total";
    let register = [
        ("aggregate_type", "technician"),
        ("command", "RegisterTechnician"),
    ];
    assert!(
        moved(
            commands,
            &[register[0], register[1], ("outcome", "accepted")]
        ) >= 1.0
    );
    assert!(
        moved(
            commands,
            &[register[0], register[1], ("outcome", "replayed")]
        ) >= 1.0
    );
    let refused = [
        ("command", "DeactivateTechnician"),
        ("outcome", "refused"),
        ("reason", "technician_not_found"),
    ];
    assert!(moved(commands, &refused) >= 1.0);
    assert!(moved("pitlane_aggregate_cache_requests_total", &[]) >= 1.0);
    assert!(
        moved(
            "pitlane_read_consistency_waits_total",
            &[("outcome", "reached")]
        ) >= 1.0
    );
    assert_eq!(
        after.types["pitlane_event_store_append_duration_seconds"],
        "histogram"
    );
    assert!(
        moved(
            "pitlane_event_store_append_duration_seconds_count",
            &[("store", "sqlite")]
        ) >= 1.0
    );
    let head = value(&after, "pitlane_event_store_head_position", &[]);
    assert!(head >= 1.0, "head {head}");
    let applied = value(
        &after,
        "pitlane_projection_position",
        &[("projection", "read-models")],
    );
    assert!(applied >= 1.0, "projection position {applied}");
    assert_eq!(after.types["pitlane_projection_lag_events"], "gauge");
    assert_eq!(after.types["grpc_server_handling_seconds"], "histogram");
}
