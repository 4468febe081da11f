//! The command bus: one generic path from a gRPC request to appended events and a reply
//! carrying the consistency token. Every RPC of every context goes through [`CommandBus::dispatch`]
//! (or [`CommandBus::run`] when the handler must read another aggregate first).

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

use contracts::v1::{CommandReply, ConsistencyToken};
use es_core::envelope::now;
use es_core::{
    Aggregate, AggregateCache, CommandError, EventMetadata, EventStore, Executed, IdempotencyKey,
    IdempotencyRecord, Repository, RepositoryError, SnapshotPolicy, StoreError, Vault,
};
use identity::Caller;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::append_health::AppendHealth;
use crate::context;
use crate::error::AppError;
use crate::schedules::{
    Books, Change, ResourceSchedule, ScheduleCommand, ScheduleError, ScheduledResource,
};
use crate::shared::{Addressed, DomainRule, FieldError, IntoCommand};

/// Proto requests that may carry an idempotency key.
pub trait Idempotent {
    fn idempotency_key(&self) -> Option<&str>;
}

#[derive(Clone)]
pub struct CommandBus {
    store: Arc<dyn EventStore>,
    snapshots: SnapshotPolicy,
    max_retries: u32,
    cache_capacity: usize,
    /// One `AggregateCache<A>` per aggregate type, created on first use.
    caches: Arc<Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
    /// Seals personal data on append, opens it on load (ADR 010); `None` stores
    /// payloads as written.
    vault: Option<Arc<Vault>>,
    /// Whether the store takes appends, as the latest ones found it.
    append_health: Arc<AppendHealth>,
}

impl CommandBus {
    /// `cache_capacity` aggregates of each type stay in memory (0 = no cache).
    pub fn new(
        store: Arc<dyn EventStore>,
        snapshots: SnapshotPolicy,
        max_retries: u32,
        cache_capacity: usize,
    ) -> Self {
        Self {
            store,
            snapshots,
            max_retries,
            cache_capacity,
            caches: Arc::default(),
            vault: None,
            append_health: Arc::default(),
        }
    }

    /// Every repository of this bus seals and opens personal data with `vault`.
    pub fn with_vault(mut self, vault: Arc<Vault>) -> Self {
        self.vault = Some(vault);
        self
    }

