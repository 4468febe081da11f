//! `DeliveryCommands` over gRPC: every RPC goes through the command bus; a driver's
//! RPCs first pass the driver rule.

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
use crate::error::AppError;
use crate::fleet::VehicleUsage;
use crate::fleet::service::registered_usage;
use crate::shared::{Addressed, DeliveryId, RuleKind};

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

impl Service {
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

impl Service {
    /// DOMAIN: a delivery is driven in one of the operator's vans. The BFF checks it on
    /// the read model before it books; this holds it for every caller of the service,
    /// against the vehicle itself. A vehicle not registered here passes (the BFF
    /// answers for unknown ones).
    async fn a_fleet_van(&self, request: &Request<AssignVehicleRequest>) -> Result<(), Status> {
        let raw = &request.get_ref().vehicle_license_number;
        let usage = registered_usage(&self.bus, "vehicle_license_number", raw).await?;
        match usage {
            Some(VehicleUsage::Customer) => Err(AppError::Rule {
                reason: "not_a_fleet_vehicle",
                kind: RuleKind::Violation,
                message: format!(
                    "vehicle {} is a customer's car, not a fleet van",
                    raw.trim().to_ascii_uppercase()
                ),
            }
            .into()),
            _ => Ok(()),
        }
    }
}

crate::command_rpcs! {
    impl DeliveryCommands for Service {
        create_route(CreateRouteRequest);
        update_route(UpdateRouteRequest);
        add_checkpoint(AddCheckpointRequest);
        update_checkpoint(UpdateCheckpointRequest);
        activate_route(ActivateRouteRequest);
        complete_route(CompleteRouteRequest);
        cancel_route(CancelRouteRequest);
        assign_driver(AssignDriverRequest);
        assign_vehicle(AssignVehicleRequest) checked by a_fleet_van;
        start_transit(StartTransitRequest) checked by driver_may_act;
        reach_checkpoint(ReachCheckpointRequest) checked by driver_may_act;
        mark_out_for_delivery(MarkOutForDeliveryRequest) checked by driver_may_act;
        capture_proof_of_delivery(CaptureProofOfDeliveryRequest) checked by driver_may_act;
        fail_delivery(FailDeliveryRequest) checked by driver_may_act;
        retry_delivery(RetryDeliveryRequest);
        report_incident(ReportIncidentRequest) checked by driver_may_act;
        resolve_incident(ResolveIncidentRequest) checked by driver_may_act;
    }
    by hand for CreateDeliveryRequest {
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
    }
}
