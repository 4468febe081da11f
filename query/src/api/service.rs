//! The `Query` gRPC service: every RPC first waits for its consistency tokens, then runs
//! its query (a pure function of a read snapshot) off the async workers.

use std::sync::Arc;
use std::time::Duration;

use contracts::v1::query_server::Query;
use contracts::v1::{self, *};
use es_core::envelope::now;
use es_core::projection::{EventSource, StatusBoard};
use tonic::{Request, Response, Status};

use super::QueryError;
use super::consistency::wait_for;
use super::scope;
use crate::rebuild::Rebuilds;
use crate::store::{DbError, ReadModelStore, Reader};

pub struct QueryService {
    db: ReadModelStore,
    live: Arc<StatusBoard>,
    log: Arc<dyn EventSource>,
    /// The live projections' source, told when operators settle a dead letter.
    dead_letter_channel: Arc<dyn EventSource>,
    rebuilds: Rebuilds,
    timeout: Duration,
}

impl QueryService {
    /// `log` answers the log's head (the command service), to refuse a consistency
    /// token no write has reached.
    pub fn new(
        db: ReadModelStore,
        live: Arc<StatusBoard>,
        log: Arc<dyn EventSource>,
        rebuilds: Rebuilds,
        timeout: Duration,
    ) -> Self {
        Self {
            db,
            live,
            dead_letter_channel: log.clone(),
            log,
            rebuilds,
            timeout,
        }
    }

    /// Settled dead letters are recorded on `source`'s own channel (the live Kafka
    /// source's `.dlq` topics); by default, on the log's source, which has none.
    pub fn with_dead_letter_channel(mut self, source: Arc<dyn EventSource>) -> Self {
        self.dead_letter_channel = source;
        self
    }

    pub(super) fn db(&self) -> &ReadModelStore {
        &self.db
    }

    pub(super) fn live(&self) -> &StatusBoard {
        &self.live
    }

    pub(super) fn dead_letter_channel(&self) -> &dyn EventSource {
        self.dead_letter_channel.as_ref()
    }

    /// The caller the auth layer admitted.
    fn caller<M>(request: &Request<M>) -> Result<identity::Caller, Status> {
        identity::grpc::caller(request).cloned()
    }

    async fn answer<T: Send + 'static>(
        &self,
        tokens: &[v1::ConsistencyToken],
        query: impl FnOnce(&mut dyn Reader) -> Result<T, QueryError> + Send + 'static,
    ) -> Result<Response<T>, Status> {
        wait_for(&self.live, self.log.as_ref(), tokens, self.timeout).await?;
        self.db
            .read(query)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    /// Waits for the request's consistency tokens, then runs `query` on a read snapshot.
    async fn read<R: WaitsFor, T: Send + 'static>(
        &self,
        mut request: R,
        query: impl FnOnce(&mut dyn Reader, &R) -> Result<T, QueryError> + Send + 'static,
    ) -> Result<Response<T>, Status> {
        let tokens = request.take_wait_for();
        self.answer(&tokens, move |reader| query(reader, &request))
            .await
    }
}

/// A query request, which carries the consistency tokens its answer waits for.
trait WaitsFor: Send + 'static {
    fn take_wait_for(&mut self) -> Vec<v1::ConsistencyToken>;
}

/// Implements [`WaitsFor`] for request types with a `wait_for` field.
macro_rules! waits_for {
    ($($request:ty,)+) => {
        $(impl WaitsFor for $request {
            fn take_wait_for(&mut self) -> Vec<v1::ConsistencyToken> {
                std::mem::take(&mut self.wait_for)
            }
        })+
    };
}

/// The `Query` service from one list: each line `rpc(Request) -> Reply = query;` waits
/// for the request's tokens and answers `query(reader, &request)`; RPCs that do more
/// (scoping a driver's reads, the operators' status) are written out after `by hand for`.
/// Every request type listed becomes [`WaitsFor`].
macro_rules! query_rpcs {
    (
        impl Query for QueryService {
            $( $method:ident($request:ty) -> $reply:ty = $query:expr; )*
        }
        by hand for $($by_hand:ty),+ { $($written_out:tt)* }
    ) => {
        waits_for!($($request,)* $($by_hand,)+);

        #[tonic::async_trait]
        impl Query for QueryService {
            $(
                async fn $method(
                    &self,
                    request: Request<$request>,
                ) -> Result<Response<$reply>, Status> {
                    self.read(request.into_inner(), $query).await
                }
            )*
            $($written_out)*
        }
    };
}

