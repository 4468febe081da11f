//! `X-Correlation-ID`: accepted when the client sends a sane one, minted otherwise,
//! echoed on every response, forwarded to the services as gRPC metadata, and put on
//! every log line of the request.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-correlation-id";
const MAX_LEN: usize = 128;

/// The request's correlation id, in the request extensions.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

pub async fn middleware(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= MAX_LEN && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    request.extensions_mut().insert(CorrelationId(id.clone()));
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        correlation_id = %id,
        // Recorded once the token is verified ([`crate::auth::authorize`]).
        subject = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    );
    identity::trace::continue_trace(&span, request.headers());
    if let Some(trace_id) = span.in_scope(identity::trace::current_trace_id) {
        span.record("trace_id", trace_id.as_str());
    }
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
