//! One trace per request across the services (issue 15): the BFF continues the caller's
//! `traceparent`, the command service continues the BFF's, and the event records the
//! BFF's span as its `traceparent`. Its own test binary: it installs the process's
//! tracing subscriber, with an in-memory exporter in place of OTLP.

#[allow(dead_code)]
#[path = "rest/helpers.rs"]
mod helpers;

use std::time::Duration;

use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use reqwest::Method;
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt as _;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_rest_command_is_one_trace_from_the_bff_through_the_command_handler_to_its_event() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("info"))
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let app = helpers::spawn_platform().await;
    let traceparent = format!("00-{TRACE}-{CALLER_SPAN}-01");
    let headers = [("traceparent", traceparent.as_str())];
    let body = json!({"name": "Tia Trace", "skills": ["repairs"]});
    let created = app
        .send(Method::POST, "/api/v1/technicians", Some(body), &headers)
        .await
        .expect(201);
    let missing = "0190a4a0-0000-7000-8000-00000000cafe";
    let path = format!("/api/v1/technicians/{missing}/deactivate");
    let refused = app
        .send(Method::POST, &path, Some(json!({})), &headers)
        .await
        .expect(404);
    assert_eq!(refused.body["trace_id"], TRACE, "{:#}", refused.body);

    // The event names the trace, and the span that sent the command (not the caller's).
    let stream = format!("technician-{}", created.body["id"].as_str().unwrap());
    let history = app
        .get_after(
            &format!("/api/v1/audit/streams/{stream}/events"),
            &created.token(),
        )
        .await
        .expect(200);
    let recorded = history.body["events"][0]["traceparent"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(recorded.starts_with(&format!("00-{TRACE}-")), "{recorded}");
    assert!(!recorded.contains(CALLER_SPAN), "{recorded}");

    // The spans, as the exporter got them (a span is exported when it closes).
    let trace = TraceId::from_hex(TRACE).unwrap();
    let mut spans: Vec<SpanData> = Vec::new();
    for _ in 0..50 {
        spans = exporter
            .get_finished_spans()
            .unwrap()
            .into_iter()
            .filter(|s| s.span_context.trace_id() == trace)
            .collect();
        if spans.iter().filter(|s| s.name == "request").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names: Vec<_> = spans.iter().map(|s| s.name.to_string()).collect();
    let bff = spans
        .iter()
        .find(|s| {
            s.name == "request" && attribute(s, "path").as_deref() == Some("/api/v1/technicians")
        })
        .unwrap_or_else(|| panic!("no BFF span in {names:?}"));
    assert_eq!(bff.parent_span_id, SpanId::from_hex(CALLER_SPAN).unwrap());
    let grpc = spans
        .iter()
        .find(|s| {
            s.name == "grpc" && attribute(s, "method").as_deref() == Some("RegisterTechnician")
        })
        .unwrap_or_else(|| panic!("no command-service span in {names:?}"));
    assert_eq!(
        grpc.parent_span_id,
        bff.span_context.span_id(),
        "the BFF called it"
    );
    assert_eq!(attribute(grpc, "subject").as_deref(), Some("tester"));
    let command = spans
        .iter()
        .find(|s| s.name == "command" && s.parent_span_id == grpc.span_context.span_id())
        .unwrap_or_else(|| panic!("no command handler span under the call in {names:?}"));
    assert_eq!(
        attribute(command, "command").as_deref(),
        Some("RegisterTechnician")
    );
    assert!(
        recorded.contains(&bff.span_context.span_id().to_string()),
        "{recorded}"
    );
    // The projector's batch that applied the event links back to the command's trace.
    let projected = exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|s| s.name == "projection_batch")
        .any(|s| {
            s.links
                .iter()
                .any(|link| link.span_context.span_id() == bff.span_context.span_id())
        });
    assert!(
        projected,
        "no projection batch links to the command's trace"
    );
}