query_rpcs! {
    impl Query for QueryService {
        list_vehicles(ListVehiclesRequest) -> ListVehiclesReply =
            crate::fleet::vehicles::queries::list_vehicles;
        list_technicians(ListTechniciansRequest) -> ListTechniciansReply =
            crate::workshop::technicians::queries::list_technicians;
        get_technician(GetTechnicianRequest) -> Technician =
            crate::workshop::technicians::queries::get_technician;
        get_workshop_planning(GetWorkshopPlanningRequest) -> WorkshopPlanning =
            crate::workshop::planning::queries::get_workshop_planning;
        list_routes(ListRoutesRequest) -> ListRoutesReply =
            |reader, request| crate::deliveries::routes::queries::list_routes(reader, request, now());
        get_route(GetRouteRequest) -> Route =
            |reader, request| crate::deliveries::routes::queries::get_route(reader, request, now());
        get_resource_schedule(GetResourceScheduleRequest) -> ResourceSchedule =
            crate::schedules::queries::get_resource_schedule;
    }
    by hand for ListCustomersRequest, GetCustomerRequest, GetVehicleRequest, ListDriversRequest,
        GetDriverRequest,
        GetDeliveryRequest, ListDeliveriesRequest, ListLiveTrackingRequest,
        GetDeliveryTimelineRequest
    {
        /// Personal data opened only for the roles that may read it.
        async fn list_customers(
            &self,
            request: Request<ListCustomersRequest>,
        ) -> Result<Response<ListCustomersReply>, Status> {
            let caller = Self::caller(&request)?;
            let mut reply = self
                .read(request.into_inner(), crate::customers::queries::list_customers)
                .await?;
            let customers = std::mem::take(&mut reply.get_mut().customers);
            reply.get_mut().customers = customers
                .into_iter()
                .map(|c| scope::customer(&caller, c))
                .collect();
            Ok(reply)
        }

        async fn get_customer(
            &self,
            request: Request<GetCustomerRequest>,
        ) -> Result<Response<Customer>, Status> {
            let caller = Self::caller(&request)?;
            let reply = self
                .read(request.into_inner(), crate::customers::queries::get_customer)
                .await?;
            Ok(Response::new(scope::customer(&caller, reply.into_inner())))
        }

        async fn get_vehicle(
            &self,
            request: Request<GetVehicleRequest>,
        ) -> Result<Response<Vehicle>, Status> {
            let caller = Self::caller(&request)?;
            let reply = self
                .read(request.into_inner(), crate::fleet::vehicles::queries::get_vehicle)
                .await?;
            scope::vehicle(&caller, reply.get_ref())?;
            Ok(reply)
        }

        async fn list_drivers(
            &self,
            request: Request<ListDriversRequest>,
        ) -> Result<Response<ListDriversReply>, Status> {
            if scope::driver_of(&Self::caller(&request)?)?.is_some() {
                return Err(Status::permission_denied(
                    "a driver reads only its own record",
                ));
            }
            self.read(request.into_inner(), crate::fleet::drivers::queries::list_drivers)
                .await
        }

        async fn get_driver(
            &self,
            request: Request<GetDriverRequest>,
        ) -> Result<Response<Driver>, Status> {
            let caller = Self::caller(&request)?;
            scope::driver_record(&caller, &request.get_ref().driver_id)?;
            self.read(request.into_inner(), crate::fleet::drivers::queries::get_driver)
                .await
        }

        async fn get_delivery(
            &self,
            request: Request<GetDeliveryRequest>,
        ) -> Result<Response<Delivery>, Status> {
            let caller = Self::caller(&request)?;
            let reply = self
                .read(request.into_inner(), |reader, request| {
                    crate::deliveries::delivery::queries::get_delivery(reader, request, now())
                })
                .await?;
            scope::delivery(&caller, reply.get_ref())?;
            Ok(reply)
        }

        async fn list_deliveries(
            &self,
            request: Request<ListDeliveriesRequest>,
        ) -> Result<Response<ListDeliveriesReply>, Status> {
            let caller = Self::caller(&request)?;
            let mut request = request.into_inner();
            if let Some(own) = scope::driver_of(&caller)? {
                // A driver's list is its own deliveries, whatever filter it asked for.
                request.driver_id = own.to_owned();
            }
            self.read(request, |reader, request| {
                crate::deliveries::delivery::queries::list_deliveries(reader, request, now())
            })
            .await
        }

        async fn list_live_tracking(
            &self,
            request: Request<ListLiveTrackingRequest>,
        ) -> Result<Response<ListLiveTrackingReply>, Status> {
            let caller = Self::caller(&request)?;
            let mut request = request.into_inner();
            if let Some(own) = scope::driver_of(&caller)? {
                // A driver tracks its own deliveries, whatever filter it asked for.
                request.driver_id = own.to_owned();
            }
            self.read(
                request,
                crate::deliveries::delivery::live_tracking::list_live_tracking,
            )
            .await
        }

        async fn get_delivery_timeline(
            &self,
            request: Request<GetDeliveryTimelineRequest>,
        ) -> Result<Response<DeliveryTimeline>, Status> {
            let caller = Self::caller(&request)?;
            if scope::driver_of(&caller)?.is_some() {
                let asked = GetDeliveryRequest {
                    wait_for: request.get_ref().wait_for.clone(),
                    delivery_id: request.get_ref().delivery_id.clone(),
                };
                let delivery = self
                    .read(asked, |reader, request| {
                        crate::deliveries::delivery::queries::get_delivery(reader, request, now())
                    })
                    .await?;
                scope::delivery(&caller, delivery.get_ref())?;
            }
            self.read(
                request.into_inner(),
                crate::deliveries::delivery::queries::get_delivery_timeline,
            )
            .await
        }

        async fn projection_status(
            &self,
            request: Request<ProjectionStatusRequest>,
        ) -> Result<Response<ProjectionStatusReply>, Status> {
            wait_for(
                &self.live,
                self.log.as_ref(),
                &request.into_inner().wait_for,
                self.timeout,
            )
            .await?;
            let live = self.live.snapshot();
            let rebuilding = self.rebuilds.progress();
            let db = self.db.clone();
            let positions = tokio::task::spawn_blocking(move || db.positions())
                .await
                .map_err(|e| Status::internal(e.to_string()))?
                .map_err(|e: DbError| Status::from(QueryError::from(e)))?;
            super::dead_letters::export_parked(&positions);
            let projectors = positions
                .into_iter()
                .map(|(name, generation, position, dead_letters)| {
                    let rebuild = rebuilding.get(&name);
                    ProjectorStatus {
                        lag: live.head.saturating_sub(position),
                        last_error: live.last_error.clone().unwrap_or_default(),
                        dead_letter_count: dead_letters,
                        generation: generation as u64,
                        rebuilding: rebuild.is_some(),
                        rebuild_position: rebuild.map_or(0, |r| r.position),
                        unknown_skipped: live.unknown_skipped,
                        name,
                        position,
                    }
                })
                .collect();
            let storage = self
                .db
                .storage()
                .map(|(database_bytes, wal_bytes)| StorageStatus {
                    database_bytes,
                    wal_bytes,
                });
            Ok(Response::new(ProjectionStatusReply {
                projectors,
                storage,
            }))
        }

        async fn list_dead_letters(
            &self,
            request: Request<ListDeadLettersRequest>,
        ) -> Result<Response<ListDeadLettersReply>, Status> {
            let reply = self.list_dead_letters_for(request.into_inner()).await?;
            Ok(Response::new(reply))
        }

        async fn get_dead_letter(
            &self,
            request: Request<GetDeadLetterRequest>,
        ) -> Result<Response<v1::DeadLetter>, Status> {
            let caller = Self::caller(&request)?;
            let letter = self.get_dead_letter_for(&caller, request.into_inner()).await?;
            Ok(Response::new(letter))
        }

        async fn redrive_dead_letters(
            &self,
            request: Request<RedriveDeadLettersRequest>,
        ) -> Result<Response<RedriveDeadLettersReply>, Status> {
            let caller = Self::caller(&request)?;
            let reply = self
                .redrive_dead_letters_for(&caller, request.into_inner())
                .await?;
            Ok(Response::new(reply))
        }

        async fn discard_dead_letter(
            &self,
            request: Request<DiscardDeadLetterRequest>,
        ) -> Result<Response<DiscardedDeadLetter>, Status> {
            let caller = Self::caller(&request)?;
            let discarded = self
                .discard_dead_letter_for(&caller, request.into_inner())
                .await?;
            Ok(Response::new(discarded))
        }

        async fn rebuild_read_models(
            &self,
            request: Request<RebuildReadModelsRequest>,
        ) -> Result<Response<RebuildReadModelsReply>, Status> {
            let started = self
                .rebuilds
                .start(request.into_inner().projections)
                .await?;
            Ok(Response::new(RebuildReadModelsReply { started }))
        }
    }
}
