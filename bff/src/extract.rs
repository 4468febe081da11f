//! Extractors that turn an HTTP request into typed input or a field-named problem:
//! [`Json`] (body), [`Query`] (query string), [`Path`] (path segments) and [`RequestContext`] (what travels with
//! the command: the verified caller, correlation, idempotency key, `If-Match`, tokens).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use contracts::metadata as keys;
use contracts::v1::ConsistencyToken;
use identity::{Caller, Role};
use serde::de::DeserializeOwned;

use crate::consistency;
use crate::correlation::CorrelationId;
use crate::problem::{ApiError, ProblemKind};

mod path;
pub use path::{Path, Segment, read as read_segment};

/// A JSON body. Malformed JSON is a 400; a wrong type, missing field or unknown enum
/// value is a 422 naming the field by its JSON path (e.g. `slot.end`).
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::new(
                ProblemKind::UnsupportedMediaType,
                "send the body as application/json",
            )
            .with_field("content-type"));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(ProblemKind::PayloadTooLarge, rejection.body_text())
                } else {
                    ApiError::malformed("body", rejection.body_text())
                }
            })?;
        parse_json(&bytes).map(Json)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Parses a JSON document, naming the failing field. Every body of this API is an
/// object: serde would also read a struct from an array of its fields in order
/// (`[null, "Depot", …]`), which no client means and the document does not allow.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => ApiError::invalid("body", "must be a JSON object"),
                Err(e) => ApiError::malformed("body", format!("malformed JSON: {e}")),
            },
        );
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let value = parsed.map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = strip_position(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::invalid(field_of(&path, &message), message)
            }
            _ => ApiError::malformed("body", format!("malformed JSON: {message}")),
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::malformed("body", format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// serde names a missing field in its message, with the parent's path: join them. (An
/// unknown field's path already ends with it.)
fn field_of(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(field)) => field.to_owned(),
        (parent, Some(field)) => format!("{parent}.{field}"),
        (".", None) => "body".to_owned(),
        (path, None) => path.to_owned(),
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string; an unknown value (e.g. `status=lost`) is a 400 naming the parameter.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|error| {
                let path = error.path().to_string();
                let message = error.into_inner().to_string();
                let field = field_of(&path, &message);
                let field = if field == "body" {
                    "query".to_owned()
                } else {
                    field
                };
                ApiError::malformed(field, message)
            })
    }
}

/// A position or version in a query string, at most `i64::MAX`: the document declares
/// them `int64` (and so do the stores), so a larger number is refused, not read.
pub fn int64<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    use serde::Deserialize as _;
    let value = u64::deserialize(deserializer)?;
    if i64::try_from(value).is_err() {
        return Err(serde::de::Error::custom(format!(
            "must be at most {}",
            i64::MAX
        )));
    }
    Ok(value)
}

/// [`int64`] for an optional parameter (with `#[serde(default)]`).
pub fn optional_int64<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    int64(deserializer).map(Some)
}

/// A date and time in a request body: RFC 3339, written in the years 2000 to 2099 in
/// the time zone it is written in (the document's pattern `^20[0-9]{2}-`), read as UTC.
/// The command side admits every instant some time zone writes in those years.
pub fn operation_time<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<chrono::DateTime<chrono::Utc>, D::Error> {
    use chrono::Datelike as _;
    use serde::Deserialize as _;
    let raw = String::deserialize(deserializer)?;
    let written = raw
        .trim()
        .parse::<chrono::DateTime<chrono::FixedOffset>>()
        .map_err(|e| serde::de::Error::custom(format!("is not an RFC 3339 date and time ({e})")))?;
    if !(2000..=2099).contains(&written.year()) {
        return Err(serde::de::Error::custom(
            "must be between 2000-01-01 and 2099-12-31",
        ));
    }
    Ok(written.with_timezone(&chrono::Utc))
}

