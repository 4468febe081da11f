//! One log line for every refused request (401, 403), wherever it was refused: the
//! token or role checks of [`super::authorize`], the driver rule in a handler, a service
//! answering `PERMISSION_DENIED`, the development login. Every refusal is an
//! [`ApiError`](crate::problem::ApiError), whose response carries a [`Denial`];
//! `authorize` names the subject on it once the token is verified, and
//! [`crate::observe::middleware`], which knows the route, hands it to [`log`]. So no
//! place that refuses has to remember to log, and none logs twice.
//!
//! The line holds the subject, the route template, the reason and the detail the client
//! reads: never the token or any of its contents.

use axum::http::StatusCode;

/// A refusal, in the extensions of its response.
#[derive(Debug, Clone)]
pub struct Denial {
    pub status: StatusCode,
    /// The verified token's subject; `None` when no token was verified.
    pub subject: Option<String>,
    /// The problem's `reason` (e.g. `role_not_admitted`), else its kind.
    pub reason: String,
    pub detail: String,
}

/// Logs one refused request.
pub fn log(method: &str, route: &str, denial: &Denial) {
    tracing::info!(
        target: "pitlane::denied",
        subject = denial.subject.as_deref(),
        method,
        route,
        status = denial.status.as_u16(),
        reason = %denial.reason,
        detail = %denial.detail,
        "request denied"
    );
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use identity::testing::CapturedLog;

    use crate::testing::{As, call_as, driver_token, issuer, test_router, token};

    #[tokio::test]
    async fn every_refusal_is_logged_once_with_subject_route_and_reason_and_never_the_token() {
        let captured = CapturedLog::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            // Only the line's own fields: the request span names the subject too.
            .with_current_span(false)
            .with_span_list(false)
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::TRACE)
            .finish();
        // tracing caches, process-wide, whether each log site is wanted. While only one
        // subscriber is registered, a site first reached on another test's thread asks
        // that thread's (none) and is cached as unwanted everywhere; with a second one
        // registered, the cache says "ask each thread's own".
        let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        // The test's runtime runs on this thread only, so every line of it lands here.
        let _default = tracing::subscriber::set_default(subscriber);
        let router = test_router().await;
        let expired = &identity::testing::forged_tokens(issuer(), &["admin"])[0];
        assert_eq!(expired.0, "expired");
        let (driver, nameless, planner) = (driver_token(), token(&["driver"]), token(&["planner"]));
        let other_driver = "/api/v1/deliveries?driver_id=0190a4a0-0000-7000-8000-0000000000d2";
        let delivery = "/api/v1/deliveries/0190a4a0-0000-7000-8000-000000000001";
        let cases: [(&str, &str, &str, &str, &str, StatusCode); 4] = [
            // (token, uri, subject, route, reason, status)
            (
                &expired.1,
                "/api/v1/customers",
                "",
                "/api/v1/customers",
                "invalid_token",
                StatusCode::UNAUTHORIZED,
            ),
            (
                &planner,
                "/api/v1/deliveries",
                "planner-user",
                "/api/v1/deliveries",
                "role_not_admitted",
                StatusCode::FORBIDDEN,
            ),
            // The driver rule, refused by the handler of a list…
            (
                &driver,
                other_driver,
                "driver-user",
                "/api/v1/deliveries",
                "not_assigned_driver",
                StatusCode::FORBIDDEN,
            ),
            // …and before the handler of a delivery.
            (
                &nameless,
                delivery,
                "driver-user",
                "/api/v1/deliveries/{delivery_id}",
                "no_driver_id",
                StatusCode::FORBIDDEN,
            ),
        ];
        let mut everything = Vec::new();
        captured.take();
        for (bearer, uri, subject, route, reason, status) in cases {
            let response = call_as(&router, As::Bearer(bearer), Method::GET, uri, None, &[]).await;
            assert_eq!(response.status, status, "{uri}: {}", response.body);
            let lines = captured.take();
            let denied: Vec<serde_json::Value> = lines
                .iter()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .map(|line| line["fields"].clone())
                .filter(|fields| fields["message"] == "request denied")
                .collect();
            assert_eq!(denied.len(), 1, "{uri}: {lines:#?}");
            let line = &denied[0];
            let expected_subject = (!subject.is_empty()).then_some(subject);
            assert_eq!(line["subject"].as_str(), expected_subject, "{line}");
            assert_eq!(line["route"], route, "{line}");
            assert_eq!(line["reason"], reason, "{line}");
            assert_eq!(line["status"], status.as_u16(), "{line}");
            everything.extend(lines.into_iter().map(|line| (bearer, line)));
        }
        for (bearer, line) in &everything {
            // Any part of the token: its header, its claims or its signature.
            for part in bearer.split('.').filter(|part| part.len() > 8) {
                assert!(!line.contains(part), "a log line holds a token: {line}");
            }
        }
    }
}
