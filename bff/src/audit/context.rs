//! What every audit handler shares: the request's context without `?after=`, the one
//! call path to the command service's `Audit` RPCs, and REST names for the fields the
//! service's errors name.

use axum::extract::FromRequestParts;
use axum::http::Uri;
use axum::http::request::Parts;
use serde_json::Value;

use crate::extract::RequestContext;
use crate::problem::{ApiError, ProblemKind};

/// The request's headers as a [`RequestContext`] (correlation, actor, trace context),
/// read as if the URL had no query string. In the audit API `?after=` is a page cursor,
/// not a consistency token; and no audit read needs to wait for a token anyway, since
/// it reads the log itself, which every read model lags behind.
pub struct AuditContext(pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for AuditContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let path_only = parts.uri.path().parse::<Uri>().unwrap_or_default();
        let uri = std::mem::replace(&mut parts.uri, path_only);
        let context = RequestContext::from_request_parts(parts, state).await;
        parts.uri = uri;
        context.map(AuditContext)
    }
}

/// `audit_call!(state, ctx, history(request))`: a read-only audit RPC on the command
/// service, retried when the service is briefly unavailable (see [`crate::commands::read`]).
macro_rules! audit_call {
    ($state:expr, $ctx:expr, $rpc:ident ($message:expr)) => {
        $crate::read!($state, $ctx, Command, audit.$rpc($message))
    };
}
pub(crate) use audit_call;

/// Renames the field an upstream error names (`from_version`) to the REST parameter
/// the client sent (`from`), so a 422 points at something the client can fix.
pub fn renamed(mut error: ApiError, names: &[(&str, &str)]) -> ApiError {
    if let Some(field) = &error.field
        && let Some((_, rest)) = names.iter().find(|(grpc, _)| grpc == field)
    {
        error.field = Some((*rest).to_owned());
    }
    error
}

/// A path parameter the service would read as "none" when blank (an empty stream id
/// means `$all`): refused as a 400 naming it, so a typo never widens a read.
pub fn non_blank(name: &str, raw: &str) -> Result<String, ApiError> {
    match raw.trim() {
        "" => Err(ApiError::malformed(name, "must not be blank")),
        value => Ok(value.to_owned()),
    }
}

/// A count the proto reads as "unset" when 0 (`limit`, `to`, `to_position`): 0 from a
/// REST client means something else, so it is refused rather than silently widened.
pub fn at_least_one(name: &str, value: Option<u64>) -> Result<u64, ApiError> {
    match value {
        Some(0) => Err(ApiError::invalid(
            name,
            format!("`{name}` must be at least 1 (leave it out for its default)"),
        )),
        other => Ok(other.unwrap_or(0)),
    }
}

/// JSON the service sent as text (payloads, states, diff values). Unreadable JSON is
/// the upstream breaking its contract: a 502, never a made-up value.
pub fn json(text: &str, what: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(|error| {
        tracing::warn!(what, %error, "the command service sent unreadable JSON");
        ApiError::new(
            ProblemKind::UpstreamError,
            "the command service sent an unreadable answer",
        )
    })
}

/// A part of a reply the service must always send.
pub fn required<T>(value: Option<T>, what: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        tracing::warn!(
            missing = what,
            "the command service answered without a required part"
        );
        ApiError::new(
            ProblemKind::UpstreamError,
            "the command service sent an incomplete answer",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstream_field_is_renamed_to_the_rest_parameter_and_others_are_kept() {
        let names = [("from_version", "from"), ("to_version", "to")];
        let renamed_field = renamed(ApiError::invalid("from_version", "x"), &names);
        assert_eq!(renamed_field.field.as_deref(), Some("from"));
        let kept = renamed(ApiError::invalid("stream_id", "x"), &names);
        assert_eq!(kept.field.as_deref(), Some("stream_id"));
    }

    #[test]
    fn zero_is_refused_naming_the_parameter_and_absence_is_no_bound() {
        let zero = at_least_one("limit", Some(0)).unwrap_err();
        assert_eq!(zero.kind, ProblemKind::InvalidField);
        assert_eq!(zero.field.as_deref(), Some("limit"));
        assert_eq!(at_least_one("limit", None).unwrap(), 0);
        assert_eq!(at_least_one("limit", Some(7)).unwrap(), 7);
    }

    #[test]
    fn unreadable_json_from_the_service_is_a_502() {
        let error = json("{not json", "payload").unwrap_err();
        assert_eq!(error.kind, ProblemKind::UpstreamError);
    }
}
