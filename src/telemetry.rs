//! Logs and metrics for every service this process runs.
//!
//! Logs: `RUST_LOG` filters (default `info`), one line per event on stderr, as text
//! or as one JSON object a line (`PITLANE_LOG_FORMAT`; JSON unless stderr is a
//! terminal). A JSON line carries the fields of every span it is in (`spans`), so each
//! line of a request has its `correlation_id`.
//!
//! Metrics: one Prometheus recorder for the process ([`es_core::telemetry`]), served
//! by the BFF at `/metrics` (to auditors and admins) and, when set, on
//! `PITLANE_METRICS_ADDR` (to anyone who reaches it: a private network).

use es_core::env::{ConfigError, Env};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// The subscriber every layer sits on: the registry behind `RUST_LOG`'s filter.
type Filtered = tracing_subscriber::layer::Layered<EnvFilter, Registry>;
use es_core::telemetry::{LOG_FORMAT, METRICS_ADDR};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("`{other}` is neither `json` nor `text`")),
        }
    }
}

/// The log format `env` asks for; `terminal` says whether stderr is one.
pub fn log_format(env: &Env, terminal: bool) -> Result<LogFormat, ConfigError> {
    let default = if terminal {
        LogFormat::Text
    } else {
        LogFormat::Json
    };
    Ok(env
        .read_optional(&LOG_FORMAT, LogFormat::parse)?
        .unwrap_or(default))
}

/// Installs the global log subscriber and the metrics recorder (serving it on
/// `PITLANE_METRICS_ADDR` when set); a second call (tests) is a harmless no-op.
pub fn init() -> anyhow::Result<()> {
    let env = Env::process();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let format = log_format(&env, terminal)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = tracing_subscriber::fmt::layer().with_writer(log_writer());
    let lines: Box<dyn Layer<Filtered> + Send + Sync> = match format {
        LogFormat::Text => Box::new(lines.with_ansi(terminal)),
        LogFormat::Json => Box::new(lines.json().with_current_span(false).with_span_list(true)),
    };
    let mut layers = vec![lines];
    layers.extend(traces()?);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .try_init();
    let listen = env.read_optional(&METRICS_ADDR, |raw| {
        raw.parse::<std::net::SocketAddr>()
            .map_err(|_| format!("`{raw}` is not a socket address like 127.0.0.1:9464"))
    })?;
    es_core::telemetry::install_metrics(listen).map_err(anyhow::Error::msg)?;
    if let Some(address) = listen {
        tracing::info!(%address, "metrics at http://{address}/metrics");
    }
    Ok(())
}

/// Spans exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the exporter reads the other standard
/// `OTEL_*` variables (`OTEL_SERVICE_NAME`, default `pitlane`; headers, timeouts).
fn traces() -> anyhow::Result<Option<Box<dyn Layer<Filtered> + Send + Sync>>> {
    use opentelemetry::trace::TracerProvider as _;
    // Every service continues and carries W3C trace context, exported or not.
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let wanted = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if !wanted {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot export traces over OTLP: {e}"))?;
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("pitlane");
    }
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("pitlane");
    *TRACES.lock().unwrap_or_else(|p| p.into_inner()) = Some(provider);
    Ok(Some(Box::new(
        tracing_opentelemetry::layer().with_tracer(tracer),
    )))
}

/// The trace exporter, shut down (its queue sent) before the process exits.
static TRACES: std::sync::Mutex<Option<opentelemetry_sdk::trace::SdkTracerProvider>> =
    std::sync::Mutex::new(None);

/// The log-writing thread's guard: dropping it writes what is queued.
static LOG_GUARD: std::sync::Mutex<Option<tracing_appender::non_blocking::WorkerGuard>> =
    std::sync::Mutex::new(None);

/// Stderr, written by a thread of its own: a request formats its line and queues it,
/// and never waits for the write (which cost a request path up to a fifth of its
/// throughput under `bench rest`). Not lossy: when the queue is full, callers wait
/// rather than drop lines. [`flush`] writes what is queued before the process exits.
fn log_writer() -> tracing_appender::non_blocking::NonBlocking {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-writer")
        .finish(std::io::stderr());
    let mut slot = LOG_GUARD.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = Some(guard);
    }
    writer
}

/// Writes every queued log line and sends every queued span; `main` calls it before
/// the process exits.
pub fn flush() {
    if let Some(provider) = TRACES.lock().unwrap_or_else(|p| p.into_inner()).take() {
        let _ = provider.shutdown();
    }
    drop(LOG_GUARD.lock().unwrap_or_else(|p| p.into_inner()).take());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_of(value: Option<&str>, terminal: bool) -> Result<LogFormat, ConfigError> {
        let lookup = move |name: &str| {
            (name == LOG_FORMAT.name)
                .then(|| value.map(str::to_owned))
                .flatten()
        };
        log_format(&Env::new(&lookup), terminal)
    }

    #[test]
    fn logs_are_text_on_a_terminal_and_json_elsewhere_unless_the_variable_says() {
        assert_eq!(format_of(None, true).unwrap(), LogFormat::Text);
        assert_eq!(format_of(None, false).unwrap(), LogFormat::Json);
        assert_eq!(format_of(Some("json"), true).unwrap(), LogFormat::Json);
        assert_eq!(format_of(Some("text"), false).unwrap(), LogFormat::Text);
        let error = format_of(Some("yaml"), false).unwrap_err();
        assert_eq!(error.variable, "PITLANE_LOG_FORMAT");
    }
}
