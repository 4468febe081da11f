//! `DeliveryCommands` over gRPC: every RPC goes through the command bus.

use contracts::v1::delivery_commands_server::DeliveryCommands;
use contracts::v1::{
    ActivateRouteRequest, AddCheckpointRequest, AssignDriverRequest, AssignVehicleRequest,
    CancelRouteRequest, CaptureProofOfDeliveryRequest, CommandReply, CompleteRouteRequest,
    CreateDeliveryRequest, CreateRouteRequest, FailDeliveryRequest, MarkOutForDeliveryRequest,
    ReachCheckpointRequest, ReportIncidentRequest, ResolveIncidentRequest, RetryDeliveryRequest,
    StartTransitRequest, UpdateCheckpointRequest, UpdateRouteRequest,
};
use tonic::{Request, Response, Status};

use es_core::CommandError;
use identity::Role;

use super::{Delivery, DeliveryCommand, DeliveryError, Route, RouteError, convert};
use crate::bus::CommandBus;
use crate::error::AppError;
use crate::shared::{Addressed, DeliveryId, RuleKind};

crate::idempotent_requests!(
    CreateRouteRequest,
    UpdateRouteRequest,
    AddCheckpointRequest,
    UpdateCheckpointRequest,
    ActivateRouteRequest,
    CompleteRouteRequest,
    CancelRouteRequest,
    CreateDeliveryRequest,
    AssignDriverRequest,
    AssignVehicleRequest,
    StartTransitRequest,
    ReachCheckpointRequest,
    MarkOutForDeliveryRequest,
    CaptureProofOfDeliveryRequest,
    FailDeliveryRequest,
    RetryDeliveryRequest,
    ReportIncidentRequest,
    ResolveIncidentRequest,
);

/// Requests a driver may send, about one delivery.
trait AboutDelivery {
    fn delivery_id(&self) -> &str;
}

macro_rules! about_delivery {
    ($($request:ty),+ $(,)?) => {
        $(impl AboutDelivery for $request {
            fn delivery_id(&self) -> &str {
                &self.delivery_id
            }
        })+
    };
}

about_delivery!(
    StartTransitRequest,
    ReachCheckpointRequest,
    MarkOutForDeliveryRequest,
    CaptureProofOfDeliveryRequest,
    FailDeliveryRequest,
    ReportIncidentRequest,
    ResolveIncidentRequest,
);

pub struct Service {
    bus: CommandBus,
}

impl Service {
    pub fn new(bus: CommandBus) -> Self {
        Self { bus }
    }

    /// The driver rule (DESIGN §9): a caller acting as a driver acts only on deliveries
    /// assigned to the driver its token names. Other roles pass; a delivery that does
    /// not exist passes too, so the command answers its own not-found.
    ///
    /// Checked against the delivery as loaded just before the command: a driver is
    /// reassigned only while the delivery is picked up, so the window in which a
    /// just-unassigned driver could still act is the one command in flight.
    async fn driver_may_act<R: AboutDelivery>(&self, request: &Request<R>) -> Result<(), Status> {
        let caller = identity::grpc::caller(request)?;
        if caller.role != Role::Driver {
            return Ok(());
        }
        let delivery_id = DeliveryId::parse("delivery_id", request.get_ref().delivery_id())
            .map_err(AppError::from)?;
        let loaded = self
            .bus
            .repository::<Delivery>()
            .load(&delivery_id.to_string())
            .await
            .map_err(|e| AppError::from(CommandError::<DeliveryError>::from(e)))?;
        let Some(assigned) = loaded.state.driver() else {
            if loaded.version == 0 {
                return Ok(());
            }
            return Err(Status::permission_denied(
                "this delivery has no driver yet; only a dispatcher may act on it",
            ));
        };
        match caller.driver_id() {
            Some(own) if own == assigned.to_string() => Ok(()),
            _ => {
                tracing::info!(
                    subject = caller.subject(),
                    %delivery_id,
                    "driver refused: the delivery is assigned to another driver"
                );
                Err(Status::permission_denied(
                    "this delivery is assigned to another driver",
                ))
            }
        }
    }
}

#[tonic::async_trait]
impl DeliveryCommands for Service {
    async fn create_route(
        &self,
        request: Request<CreateRouteRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn update_route(
        &self,
        request: Request<UpdateRouteRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn add_checkpoint(
        &self,
        request: Request<AddCheckpointRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn update_checkpoint(
        &self,
        request: Request<UpdateCheckpointRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn activate_route(
        &self,
        request: Request<ActivateRouteRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn complete_route(
        &self,
        request: Request<CompleteRouteRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn cancel_route(
        &self,
        request: Request<CancelRouteRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    /// A delivery copies its route's slot and checkpoints, so the route is loaded first.
    async fn create_delivery(
        &self,
        request: Request<CreateDeliveryRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        let bus = self.bus.clone();
        self.bus
            .dispatch_with::<_, Delivery, _>(request, |message| async move {
                let (delivery_id, route_id) = convert::create_delivery(message)?;
                let route = bus.repository::<Route>().load(&route_id.to_string()).await;
                let route =
                    route.map_err(|e| AppError::from(CommandError::<RouteError>::from(e)))?;
                let summary = route.state.summary().ok_or_else(|| AppError::Rule {
                    reason: "route_not_found",
                    kind: RuleKind::NotFound,
                    message: format!("route {route_id} does not exist"),
                })?;
                Ok(Addressed::new(
                    delivery_id,
                    DeliveryCommand::Create {
                        delivery_id,
                        route: summary,
                    },
                ))
            })
            .await
    }

    async fn assign_driver(
        &self,
        request: Request<AssignDriverRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn assign_vehicle(
        &self,
        request: Request<AssignVehicleRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn start_transit(
        &self,
        request: Request<StartTransitRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.driver_may_act(&request).await?;
        self.bus.dispatch(request).await
    }

    async fn reach_checkpoint(
        &self,
        request: Request<ReachCheckpointRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.driver_may_act(&request).await?;
        self.bus.dispatch(request).await
    }

    async fn mark_out_for_delivery(
        &self,
        request: Request<MarkOutForDeliveryRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.driver_may_act(&request).await?;
        self.bus.dispatch(request).await
    }

    async fn capture_proof_of_delivery(
        &self,
        request: Request<CaptureProofOfDeliveryRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.driver_may_act(&request).await?;
        self.bus.dispatch(request).await
    }

    async fn fail_delivery(
        &self,
        request: Request<FailDeliveryRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.driver_may_act(&request).await?;
        self.bus.dispatch(request).await
    }

    async fn retry_delivery(
        &self,
        request: Request<RetryDeliveryRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn report_incident(
        &self,
        request: Request<ReportIncidentRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.driver_may_act(&request).await?;
        self.bus.dispatch(request).await
    }

    async fn resolve_incident(
        &self,
        request: Request<ResolveIncidentRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.driver_may_act(&request).await?;
        self.bus.dispatch(request).await
    }
}