/// A whole number in a JSON body, as JSON Schema reads `integer`: `7` and `7.0` alike
/// (a number with a zero fraction is an integer there, and some clients write every
/// number as a float); `7.5`, a negative number or one above `u32::MAX` is refused.
pub fn whole_u32<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    use serde::Deserialize as _;
    let number = serde_json::Number::deserialize(deserializer)?;
    let whole = match (number.as_u64(), number.as_f64()) {
        (Some(n), _) => Some(n),
        (None, Some(f)) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => {
            Some(f as u64)
        }
        _ => None,
    };
    whole.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
        serde::de::Error::custom(format!("must be a whole number from 0 to {}", u32::MAX))
    })
}

/// What a command or query carries through the BFF to the services.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub correlation_id: String,
    /// The caller whose token the authentication middleware verified (never a header a
    /// client typed): its token is forwarded to the services, which verify it again and
    /// record its subject as the event's actor. `None` only in unit tests.
    pub caller: Option<Caller>,
    pub traceparent: Option<String>,
    /// `Idempotency-Key`: a retried POST with the same key returns the first answer.
    pub idempotency_key: Option<String>,
    /// `If-Match`: the aggregate version (ETag) the client last read.
    pub if_match: Option<u64>,
    /// `X-Consistency-Token` (header, comma-separated) and `?after=`: writes to wait for.
    pub wait_for: Vec<ConsistencyToken>,
}

const MAX_HEADER_LEN: usize = 200;

/// The gRPC metadata key of the forwarded bearer token.
const AUTHORIZATION: &str = "authorization";

/// The namespace of ids derived from idempotency keys.
const ID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6d1f_3c1e_8a2b_4f0e_9b7a_5c2d_1e0f_a9b8);

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // Put there by `auth::authorize` on every `/api/v1` route; its absence means a
        // route the middleware does not guard, which must not act for nobody.
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::new(ProblemKind::Unauthenticated, "no verified caller"))?;
        let headers = &parts.headers;
        let text = |name: &'static str| -> Result<Option<String>, ApiError> {
            let Some(value) = headers.get(name) else {
                return Ok(None);
            };
            let value = value
                .to_str()
                .map_err(|_| ApiError::malformed(name, "must be visible ASCII"))?
                .trim();
            if value.len() > MAX_HEADER_LEN {
                return Err(ApiError::malformed(
                    name,
                    format!("is longer than {MAX_HEADER_LEN} characters"),
                ));
            }
            Ok((!value.is_empty()).then(|| value.to_owned()))
        };
        let correlation_id = parts
            .extensions
            .get::<CorrelationId>()
            .map(|c| c.0.clone())
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let if_match = text("if-match")?
            .map(|raw| {
                parse_etag(&raw).ok_or_else(|| {
                    ApiError::malformed("If-Match", "must be an ETag this API returned, e.g. \"3\"")
                })
            })
            .transpose()?;
        let mut wait_for = Vec::new();
        for value in headers.get_all(consistency::HEADER) {
            let value = value
                .to_str()
                .map_err(|_| ApiError::malformed("X-Consistency-Token", "must be ASCII"))?;
            wait_for.extend(consistency::decode_list(value).ok_or_else(|| {
                ApiError::malformed(
                    "X-Consistency-Token",
                    "is not a list of consistency tokens (`<stream>:<version>:<position>`, comma-separated)",
                )
            })?);
        }
        let query = parts.uri.query().unwrap_or("");
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key == "after" {
                wait_for.push(
                    consistency::decode(&value).ok_or_else(|| {
                        ApiError::malformed("after", "is not a consistency token")
                    })?,
                );
            }
        }
        Ok(RequestContext {
            correlation_id,
            caller: Some(caller),
            traceparent: text("traceparent")?,
            idempotency_key: idempotency_key(text("idempotency-key")?)?,
            if_match,
            wait_for,
        })
    }
}

