//! Metrics every service of this process records, exported in Prometheus' text format.
//!
//! The services record through the [`metrics`] facade (`metrics::counter!(…)`), naming
//! each metric by a constant of [`names`], so a name is written once and described
//! once ([`describe`]). The process installs one recorder ([`install_metrics`]): under
//! `pitlane up` all three services share it and the BFF serves it at `/metrics`; a
//! service run alone serves it on `PITLANE_METRICS_ADDR`. Before installation the
//! facade records into nothing, at no cost worth measuring.
//!
//! Names follow Prometheus' conventions: base units (`_seconds`), `_total` on counters,
//! label values from small fixed sets (a route's template, never its ids).

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::env::Variable;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// How log lines are written (read by the launcher, which installs the logger).
pub const LOG_FORMAT: Variable = Variable::new(
    "PITLANE_LOG_FORMAT",
    "",
    "log lines as `json` (one object a line, with the request's correlation id) or `text` [default: text on a terminal, json otherwise]",
);
/// Where a service run alone serves its metrics.
pub const METRICS_ADDR: Variable = Variable::new(
    "PITLANE_METRICS_ADDR",
    "",
    "also serve Prometheus metrics at http://ADDR/metrics, without a token: bind it to a private network (the BFF and `pitlane up` serve them at /metrics on the REST port, to auditors and admins) [default: not served]",
);
/// Where traces go (read by OpenTelemetry's exporter itself, with the other standard
/// `OTEL_*` variables; listed here for `--help`).
pub const OTLP_ENDPOINT: Variable = Variable::new(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "",
    "export traces over OTLP/gRPC to this collector, e.g. http://jaeger:4317; the other standard OTEL_* variables apply (OTEL_SERVICE_NAME, default pitlane; OTEL_EXPORTER_OTLP_HEADERS, …) [default: not exported]",
);
/// The variables of logs, metrics and traces, for `--help`.
pub const VARIABLES: &[Variable] = &[LOG_FORMAT, METRICS_ADDR, OTLP_ENDPOINT];

/// Every metric's name, written once.
pub mod names {
    // HTTP (the BFF).
    pub const HTTP_REQUESTS: &str = "http_server_requests_total";
    pub const HTTP_DURATION: &str = "http_server_request_duration_seconds";
    pub const HTTP_ACTIVE: &str = "http_server_active_requests";
    // gRPC (the command and query services).
    pub const GRPC_HANDLED: &str = "grpc_server_handled_total";
    pub const GRPC_DURATION: &str = "grpc_server_handling_seconds";
    pub const GRPC_ACTIVE: &str = "grpc_server_active_calls";
    // Commands and the event store.
    pub const COMMANDS: &str = "pitlane_commands_total";
    pub const APPEND_DURATION: &str = "pitlane_event_store_append_duration_seconds";
    pub const APPEND_BATCH: &str = "pitlane_event_store_append_batch_requests";
    pub const LOG_HEAD: &str = "pitlane_event_store_head_position";
    pub const CACHE: &str = "pitlane_aggregate_cache_requests_total";
    // Projections.
    pub const PROJECTION_POSITION: &str = "pitlane_projection_position";
    pub const PROJECTION_HEAD: &str = "pitlane_projection_head_position";
    pub const PROJECTION_LAG_EVENTS: &str = "pitlane_projection_lag_events";
    pub const PROJECTION_LAG_SECONDS: &str = "pitlane_projection_lag_seconds";
    pub const PROJECTION_BATCH: &str = "pitlane_projection_batch_duration_seconds";
    pub const PROJECTION_RETRIES: &str = "pitlane_projection_retries_total";
    pub const PROJECTION_DEAD_LETTERS: &str = "pitlane_projection_dead_letters";
    pub const PROJECTION_REBUILD: &str = "pitlane_projection_rebuild_progress_ratio";
    pub const DEAD_LETTERS_SETTLED: &str = "pitlane_dead_letters_settled_total";
    pub const READ_MODEL_DEAD_LETTERS: &str = "pitlane_read_model_dead_letters";
    // The Kafka relay.
    pub const RELAY_POSITION: &str = "pitlane_relay_position";
    pub const RELAY_LAG: &str = "pitlane_relay_lag_events";
    pub const RELAY_PUBLISH: &str = "pitlane_relay_publish_duration_seconds";
    pub const RELAY_ERRORS: &str = "pitlane_relay_errors_total";
    // The Kafka consumer of the projections.
    pub const KAFKA_CONSUMER_LAG: &str = "pitlane_kafka_consumer_lag_messages";
    // The BFF's protections.
    pub const BREAKER_STATE: &str = "pitlane_bff_circuit_breaker_state";
    pub const UPSTREAM_RETRIES: &str = "pitlane_bff_upstream_retries_total";
    pub const RATE_LIMITED: &str = "pitlane_bff_rate_limited_total";
    pub const LOCKS: &str = "pitlane_bff_lock_acquisitions_total";
    pub const LOCK_WAIT: &str = "pitlane_bff_lock_wait_seconds";
    pub const SCHEDULE_CONFLICTS: &str = "pitlane_bff_schedule_conflicts_total";
    pub const FOREIGN_TOKENS: &str = "pitlane_bff_foreign_tokens_total";
    // Reads of the query service.
    pub const CONSISTENCY_WAITS: &str = "pitlane_read_consistency_waits_total";
    // Audit.
    pub const VERIFY_RUNS: &str = "pitlane_audit_verify_runs_total";
}

