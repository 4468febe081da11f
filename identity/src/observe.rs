//! What every gRPC server of Pitlane tells operators about each call, the same on every
//! service: a tower layer, outermost on the tonic server, that runs the call in a span
//! carrying its service, method and correlation id (so every log line of the call has
//! them; [`crate::grpc::AuthLayer`] adds the verified subject), continuing the caller's
//! trace (`traceparent`, with its `trace_id` when traces are recorded), logs one access
//! line when it is answered, and counts and times it (`grpc_server_*`, named in
//! [`es_core::telemetry::names`]).
//!
//! The status is the one the answer's headers carry (a refusal, or any error before
//! the first message); a call answered with messages counts as `OK` even if its stream
//! later ends in an error.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use es_core::telemetry::names;
use tonic::body::Body;
use tower::{Layer, Service};
use tracing::Instrument;

/// The metadata key of the correlation id (`contracts::metadata::CORRELATION_ID`).
const CORRELATION_ID: &str = "x-correlation-id";
/// A correlation id longer than this is logged cut (the command service refuses it).
const MAX_LOGGED: usize = 200;

/// The layer to add first to a tonic `Server::builder()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe { inner }
    }
}

/// The service the layer makes.
#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> Service<http::Request<B>> for Observe<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (service, method) = service_and_method(request.uri().path());
        let correlation_id = request
            .headers()
            .get(CORRELATION_ID)
            .and_then(|v| v.to_str().ok())
            // `to_str` admits visible ASCII only: any byte index is a char boundary.
            .map(|id| &id[..id.len().min(MAX_LOGGED)])
            .unwrap_or_default()
            .to_owned();
        let span = tracing::info_span!(
            "grpc",
            service = %service,
            method = %method,
            correlation_id = %correlation_id,
            subject = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        crate::trace::continue_trace(&span, request.headers());
        if let Some(trace_id) = span.in_scope(crate::trace::current_trace_id) {
            span.record("trace_id", trace_id.as_str());
        }
        Box::pin(
            async move {
                let labels = [("grpc_service", service), ("grpc_method", method)];
                let active = metrics::gauge!(names::GRPC_ACTIVE, &labels);
                active.increment(1.0);
                let started = Instant::now();
                let answered = inner.call(request).await;
                active.decrement(1.0);
                let seconds = started.elapsed().as_secs_f64();
                let code = match &answered {
                    Ok(response) => code_of(response.headers()),
                    Err(_) => tonic::Code::Internal,
                };
                metrics::histogram!(names::GRPC_DURATION, &labels).record(seconds);
                let [(_, service), (_, method)] = labels;
                metrics::counter!(
                    names::GRPC_HANDLED,
                    "grpc_service" => service,
                    "grpc_method" => method,
                    "grpc_code" => format!("{code:?}")
                )
                .increment(1);
                tracing::info!(
                    target: "pitlane::access",
                    code = ?code,
                    duration_ms = seconds * 1_000.0,
                    "answered"
                );
                answered
            }
            .instrument(span),
        )
    }
}

/// `/pitlane.v1.Fleet/RegisterVehicle` → (`pitlane.v1.Fleet`, `RegisterVehicle`); a
/// path of another shape, or longer than any method's, is labelled `unknown` (the
/// server answers it UNIMPLEMENTED): the client chose it, and every log line of the
/// call repeats it.
fn service_and_method(path: &str) -> (String, String) {
    match path.trim_start_matches('/').split_once('/') {
        Some((service, method))
            if !service.is_empty() && !method.contains('/') && path.len() <= MAX_LOGGED =>
        {
            (service.to_owned(), method.to_owned())
        }
        _ => ("unknown".to_owned(), "unknown".to_owned()),
    }
}

/// The status the answer's headers carry; none means the status comes in the trailers
/// after the messages (a successful call).
fn code_of(headers: &http::HeaderMap) -> tonic::Code {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grpc_path_is_read_as_service_and_method_and_anything_else_as_unknown() {
        let cases = [
            (
                "/pitlane.v1.Fleet/RegisterVehicle",
                ("pitlane.v1.Fleet", "RegisterVehicle"),
            ),
            (
                "/grpc.health.v1.Health/Check",
                ("grpc.health.v1.Health", "Check"),
            ),
            ("/", ("unknown", "unknown")),
            ("/only-a-service", ("unknown", "unknown")),
            ("/a/b/c", ("unknown", "unknown")),
        ];
        for (path, (service, method)) in cases {
            let (s, m) = service_and_method(path);
            assert_eq!((s.as_str(), m.as_str()), (service, method), "{path}");
        }
    }

    #[test]
    fn a_path_too_long_to_be_a_grpc_method_is_labelled_unknown() {
        let path = format!("/pitlane.v1.Fleet/{}", "A".repeat(10_000));
        let (service, method) = service_and_method(&path);
        assert_eq!((service.as_str(), method.as_str()), ("unknown", "unknown"));
    }

    #[test]
    fn a_status_in_the_headers_is_the_calls_code_and_none_is_ok() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(code_of(&headers), tonic::Code::Ok);
        headers.insert("grpc-status", "9".parse().unwrap());
        assert_eq!(code_of(&headers), tonic::Code::FailedPrecondition);
    }
}
