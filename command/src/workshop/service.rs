//! `WorkshopCommands` over gRPC: every RPC goes through the command bus.

use contracts::v1::workshop_commands_server::WorkshopCommands;
use contracts::v1::{
    AssignTechnicianRequest, CancelMaintenanceJobRequest, CommandReply,
    DeactivateTechnicianRequest, FinishMaintenanceJobRequest, PlanMaintenanceJobRequest,
    ReactivateTechnicianRequest, RegisterTechnicianRequest, UpdateTechnicianRequest,
};
use tonic::{Request, Response, Status};

use crate::bus::CommandBus;

crate::idempotent_requests!(
    RegisterTechnicianRequest,
    UpdateTechnicianRequest,
    DeactivateTechnicianRequest,
    ReactivateTechnicianRequest,
    PlanMaintenanceJobRequest,
    AssignTechnicianRequest,
    FinishMaintenanceJobRequest,
    CancelMaintenanceJobRequest,
);

pub struct Service {
    bus: CommandBus,
}

impl Service {
    pub fn new(bus: CommandBus) -> Self {
        Self { bus }
    }
}

#[tonic::async_trait]
impl WorkshopCommands for Service {
    async fn register_technician(
        &self,
        request: Request<RegisterTechnicianRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn update_technician(
        &self,
        request: Request<UpdateTechnicianRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn deactivate_technician(
        &self,
        request: Request<DeactivateTechnicianRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn reactivate_technician(
        &self,
        request: Request<ReactivateTechnicianRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn plan_maintenance_job(
        &self,
        request: Request<PlanMaintenanceJobRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn assign_technician(
        &self,
        request: Request<AssignTechnicianRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn finish_maintenance_job(
        &self,
        request: Request<FinishMaintenanceJobRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn cancel_maintenance_job(
        &self,
        request: Request<CancelMaintenanceJobRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }
}