    pub fn vault(&self) -> Option<&Arc<Vault>> {
        self.vault.as_ref()
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// Whether the store takes appends, as this bus's latest appends found it.
    pub fn append_health(&self) -> Arc<AppendHealth> {
        self.append_health.clone()
    }

    pub fn repository<A: Aggregate>(&self) -> Repository<A> {
        let repository = Repository::new(self.store.clone())
            .with_snapshots(self.snapshots)
            .with_max_retries(self.max_retries);
        let repository = match &self.vault {
            Some(vault) => repository.with_vault(vault.clone()),
            None => repository,
        };
        match self.cache::<A>() {
            Some(cache) => repository.with_cache(cache),
            None => repository,
        }
    }

    fn cache<A: Aggregate>(&self) -> Option<AggregateCache<A>> {
        if self.cache_capacity == 0 {
            return None;
        }
        // Held only for a map lookup, never across an await.
        let mut caches = self.caches.lock().unwrap_or_else(|p| p.into_inner());
        let entry = caches
            .entry(TypeId::of::<A>())
            .or_insert_with(|| Box::new(AggregateCache::<A>::new(self.cache_capacity)));
        entry.downcast_ref::<AggregateCache<A>>().cloned()
    }

    /// Converts, executes and answers one command request.
    pub async fn dispatch<R>(&self, request: Request<R>) -> Result<Response<CommandReply>, Status>
    where
        R: IntoCommand + Idempotent + prost::Message,
        R::Aggregate: Books,
        <R::Aggregate as Aggregate>::Command: Clone,
        <R::Aggregate as Aggregate>::Error: DomainRule,
    {
        self.dispatch_with::<R, R::Aggregate, _>(request, |message| async move {
            message.into_command(now()).map_err(AppError::from)
        })
        .await
    }

    /// Like [`CommandBus::dispatch`], for requests whose command needs more than the
    /// request (e.g. another aggregate's state): `convert` builds it.
    pub async fn dispatch_with<R, A, F>(
        &self,
        request: Request<R>,
        convert: impl FnOnce(R) -> F,
    ) -> Result<Response<CommandReply>, Status>
    where
        R: Idempotent + prost::Message,
        A: Books,
        A::Command: Clone,
        A::Error: DomainRule,
        F: Future<Output = Result<Addressed<A::Command>, AppError>>,
    {
        let (metadata, extensions, message) = request.into_parts();
        let caller = extensions
            .get::<Caller>()
            .ok_or_else(|| Status::unauthenticated("no verified caller"))?;
        let context = context::from_metadata(&metadata, caller).map_err(AppError::from)?;
        let expected = context::expected_version(&metadata).map_err(AppError::from)?;
        let span = command_span::<R>(&context);
        let handled = async move {
            let idempotency = idempotency_of(&message, caller.subject())?;
            if let Some(reply) = self.replay(idempotency.as_ref()).await? {
                return Ok((reply, Handled::Replayed));
            }
            let Addressed {
                aggregate_id,
                command,
            } = convert(message).await?;
            tracing::Span::current().record("aggregate_id", aggregate_id.as_str());
            self.run::<A>(&aggregate_id, command, &context, idempotency, expected)
                .await
        }
        .instrument(span.clone())
        .await;
        count::<A>(command_name::<R>(), &handled);
        handled
            .map(|(reply, _)| Response::new(reply))
            .map_err(|error| {
                span.in_scope(|| tracing::info!(%error, "command refused"));
                Status::from(error)
            })
    }

    /// Executes a parsed command (for handlers that build the command themselves).
    pub async fn run<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        context: &EventMetadata,
        idempotency: Option<IdempotencyKey>,
        expected: Option<u64>,
    ) -> Result<(CommandReply, Handled), AppError>
    where
        A: Books,
        A::Command: Clone,
        A::Error: DomainRule,
    {
        let executed = self
            .execute::<A>(
                aggregate_id,
                command,
                context,
                idempotency.clone(),
                expected,
            )
            .await;
        match executed {
            Ok(executed) => {
                let token = match executed.token() {
                    Some(token) => token,
                    None => {
                        self.current_token::<A>(aggregate_id, executed.version)
                            .await?
                    }
                };
                tracing::info!(
                    version = token.version,
                    position = token.position,
                    "command accepted"
                );
                let reply = reply(token.stream_id, token.version, token.position);
                Ok((reply, Handled::Accepted))
            }
            Err(Refused::KeyUsed(record)) => {
                replay_record(record, idempotency.as_ref()).map(|reply| (reply, Handled::Replayed))
            }
            Err(Refused::App(error)) => {
                // A concurrent request with the same key may have won while this one
                // failed on what the winner changed: answer as the winner did.
                if let Some(reply) = self.replay(idempotency.as_ref()).await? {
                    return Ok((reply, Handled::Replayed));
                }
                Err(error)
            }
        }
    }

    /// Decides the command, then the schedule changes its events make ([`Books`]), and
    /// appends them all atomically: a booking and its reservations land together or
    /// not at all (ADR 016). A concurrent writer on any of the streams makes it decide
    /// everything again, up to `max_retries` times.
    async fn execute<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        context: &EventMetadata,
        idempotency: Option<IdempotencyKey>,
        expected: Option<u64>,
    ) -> Result<Executed<A>, Refused>
    where
        A: Books,
        A::Command: Clone,
        A::Error: DomainRule,
    {
        let repository = self.repository::<A>();
        let schedules = self.repository::<ResourceSchedule>();
        let mut attempt = 0;
        loop {
            let mut decision = repository
                .decide(
                    aggregate_id,
                    command.clone(),
                    context,
                    idempotency.clone(),
                    expected,
                )
                .await
                .map_err(Refused::from_command)?;
            let Some(request) = decision.request.take() else {
                return Ok(repository.settle(decision, Vec::new()).await);
            };
            // The command's own append first, then each schedule it touches.
            let mut requests = vec![request];
            let mut reservations = Vec::new();
            for (resource, changes) in by_resource(decision.state.bookings(&decision.events)) {
                let mut reserved = schedules
                    .decide(
                        &resource.aggregate_id(),
                        ScheduleCommand { resource, changes },
                        context,
                        None,
                        None,
                    )
                    .await
                    .map_err(schedule_refusal)?;
                if let Some(request) = reserved.request.take() {
                    requests.push(request);
                    reservations.push(reserved);
                }
            }
            let appended = self.store.append_atomically(requests).await;
            self.append_health.record(&appended);
            match appended {
                Ok(mut appended) => {
                    let own = appended.remove(0);
                    for (reserved, events) in reservations.into_iter().zip(appended) {
                        schedules.settle(reserved, events).await;
                    }
                    return Ok(repository.settle(decision, own).await);
                }
                Err(error) => {
                    // What we hold of every stream in the group may be stale.
                    repository.forget(aggregate_id);
                    for reserved in &reservations {
                        schedules.forget(reserved.aggregate_id());
                    }
                    match error {
                        StoreError::Concurrency { stream_id, .. } if attempt < self.max_retries => {
                            attempt += 1;
                            tracing::debug!(%stream_id, attempt, "concurrency conflict, deciding again");
                        }
                        StoreError::IdempotencyKeyUsed(record) => {
                            return Err(Refused::KeyUsed(*record));
                        }
                        other => return Err(Refused::App(other.into())),
                    }
                }
            }
        }
    }

    async fn replay(
        &self,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Option<CommandReply>, AppError> {
        let Some(key) = idempotency else {
            return Ok(None);
        };
        match self.store.find_idempotency(&key.key).await? {
            Some(record) => replay_record(record, Some(key)).map(Some),
            None => Ok(None),
        }
    }

    /// The token of a command that changed nothing: where the stream already is.
    async fn current_token<A: Aggregate>(
        &self,
        aggregate_id: &str,
        version: u64,
    ) -> Result<es_core::ConsistencyToken, AppError> {
        let stream_id = es_core::envelope::stream_id(A::TYPE, aggregate_id);
        let last = self.store.read_stream(&stream_id, version, 1).await?;
        Ok(es_core::ConsistencyToken {
            stream_id,
            version,
            position: last.first().map_or(0, |e| e.position),
        })
    }
}

