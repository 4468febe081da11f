//! W3C trace context across Pitlane's calls (issue 15): a request's span continues the
//! trace its caller started (`traceparent`), and each call it makes carries the span's
//! own context on. The global propagator and the exporter are the launcher's; when no
//! exporter is installed, spans carry no trace context and these functions do nothing.

use opentelemetry::global;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Makes `span` continue the trace `headers` carry (`traceparent`), if any.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    let parent = global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Writes the current span's trace context into `headers` (`traceparent`); false when
/// the span has none.
pub fn propagate(headers: &mut http::HeaderMap) -> bool {
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return false;
    }
    global::get_text_map_propagator(|p| p.inject_context(&context, &mut HeaderInjector(headers)));
    true
}

/// The current span's trace id (32 hex digits), when it has one.
pub fn current_trace_id() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}
