//! Authentication of gRPC calls, the same on every service: a tower layer in front of
//! the tonic server verifies `authorization: Bearer …` with the shared [`Verifier`],
//! looks up which roles the method admits (the service's [`Policy`]) and puts the
//! [`Caller`] into the request's extensions, where handlers find it. Without valid
//! credentials a call is `UNAUTHENTICATED`; with a role the method does not admit,
//! `PERMISSION_DENIED`. A method the policy does not know is refused too: a new RPC
//! must be given its roles before anyone can call it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::{Code, Status};
use tower::{Layer, Service};

use crate::error::AuthError;
use crate::identity::Caller;
use crate::role::Role;
use crate::untrusted::printable;
use crate::verifier::Verifier;

/// Who may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token: health checks only.
    Public,
    /// Callers holding one of these roles (or `admin`).
    Roles(&'static [Role]),
}

/// A service's access rules: the gRPC path (`/package.Service/Method`) → access;
/// `None` for a method it does not know (refused).
pub type Policy = fn(&str) -> Option<Access>;

/// The gRPC health service: open, so orchestrators can probe without a token.
pub const HEALTH_SERVICE: &str = "/grpc.health.v1.Health/";

/// The layer to add to a tonic `Server::builder()`.
#[derive(Clone)]
pub struct AuthLayer {
    verifier: Arc<Verifier>,
    policy: Policy,
}

impl AuthLayer {
    pub fn new(verifier: Arc<Verifier>, policy: Policy) -> Self {
        AuthLayer { verifier, policy }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Authenticate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Authenticate {
            inner,
            verifier: self.verifier.clone(),
            policy: self.policy,
        }
    }
}

/// The service the layer makes.
#[derive(Clone)]
pub struct Authenticate<S> {
    inner: S,
    verifier: Arc<Verifier>,
    policy: Policy,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> Service<http::Request<B>> for Authenticate<S>
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

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The ready service goes to this call; its clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let path = request.uri().path().to_owned();
        let access = if path.starts_with(HEALTH_SERVICE) {
            Some(Access::Public)
        } else {
            (self.policy)(&path)
        };
        Box::pin(async move {
            match admit(&verifier, access, &path, request.headers()).await {
                Ok(Some(caller)) => {
                    // The call's span ([`crate::observe`]) names who made it.
                    tracing::Span::current().record("subject", caller.subject());
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Ok(None) => inner.call(request).await,
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

/// The longest request path a log line repeats (the client chose it).
const MAX_LOGGED_PATH: usize = 200;

/// The caller of a call to `path`, `None` for a public method, or the refusal.
async fn admit(
    verifier: &Verifier,
    access: Option<Access>,
    path: &str,
    headers: &http::HeaderMap,
) -> Result<Option<Caller>, Status> {
    let admitted = match access {
        Some(Access::Public) => return Ok(None),
        Some(Access::Roles(roles)) => roles,
        None => &[],
    };
    let path = printable(path, MAX_LOGGED_PATH);
    let header = headers
        .get(http::header::AUTHORIZATION)
        .map(|v| v.to_str().map_err(|_| AuthError::Malformed))
        .transpose();
    let identity = match header {
        Ok(value) => verifier.verify_header(value).await,
        Err(e) => Err(e),
    };
    let identity = identity.map_err(|error| {
        tracing::info!(%path, reason = %error, "call not authenticated");
        let code = if error.is_unavailable() {
            Code::Unavailable
        } else {
            Code::Unauthenticated
        };
        Status::new(code, error.to_string())
    })?;
    if access.is_none() {
        tracing::warn!(%path, subject = %identity.subject, "call refused: no access rule for this method");
        return Err(Status::permission_denied(
            "this method has no access rule; nobody may call it",
        ));
    }
    match identity.acting_as(admitted) {
        Some(role) => Ok(Some(Caller { identity, role })),
        None => {
            let roles: Vec<&str> = admitted.iter().map(|r| r.as_str()).collect();
            tracing::info!(%path, subject = %identity.subject, "call refused: role not admitted");
            Err(Status::permission_denied(format!(
                "this method admits the roles {} (or admin)",
                roles.join(", ")
            )))
        }
    }
}

/// The caller of a handler's request (put there by [`AuthLayer`]).
pub fn caller<M>(request: &tonic::Request<M>) -> Result<&Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .ok_or_else(|| Status::unauthenticated("no verified caller"))
}

/// The bearer token of an outgoing call made on someone's behalf.
pub fn forward<M>(request: &mut tonic::Request<M>, token: &str) {
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
}

/// A client interceptor sending one bearer token on every call that has none of its
/// own (`CustomerCommandsClient::with_interceptor(channel, Bearer::new(token))`): for
/// tools and tests acting as one subject. Services acting for many users forward each
/// user's token with [`forward`] instead.
#[derive(Clone)]
pub struct Bearer(http::HeaderValue);

impl Bearer {
    /// `None` when the token cannot be a header value.
    pub fn new(token: &str) -> Option<Self> {
        let mut value = http::HeaderValue::from_str(&format!("Bearer {}", token.trim())).ok()?;
        value.set_sensitive(true);
        Some(Bearer(value))
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        let metadata = request.metadata_mut();
        if !metadata.contains_key("authorization")
            && let Ok(value) = tonic::metadata::MetadataValue::try_from(self.0.as_bytes())
        {
            metadata.insert("authorization", value);
        }
        Ok(request)
    }
}

/// A channel whose calls carry a [`Bearer`] token.
pub type AuthedChannel =
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>;

/// `channel` with `token` on every call.
pub fn authed(channel: tonic::transport::Channel, token: &str) -> Option<AuthedChannel> {
    Bearer::new(token)
        .map(|bearer| tonic::service::interceptor::InterceptedService::new(channel, bearer))
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[tokio::test]
    async fn a_hostile_algorithm_or_path_reaches_the_log_cut_and_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let verifier = crate::DevIssuer::load_or_create(&dir.path().join("k"))
            .unwrap()
            .verifier();
        let alg = format!("X\nERROR forged line {}", "A".repeat(10_000));
        let header = URL_SAFE_NO_PAD.encode(serde_json::json!({ "alg": alg }).to_string());
        let mut headers = http::HeaderMap::new();
        let bearer = format!("Bearer {header}.e30.c2ln");
        headers.insert(http::header::AUTHORIZATION, bearer.parse().unwrap());
        let path = format!("/pitlane.v1.Fleet/{}", "B".repeat(10_000));
        let log = crate::testing::CapturedLog::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let refused = {
            let _guard = tracing::subscriber::set_default(subscriber);
            admit(
                &verifier,
                Some(Access::Roles(&[Role::Planner])),
                &path,
                &headers,
            )
            .await
        };
        let status = refused.expect_err("an unknown algorithm is refused");
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().len() < 200, "{}", status.message());
        let log = log.take().join("\n");
        assert_eq!(log.lines().count(), 1, "{log}");
        assert!(log.contains("not authenticated"), "{log}");
        assert!(log.len() < 600, "{} bytes logged", log.len());
    }
}