/// Why a command was not executed: a refusal to answer, or an idempotency key already
/// used (answered with the first reply).
enum Refused {
    App(AppError),
    KeyUsed(IdempotencyRecord),
}

impl Refused {
    fn from_command<E: DomainRule + 'static>(error: CommandError<E>) -> Self {
        match error {
            CommandError::Repository(RepositoryError::Store(StoreError::IdempotencyKeyUsed(
                record,
            ))) => Refused::KeyUsed(*record),
            other => Refused::App(other.into()),
        }
    }
}

/// A schedule's refusal: the slot is taken (409 naming its holder), or the schedule
/// could not be read.
fn schedule_refusal(error: CommandError<ScheduleError>) -> Refused {
    match error {
        CommandError::Domain(taken @ ScheduleError::SlotTaken { holder, slot, .. }) => {
            Refused::App(AppError::ScheduleConflict {
                message: taken.to_string(),
                holder_id: holder.id.to_string(),
                slot,
            })
        }
        other => Refused::from_command(other),
    }
}

/// The changes of each resource, resources in a fixed order, each's changes in the
/// order the events made them.
fn by_resource(
    changes: Vec<(ScheduledResource, Change)>,
) -> BTreeMap<ScheduledResource, Vec<Change>> {
    let mut grouped: BTreeMap<ScheduledResource, Vec<Change>> = BTreeMap::new();
    for (resource, change) in changes {
        grouped.entry(resource).or_default().push(change);
    }
    grouped
}

fn reply(stream_id: String, version: u64, position: u64) -> CommandReply {
    let aggregate_id = stream_id
        .split_once('-')
        .map(|(_, id)| id.to_owned())
        .unwrap_or_default();
    CommandReply {
        token: Some(ConsistencyToken {
            stream_id,
            version,
            position,
        }),
        tokens: Vec::new(),
        aggregate_id,
    }
}

fn replay_record(
    record: IdempotencyRecord,
    key: Option<&IdempotencyKey>,
) -> Result<CommandReply, AppError> {
    if key.is_some_and(|k| k.fingerprint != record.fingerprint) {
        return Err(AppError::Invalid(FieldError::new(
            "idempotency_key",
            "was already used for a different request",
        )));
    }
    tracing::info!(key = %record.key, "idempotent replay: returning the original reply");
    Ok(reply(record.stream_id, record.version, record.position))
}

/// The key, scoped to the caller's subject (another client reusing the same key gets
/// its own answer, never this one's), with a fingerprint of the whole request.
fn idempotency_of<R: Idempotent + prost::Message>(
    message: &R,
    subject: &str,
) -> Result<Option<IdempotencyKey>, AppError> {
    let Some(key) = message.idempotency_key() else {
        return Ok(None);
    };
    let key = key.trim();
    if key.is_empty() || key.len() > es_core::store::MAX_IDEMPOTENCY_KEY_LEN {
        return Err(AppError::Invalid(FieldError::new(
            "idempotency_key",
            "must have 1 to 200 characters",
        )));
    }
    let mut hasher = Sha256::new();
    hasher.update(std::any::type_name::<R>().as_bytes());
    hasher.update(message.encode_to_vec());
    Ok(Some(IdempotencyKey {
        key: scoped_key(subject, key),
        fingerprint: hex::encode(hasher.finalize()),
    }))
}

