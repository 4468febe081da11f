//! The log an audit command asks: a running command service over gRPC, or an embedded
//! store's file opened read-only in this process. Both answer through the same
//! `Audit` service code (`command::audit`), so both give the same answers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use command::audit::AuditService;
use contracts::v1::audit_client::AuditClient;
use contracts::v1::audit_server::Audit;
use contracts::v1::{
    AuditHistoryReply, AuditHistoryRequest, ExportChunk, ExportRequest, StateAsOfReply,
    StateAsOfRequest, StateDiffReply, StateDiffRequest, TraceReply, TraceRequest, VerifyRequest,
    VerifyUpdate,
};
use es_core::Vault;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use identity::grpc::AuthedChannel;
use tonic::{Request, Response, Status};

pub enum Log {
    Local(AuditService),
    Remote(AuditClient<AuthedChannel>),
}

/// Where to read: `store` when given, else the command service at `command_url`,
/// asked with `token`.
pub async fn open(
    store: Option<&Path>,
    keys: Option<&Path>,
    command_url: &str,
    token: Option<&str>,
) -> anyhow::Result<Log> {
    match store {
        Some(store) => local(store, keys),
        None => remote(command_url, token.unwrap_or_default()).await,
    }
}

fn local(store: &Path, keys: Option<&Path>) -> anyhow::Result<Log> {
    if !store.is_file() {
        bail!("no event store at {}", store.display());
    }
    // Personal data opens only with the keys; without them it stays sealed.
    let keys: Option<PathBuf> = match keys {
        Some(keys) if !keys.is_file() => bail!("no key store at {}", keys.display()),
        Some(keys) => Some(keys.to_owned()),
        None => Some(store.with_file_name("keys.db")).filter(|k| k.is_file()),
    };
    let vault = match keys {
        Some(keys) => Some(Arc::new(Vault::open_sqlite(&keys).with_context(|| {
            format!("cannot open the key store {}", keys.display())
        })?)),
        None => None,
    };
    // The heads witnessed beside the store, checked with the keys trusted there.
    Ok(Log::Local(
        AuditService::for_file(store, vault).with_heads(heads_beside(store)),
    ))
}

/// The witness file and trusted keys the command service keeps beside `store`.
pub fn heads_beside(store: &Path) -> es_core::heads::HeadsSettings {
    let dir = store
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    es_core::heads::HeadsSettings::in_dir(dir)
}

impl Log {
    /// A local log checked against `heads` instead of the files beside its store.
    pub fn witnessed_by(self, heads: es_core::heads::HeadsSettings) -> anyhow::Result<Log> {
        match self {
            Log::Local(service) => Ok(Log::Local(service.with_heads(heads))),
            Log::Remote(_) => {
                bail!(
                    "--heads and --trusted-keys check a log read with --store (or an export with --file)"
                )
            }
        }
    }
}

async fn remote(command_url: &str, token: &str) -> anyhow::Result<Log> {
    let channel = crate::token::endpoint(command_url)?
        .connect()
        .await
        .with_context(|| {
            format!(
                "no command service answers at {command_url} (start the platform with \
                 `cargo run --release`, or read a store file with --store PATH)"
            )
        })?;
    let channel = identity::grpc::authed(channel, token)
        .ok_or_else(|| anyhow::anyhow!("the token is not a valid header value"))?;
    Ok(Log::Remote(AuditClient::new(channel)))
}

/// The service's own message: it names the field or stream at fault.
fn refused(status: Status) -> anyhow::Error {
    anyhow::anyhow!("{}", status.message())
}

fn answer<T>(result: Result<Response<T>, Status>) -> anyhow::Result<T> {
    result.map(Response::into_inner).map_err(refused)
}

pub type Updates<T> = BoxStream<'static, anyhow::Result<T>>;

fn updates<T: Send + 'static>(
    result: Result<
        Response<impl futures::Stream<Item = Result<T, Status>> + Send + 'static>,
        Status,
    >,
) -> anyhow::Result<Updates<T>> {
    Ok(answer(result)?.map_err(refused).boxed())
}

impl Log {
    pub async fn history(&mut self, r: AuditHistoryRequest) -> anyhow::Result<AuditHistoryReply> {
        match self {
            Log::Local(s) => answer(s.history(Request::new(r)).await),
            Log::Remote(c) => answer(c.history(r).await),
        }
    }

    pub async fn state(&mut self, r: StateAsOfRequest) -> anyhow::Result<StateAsOfReply> {
        match self {
            Log::Local(s) => answer(s.state_as_of(Request::new(r)).await),
            Log::Remote(c) => answer(c.state_as_of(r).await),
        }
    }

    pub async fn diff(&mut self, r: StateDiffRequest) -> anyhow::Result<StateDiffReply> {
        match self {
            Log::Local(s) => answer(s.diff(Request::new(r)).await),
            Log::Remote(c) => answer(c.diff(r).await),
        }
    }

    pub async fn trace(&mut self, r: TraceRequest) -> anyhow::Result<TraceReply> {
        match self {
            Log::Local(s) => answer(s.trace(Request::new(r)).await),
            Log::Remote(c) => answer(c.trace(r).await),
        }
    }

    pub async fn verify(&mut self, r: VerifyRequest) -> anyhow::Result<Updates<VerifyUpdate>> {
        match self {
            Log::Local(s) => updates(s.verify(Request::new(r)).await),
            Log::Remote(c) => updates(c.verify(r).await),
        }
    }

    pub async fn export(&mut self, r: ExportRequest) -> anyhow::Result<Updates<ExportChunk>> {
        match self {
            Log::Local(s) => updates(s.export(Request::new(r)).await),
            Log::Remote(c) => updates(c.export(r).await),
        }
    }
}
