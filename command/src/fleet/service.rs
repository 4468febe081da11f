//! `FleetCommands` over gRPC: every RPC goes through the command bus.

use contracts::v1::fleet_commands_server::FleetCommands;
use contracts::v1::{
    ChangeVehicleStatusRequest, CommandReply, RegisterDriverRequest, RegisterVehicleRequest,
    ReinstateDriverRequest, SuspendDriverRequest, UpdateDriverRequest, UpdateVehicleRequest,
};
use tonic::{Request, Response, Status};

use crate::bus::CommandBus;

crate::idempotent_requests!(
    RegisterVehicleRequest,
    UpdateVehicleRequest,
    ChangeVehicleStatusRequest,
    RegisterDriverRequest,
    UpdateDriverRequest,
    SuspendDriverRequest,
    ReinstateDriverRequest,
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
impl FleetCommands for Service {
    async fn register_vehicle(
        &self,
        request: Request<RegisterVehicleRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn update_vehicle(
        &self,
        request: Request<UpdateVehicleRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn change_vehicle_status(
        &self,
        request: Request<ChangeVehicleStatusRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn register_driver(
        &self,
        request: Request<RegisterDriverRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn update_driver(
        &self,
        request: Request<UpdateDriverRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn suspend_driver(
        &self,
        request: Request<SuspendDriverRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn reinstate_driver(
        &self,
        request: Request<ReinstateDriverRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }
}