/// The stored key: a digest of subject and key, so it fits the store's limit whatever
/// their lengths and keys of different subjects never meet.
fn scoped_key(subject: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    // Length-prefixed: ("a\nb", "c") and ("a", "b\nc") must not meet.
    hasher.update((subject.len() as u64).to_be_bytes());
    hasher.update(subject.as_bytes());
    hasher.update(key.as_bytes());
    format!("k1-{}", hex::encode(hasher.finalize()))
}

/// Every log line of a command carries its name, correlation id and aggregate id.
/// How a command that was not refused was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Decided now (appending its events, or none when it changed nothing).
    Accepted,
    /// A retry with a known idempotency key: the first reply again.
    Replayed,
}

/// The command a request type carries: `ReportIncidentRequest` → `ReportIncident`.
fn command_name<R>() -> &'static str {
    std::any::type_name::<R>()
        .rsplit("::")
        .next()
        .unwrap_or("")
        .trim_end_matches("Request")
}

/// Counts a handled command by aggregate type, command and outcome
/// (`pitlane_commands_total`); a refusal's reason is the one its answer carries.
fn count<A: Aggregate>(command: &'static str, handled: &Result<(CommandReply, Handled), AppError>) {
    let (outcome, reason) = match handled {
        Ok((_, Handled::Accepted)) => ("accepted", ""),
        Ok((_, Handled::Replayed)) => ("replayed", ""),
        Err(AppError::Invalid(_)) => ("invalid", "invalid_argument"),
        Err(AppError::Rule { reason, .. }) => ("refused", *reason),
        Err(AppError::ScheduleConflict { .. }) => ("conflict", "schedule_conflict"),
        Err(AppError::Conflict(_)) => ("conflict", "concurrent_writers"),
        Err(AppError::VersionMismatch { .. }) => ("conflict", "version_mismatch"),
        Err(AppError::Unavailable(_)) => ("failed", "unavailable"),
        Err(AppError::Integrity(_)) => ("failed", "integrity"),
    };
    metrics::counter!(
        es_core::telemetry::names::COMMANDS,
        "aggregate_type" => A::TYPE,
        "command" => command,
        "outcome" => outcome,
        "reason" => reason
    )
    .increment(1);
}

fn command_span<R>(context: &EventMetadata) -> tracing::Span {
    let command = command_name::<R>();
    tracing::info_span!(
        "command",
        command,
        correlation_id = %context.correlation_id,
        actor = %context.actor.subject,
        role = %context.actor.role,
        aggregate_id = tracing::field::Empty
    )
}

/// One gRPC command service from one list: each line `rpc_method(RequestType);` is an RPC
/// that goes through the command bus as it is; `… checked by guard;` first awaits
/// `self.guard(&request)` (e.g. the driver rule); RPCs that do more are written out by
/// hand after `by hand for RequestType, … { … }`. Every request type listed becomes
/// [`Idempotent`]. It declares the service type too: a struct holding the bus (`self.bus`),
/// made by `Service::new(bus)`; a guard is an inherent method written beside the list.
///
/// ```text
/// crate::command_rpcs! {
///     impl FleetCommands for Service {
///         register_vehicle(RegisterVehicleRequest);
///     }
/// }
/// ```
#[macro_export]
macro_rules! command_rpcs {
    (
        impl $rpcs:ident for $service:ident {
            $( $method:ident($request:ty) $(checked by $guard:ident)?; )*
        }
        $( by hand for $($by_hand:ty),+ { $($written_out:tt)* } )?
    ) => {
        $crate::idempotent_requests!($($request,)* $($($by_hand,)+)?);

        pub struct $service {
            bus: $crate::bus::CommandBus,
        }

        impl $service {
            pub fn new(bus: $crate::bus::CommandBus) -> Self {
                Self { bus }
            }
        }

        #[tonic::async_trait]
        impl $rpcs for $service {
            $(
                async fn $method(
                    &self,
                    request: tonic::Request<$request>,
                ) -> Result<tonic::Response<contracts::v1::CommandReply>, tonic::Status> {
                    $( self.$guard(&request).await?; )?
                    self.bus.dispatch(request).await
                }
            )*
            $( $($written_out)* )?
        }
    };
}

/// Implements [`Idempotent`] for request types with an `idempotency_key` field.
#[macro_export]
macro_rules! idempotent_requests {
    ($($request:ty),+ $(,)?) => {
        $(
            impl $crate::bus::Idempotent for $request {
                fn idempotency_key(&self) -> Option<&str> {
                    self.idempotency_key.as_deref()
                }
            }
        )+
    };
}
