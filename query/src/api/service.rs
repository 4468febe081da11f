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
            log,
            rebuilds,
            timeout,
        }
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
}

#[tonic::async_trait]
impl Query for QueryService {
    async fn list_customers(
        &self,
        request: Request<ListCustomersRequest>,
    ) -> Result<Response<ListCustomersReply>, Status> {
        let caller = Self::caller(&request)?;
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        let mut reply = self
            .answer(&tokens, move |reader| {
                crate::customers::queries::list_customers(reader, &request)
            })
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
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        let reply = self
            .answer(&tokens, move |reader| {
                crate::customers::queries::get_customer(reader, &request)
            })
            .await?;
        Ok(Response::new(scope::customer(&caller, reply.into_inner())))
    }

    async fn list_vehicles(
        &self,
        request: Request<ListVehiclesRequest>,
    ) -> Result<Response<ListVehiclesReply>, Status> {
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::fleet::vehicles::queries::list_vehicles(reader, &request)
        })
        .await
    }

    async fn get_vehicle(
        &self,
        request: Request<GetVehicleRequest>,
    ) -> Result<Response<Vehicle>, Status> {
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::fleet::vehicles::queries::get_vehicle(reader, &request)
        })
        .await
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
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::fleet::drivers::queries::list_drivers(reader, &request)
        })
        .await
    }

    async fn get_driver(
        &self,
        request: Request<GetDriverRequest>,
    ) -> Result<Response<Driver>, Status> {
        let caller = Self::caller(&request)?;
        scope::driver_record(&caller, &request.get_ref().driver_id)?;
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::fleet::drivers::queries::get_driver(reader, &request)
        })
        .await
    }

    async fn list_technicians(
        &self,
        request: Request<ListTechniciansRequest>,
    ) -> Result<Response<ListTechniciansReply>, Status> {
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::workshop::technicians::queries::list_technicians(reader, &request)
        })
        .await
    }

    async fn get_technician(
        &self,
        request: Request<GetTechnicianRequest>,
    ) -> Result<Response<Technician>, Status> {
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::workshop::technicians::queries::get_technician(reader, &request)
        })
        .await
    }

    async fn get_workshop_planning(
        &self,
        request: Request<GetWorkshopPlanningRequest>,
    ) -> Result<Response<WorkshopPlanning>, Status> {
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::workshop::planning::queries::get_workshop_planning(reader, &request)
        })
        .await
    }

    async fn list_routes(
        &self,
        request: Request<ListRoutesRequest>,
    ) -> Result<Response<ListRoutesReply>, Status> {
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::deliveries::routes::queries::list_routes(reader, &request, now())
        })
        .await
    }

    async fn get_route(
        &self,
        request: Request<GetRouteRequest>,
    ) -> Result<Response<Route>, Status> {
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::deliveries::routes::queries::get_route(reader, &request, now())
        })
        .await
    }

    async fn get_delivery(
        &self,
        request: Request<GetDeliveryRequest>,
    ) -> Result<Response<Delivery>, Status> {
        let caller = Self::caller(&request)?;
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        let reply = self
            .answer(&tokens, move |reader| {
                crate::deliveries::delivery::queries::get_delivery(reader, &request, now())
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
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::deliveries::delivery::queries::list_deliveries(reader, &request, now())
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
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::deliveries::delivery::live_tracking::list_live_tracking(reader, &request)
        })
        .await
    }

    async fn get_delivery_timeline(
        &self,
        request: Request<GetDeliveryTimelineRequest>,
    ) -> Result<Response<DeliveryTimeline>, Status> {
        let caller = Self::caller(&request)?;
        if scope::driver_of(&caller)?.is_some() {
            let delivery_id = request.get_ref().delivery_id.clone();
            let delivery = self
                .answer(&request.get_ref().wait_for.clone(), move |reader| {
                    let asked = GetDeliveryRequest {
                        wait_for: Vec::new(),
                        delivery_id,
                    };
                    crate::deliveries::delivery::queries::get_delivery(reader, &asked, now())
                })
                .await?;
            scope::delivery(&caller, delivery.get_ref())?;
        }
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::deliveries::delivery::queries::get_delivery_timeline(reader, &request)
        })
        .await
    }

    async fn get_resource_schedule(
        &self,
        request: Request<GetResourceScheduleRequest>,
    ) -> Result<Response<ResourceSchedule>, Status> {
        let mut request = request.into_inner();
        let tokens = std::mem::take(&mut request.wait_for);
        self.answer(&tokens, move |reader| {
            crate::schedules::queries::get_resource_schedule(reader, &request)
        })
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