/// What each metric means, for the exposition's `# HELP` lines.
const DESCRIPTIONS: &[(&str, Kind, &str)] = {
    use Kind::*;
    use names::*;
    &[
        (
            HTTP_REQUESTS,
            Counter,
            "HTTP requests answered, by method, route template and status.",
        ),
        (
            HTTP_DURATION,
            Histogram,
            "Time to answer an HTTP request, by method, route template and status.",
        ),
        (
            HTTP_ACTIVE,
            Gauge,
            "HTTP requests being answered, by method and route template.",
        ),
        (
            GRPC_HANDLED,
            Counter,
            "gRPC calls completed, by service, method and status code.",
        ),
        (
            GRPC_DURATION,
            Histogram,
            "Time to complete a gRPC call, by service and method.",
        ),
        (
            GRPC_ACTIVE,
            Gauge,
            "gRPC calls in progress, by service and method.",
        ),
        (
            COMMANDS,
            Counter,
            "Commands handled, by aggregate type, command and outcome (accepted, replayed, refused with its reason, conflict, invalid, failed).",
        ),
        (
            APPEND_DURATION,
            Histogram,
            "Time to append (and make durable) one commit of the event store, by store.",
        ),
        (
            APPEND_BATCH,
            Histogram,
            "Append requests committed together (group commit), by store.",
        ),
        (
            LOG_HEAD,
            Gauge,
            "The event log's head: the global position of its last event.",
        ),
        (
            CACHE,
            Counter,
            "Aggregate loads for commands, by result (hit: from the cache; miss: from the store).",
        ),
        (
            PROJECTION_POSITION,
            Gauge,
            "The last global position a projection has applied.",
        ),
        (
            PROJECTION_HEAD,
            Gauge,
            "The log's head as the projection last saw it.",
        ),
        (
            PROJECTION_LAG_EVENTS,
            Gauge,
            "Events between the log's head and the projection's position.",
        ),
        (
            PROJECTION_LAG_SECONDS,
            Gauge,
            "Age of the last event the projection applied when it applied it.",
        ),
        (
            PROJECTION_BATCH,
            Histogram,
            "Time to apply one batch of events in one read-model transaction.",
        ),
        (
            PROJECTION_RETRIES,
            Counter,
            "Failed attempts to apply an event that were retried.",
        ),
        (
            PROJECTION_DEAD_LETTERS,
            Gauge,
            "Events parked as dead letters by a projection and not settled since.",
        ),
        (
            READ_MODEL_DEAD_LETTERS,
            Gauge,
            "Events parked in a read model's dead letters, as last counted (at start, by the status or a settlement).",
        ),
        (
            DEAD_LETTERS_SETTLED,
            Counter,
            "Dead letters operators settled, by read model and outcome (redriven, failed again, discarded).",
        ),
        (
            PROJECTION_REBUILD,
            Gauge,
            "How far a rebuild of the projection is (0 to 1); 1 when none runs.",
        ),
        (
            RELAY_POSITION,
            Gauge,
            "The last global position the Kafka relay has published.",
        ),
        (
            RELAY_LAG,
            Gauge,
            "Events between the log's head and the relay's position.",
        ),
        (
            RELAY_PUBLISH,
            Histogram,
            "Time to publish one batch to Kafka, delivery reports included.",
        ),
        (
            RELAY_ERRORS,
            Counter,
            "Failed publish attempts of the relay (retried).",
        ),
        (
            KAFKA_CONSUMER_LAG,
            Gauge,
            "Messages of a partition the projections' Kafka consumer has not consumed yet (librdkafka's statistics).",
        ),
        (
            BREAKER_STATE,
            Gauge,
            "The BFF's circuit breaker per upstream: 0 closed, 1 half-open, 2 open.",
        ),
        (
            UPSTREAM_RETRIES,
            Counter,
            "Calls to an upstream the BFF sent again after a transient failure.",
        ),
        (
            RATE_LIMITED,
            Counter,
            "Requests refused with 429 by the BFF's rate limit.",
        ),
        (
            LOCKS,
            Counter,
            "Scheduling lock attempts of the BFF, by outcome (acquired, busy, failed).",
        ),
        (
            LOCK_WAIT,
            Histogram,
            "Time the BFF waited for its scheduling locks.",
        ),
        (
            CONSISTENCY_WAITS,
            Counter,
            "Reads of the query service that waited for consistency tokens, by outcome (reached, invalid: beyond the log's head or malformed, timed_out).",
        ),
        (
            FOREIGN_TOKENS,
            Counter,
            "Reads made again without the consistency tokens the BFF remembered, because the query service found one beyond the log's head: the token registry (REDIS_URL) holds another log's tokens.",
        ),
        (
            SCHEDULE_CONFLICTS,
            Counter,
            "Bookings refused as schedule conflicts (409), by resource kind.",
        ),
        (
            VERIFY_RUNS,
            Counter,
            "Audit verify runs, by outcome (intact, broken, failed).",
        ),
    ]
};

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Buckets of every `_seconds` histogram: 0.5 ms to 10 s.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets of the group-commit size.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// Held while installing, so concurrent first calls install one recorder.
static INSTALLING: Mutex<()> = Mutex::new(());