/// An `Idempotency-Key` is printable ASCII, spaces and tabs (the document's pattern):
/// the characters of the IETF draft's structured-field string, and a tab, which a
/// field value may hold.
fn idempotency_key(key: Option<String>) -> Result<Option<String>, ApiError> {
    let printable = |b: u8| b.is_ascii_graphic() || b == b' ' || b == b'\t';
    match key {
        Some(key) if !key.bytes().all(printable) => Err(ApiError::malformed(
            "Idempotency-Key",
            "must be printable ASCII (spaces and tabs allowed)",
        )),
        key => Ok(key),
    }
}

/// `"3"`, `W/"3"` or `3` → 3: at most one quote each side, 1 to 19 digits (the
/// document's pattern for `If-Match`).
pub fn parse_etag(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    let raw = raw.strip_prefix("W/").unwrap_or(raw);
    let raw = raw.strip_prefix('"').unwrap_or(raw);
    let digits = raw.strip_suffix('"').unwrap_or(raw);
    let well_formed =
        (1..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    well_formed.then(|| digits.parse().ok()).flatten()
}

impl RequestContext {
    /// The verified caller's subject (`sub`), if any.
    pub fn subject(&self) -> Option<&str> {
        self.caller.as_ref().map(Caller::subject)
    }

    /// The role this request acts under, if any.
    pub fn role(&self) -> Option<Role> {
        self.caller.as_ref().map(|caller| caller.role)
    }

    /// A gRPC request carrying this context as metadata (DESIGN §3): the caller's bearer
    /// token (the services take the actor from it), correlation and trace context.
    pub fn grpc<M>(&self, message: M) -> tonic::Request<M> {
        let mut request = tonic::Request::new(message);
        let metadata = request.metadata_mut();
        let mut put = |key: &'static str, value: &str| {
            if let Ok(value) = value.parse() {
                metadata.insert(key, value);
            }
        };
        put(keys::CORRELATION_ID, &self.correlation_id);
        if let Some(caller) = &self.caller {
            put(AUTHORIZATION, &format!("Bearer {}", caller.identity.token));
        }
        // This request's span continues the client's trace: its own context goes on
        // (the client's as it came when no traces are recorded).
        let mut traced = http::HeaderMap::new();
        if identity::trace::propagate(&mut traced) {
            if let Some(traceparent) = traced.get(keys::TRACEPARENT).and_then(|v| v.to_str().ok()) {
                put(keys::TRACEPARENT, traceparent);
            }
        } else if let Some(traceparent) = &self.traceparent {
            put(keys::TRACEPARENT, traceparent);
        }
        request
    }

    /// A command request: [`RequestContext::grpc`] plus `If-Match` as the version the
    /// command service must find the aggregate at (reads have no use for it).
    pub fn command<M>(&self, message: M) -> tonic::Request<M> {
        let mut request = self.grpc(message);
        if let Some(version) = self.if_match
            && let Ok(value) = version.to_string().parse()
        {
            request.metadata_mut().insert(keys::EXPECTED_VERSION, value);
        }
        request
    }

    /// The id of a resource the client did not name. With an `Idempotency-Key` it is
    /// derived from the caller's subject, the scope and the key (UUID v5), so a retried
    /// request names the same resource and the command service recognises the retry,
    /// while another caller reusing the key names another resource; without a key it is
    /// a fresh UUID v7.
    pub fn new_id(&self, scope: &str) -> uuid::Uuid {
        match &self.idempotency_key {
            Some(key) => {
                let subject = self.subject().unwrap_or("");
                // The subject's length first, so no subject can end where another's
                // scope begins.
                let name = format!("{}:{subject}\n{scope}\n{key}", subject.len());
                uuid::Uuid::new_v5(&ID_NAMESPACE, name.as_bytes())
            }
            None => uuid::Uuid::now_v7(),
        }
    }

    /// The same context without `If-Match`, for the extra commands of a composite
    /// request (the client's ETag names the first command's aggregate only).
    pub fn without_if_match(&self) -> Self {
        RequestContext {
            if_match: None,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests;
