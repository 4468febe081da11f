//! Sending a command upstream and answering it the REST way: `201`/`200` with the
//! aggregate version as `ETag`, the consistency token in `X-Consistency-Token` and in
//! the body (read-your-writes, DESIGN §6), and `Location` for what was created.

use std::future::Future;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contracts::v1::{CommandReply, ConsistencyToken};
use serde::Serialize;
use tonic::Status;
use utoipa::ToSchema;

use crate::consistency;
use crate::extract::RequestContext;
use crate::problem::ApiError;
use crate::state::AppState;
use crate::upstream::{Retry, Upstreams};

/// Sends `message` through `rpc` on the command upstream. Only a command carrying an
/// idempotency key is retried: the service answers a retry with the first reply.
pub async fn send<M, F, Fut>(
    state: &AppState,
    ctx: &RequestContext,
    message: M,
    rpc: F,
) -> Result<CommandReply, ApiError>
where
    M: Clone,
    F: Fn(&Upstreams, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<CommandReply>, Status>> + Send + 'static,
{
    let retry = if ctx.idempotency_key.is_some() {
        Retry::Idempotent
    } else {
        Retry::Never
    };
    let upstreams = &state.upstreams;
    let reply = upstreams
        .command
        .call(retry, || rpc(upstreams, ctx.command(message.clone())))
        .await?;
    // Later checks by this BFF wait for this write to the stream (read-your-writes
    // for the BFF itself, whatever token the client passes).
    let token = token_of(&reply);
    state
        .scheduler
        .tokens
        .record(std::slice::from_ref(&token.stream_id), &token)
        .await;
    Ok(reply)
}

/// `command!(state, ctx, customers.register_customer(request))`: sends a command with
/// the named client and RPC (see [`send`]).
#[macro_export]
macro_rules! command {
    ($state:expr, $ctx:expr, $client:ident . $rpc:ident ($message:expr)) => {
        $crate::commands::send(&$state, &$ctx, $message, |upstreams, request| {
            let mut client = upstreams.$client.clone();
            async move { client.$rpc(request).await }
        })
    };
}

/// Which service's breaker, timeout and retries a read goes through.
#[derive(Debug, Clone, Copy)]
pub enum Service {
    /// The command service: the log itself (audit reads, the log's head).
    Command,
    /// The query service: the read models.
    Query,
}

/// Sends a read to `service`, retried when the service is briefly unavailable: a read
/// cannot change anything, so sending it twice is safe. For streamed RPCs the breaker,
/// timeout and retries cover opening the stream, not reading it.
pub async fn read<M, T, F, Fut>(
    state: &AppState,
    ctx: &RequestContext,
    service: Service,
    message: M,
    rpc: F,
) -> Result<T, ApiError>
where
    M: Clone,
    T: Send + 'static,
    F: Fn(&Upstreams, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, Status>> + Send + 'static,
{
    call(state, ctx, service, Retry::Idempotent, message, rpc).await
}

/// Sends `message` to `service` through its breaker and timeout, retried as `retry`
/// says.
pub async fn call<M, T, F, Fut>(
    state: &AppState,
    ctx: &RequestContext,
    service: Service,
    retry: Retry,
    message: M,
    rpc: F,
) -> Result<T, ApiError>
where
    M: Clone,
    T: Send + 'static,
    F: Fn(&Upstreams, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, Status>> + Send + 'static,
{
    let upstreams = &state.upstreams;
    let upstream = match service {
        Service::Command => &upstreams.command,
        Service::Query => &upstreams.query,
    };
    upstream
        .call(retry, || rpc(upstreams, ctx.grpc(message.clone())))
        .await
}

/// `read!(state, ctx, Query, reads.get_customer(request))`: a read with the named
/// client and RPC through `Service::Query` or `Service::Command` (see [`read`]).
#[macro_export]
macro_rules! read {
    ($state:expr, $ctx:expr, $service:ident, $client:ident . $rpc:ident ($message:expr)) => {
        $crate::commands::read(
            &$state,
            &$ctx,
            $crate::commands::Service::$service,
            $message,
            |upstreams, request| {
                let mut client = upstreams.$client.clone();
                async move { client.$rpc(request).await }
            },
        )
    };
}

/// `maintain!(state, ctx, redrive_dead_letters(request))`: a write to the read models on
/// the query service (a rebuild, a redrive, a discard), sent once: after a lost reply a
/// retry would be answered differently ("already rebuilding", "not parked").
#[macro_export]
macro_rules! maintain {
    ($state:expr, $ctx:expr, $rpc:ident ($message:expr)) => {
        $crate::commands::call(
            &$state,
            &$ctx,
            $crate::commands::Service::Query,
            $crate::upstream::Retry::Never,
            $message,
            |upstreams, request| {
                let mut client = upstreams.reads.clone();
                async move { client.$rpc(request).await }
            },
        )
    };
}

/// `query!(state, ctx, get_customer(request))`: a read on the query service (see [`read`]).
#[macro_export]
macro_rules! query {
    ($state:expr, $ctx:expr, $rpc:ident ($message:expr)) => {
        $crate::read!($state, $ctx, Query, reads.$rpc($message))
    };
}

/// The body of every accepted command.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommandResult {
    /// The resource the command created or changed (for a job: the job id).
    pub id: String,
    /// The aggregate's version after the command; also the `ETag`.
    pub version: u64,
    /// Pass back as `X-Consistency-Token` (or `?after=`) to read this write.
    pub consistency_token: String,
}

/// An accepted command, as a response.
#[derive(Debug)]
pub struct Accepted {
    status: StatusCode,
    location: Option<String>,
    result: CommandResult,
}

impl Accepted {
    /// 200 for a change to `id`.
    pub fn ok(id: impl Into<String>, reply: &CommandReply) -> Self {
        Accepted {
            status: StatusCode::OK,
            location: None,
            result: result(id.into(), reply),
        }
    }

    /// 201 for something created at `location`.
    pub fn created(id: impl Into<String>, reply: &CommandReply, location: String) -> Self {
        Accepted {
            status: StatusCode::CREATED,
            location: Some(location),
            result: result(id.into(), reply),
        }
    }
}

fn result(id: String, reply: &CommandReply) -> CommandResult {
    let token = reply.token.clone().unwrap_or_default();
    CommandResult {
        id,
        version: token.version,
        consistency_token: consistency::encode(&token),
    }
}

/// The token a reply carries (the last stream written).
pub fn token_of(reply: &CommandReply) -> ConsistencyToken {
    reply.token.clone().unwrap_or_default()
}

impl IntoResponse for Accepted {
    fn into_response(self) -> Response {
        let mut headers = vec![(header::ETAG, etag(self.result.version))];
        if let Ok(token) = HeaderValue::from_str(&self.result.consistency_token) {
            headers.push((header::HeaderName::from_static(consistency::HEADER), token));
        }
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.push((header::LOCATION, location));
        }
        let mut response = (self.status, Json(self.result)).into_response();
        response.headers_mut().extend(headers);
        response
    }
}

pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A read answered with the aggregate version as `ETag`, for a later `If-Match`.
pub fn with_etag<T: Serialize>(version: u64, body: T) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::ETAG, etag(version));
    response
}