/// Installs the process's recorder once and returns its handle (later calls return the
/// first one's). With `listen`, also serves the exposition at `http://listen/metrics`
/// (must run inside a Tokio runtime then).
pub fn install_metrics(listen: Option<SocketAddr>) -> Result<PrometheusHandle, String> {
    let _installing = INSTALLING.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(names::APPEND_BATCH.into()), BATCH_BUCKETS)
        })
        .map_err(|e| e.to_string())?;
    let (recorder, exporter) = match listen {
        Some(address) => {
            let (recorder, exporter) = builder
                .with_http_listener(address)
                .build()
                .map_err(|e| format!("cannot serve metrics on {address}: {e}"))?;
            (recorder, Some(exporter))
        }
        None => (builder.build_recorder(), None),
    };
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|_| "another metrics recorder is installed in this process".to_owned())?;
    let _ = HANDLE.set(handle.clone());
    if let Some(exporter) = exporter {
        tokio::spawn(async move {
            if let Err(error) = exporter.await {
                tracing::error!(?error, "the metrics listener stopped");
            }
        });
    }
    describe();
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(handle)
}

/// Links `span` to the span a W3C `traceparent` names (an event's command, for the
/// projection batch or relay publish that carries the event on); nothing when it is
/// absent or malformed, or when no traces are recorded.
pub fn link_to(span: &tracing::Span, traceparent: Option<&str>) {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let Some(traceparent) = traceparent else {
        return;
    };
    let carrier =
        std::collections::HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let context = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
    let linked = context.span().span_context().clone();
    if linked.is_valid() {
        span.add_link(linked);
    }
}

/// The installed recorder's handle, if any.
pub fn metrics_handle() -> Option<PrometheusHandle> {
    HANDLE.get().cloned()
}

fn describe() {
    for &(name, kind, help) in DESCRIPTIONS {
        match kind {
            Kind::Counter => metrics::describe_counter!(name, help),
            Kind::Gauge => metrics::describe_gauge!(name, help),
            Kind::Histogram => metrics::describe_histogram!(name, help),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_described_once_and_named_by_prometheus_conventions() {
        let mut seen = std::collections::HashSet::new();
        for &(name, kind, help) in DESCRIPTIONS {
            assert!(seen.insert(name), "{name} is described twice");
            assert!(!help.is_empty(), "{name} has no help");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
            match kind {
                Kind::Counter => assert!(name.ends_with("_total"), "counter {name}"),
                Kind::Gauge => assert!(!name.ends_with("_total"), "gauge {name}"),
                Kind::Histogram => assert!(
                    name.ends_with("_seconds") || name == names::APPEND_BATCH,
                    "histogram {name} is not in seconds"
                ),
            }
        }
        assert!(seen.len() >= 30, "{} metrics", seen.len());
    }

    #[test]
    fn a_span_links_to_the_span_an_events_traceparent_names_and_ignores_a_malformed_one() {
        use opentelemetry::trace::TracerProvider as _;
        use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
        use tracing_subscriber::layer::SubscriberExt as _;
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("projection_batch");
            link_to(
                &span,
                Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            );
            link_to(&span, Some("not a traceparent"));
            link_to(&span, None);
        });
        let spans = exporter.get_finished_spans().unwrap();
        let batch = spans.iter().find(|s| s.name == "projection_batch").unwrap();
        let links: Vec<String> = batch
            .links
            .iter()
            .map(|l| l.span_context.span_id().to_string())
            .collect();
        assert_eq!(links, vec!["00f067aa0ba902b7".to_owned()]);
    }

    #[test]
    fn the_process_has_one_recorder_whoever_installs_it() {
        let first = install_metrics(None).unwrap();
        metrics::counter!(names::VERIFY_RUNS, "outcome" => "intact").increment(1);
        let again = install_metrics(None).unwrap();
        assert!(again.render().contains("pitlane_audit_verify_runs_total"));
        assert_eq!(
            first.render().lines().count(),
            again.render().lines().count()
        );
    }
}
