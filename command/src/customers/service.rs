//! `CustomerCommands` over gRPC: every RPC goes through the command bus.

use contracts::v1::customer_commands_server::CustomerCommands;
use contracts::v1::{
    CommandReply, ErasePersonalDataRequest, RegisterCustomerRequest, UpdateCustomerContactRequest,
};
use tonic::{Request, Response, Status};

use crate::bus::CommandBus;

crate::idempotent_requests!(
    RegisterCustomerRequest,
    UpdateCustomerContactRequest,
    ErasePersonalDataRequest,
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
impl CustomerCommands for Service {
    async fn register_customer(
        &self,
        request: Request<RegisterCustomerRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn update_customer_contact(
        &self,
        request: Request<UpdateCustomerContactRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }

    async fn erase_personal_data(
        &self,
        request: Request<ErasePersonalDataRequest>,
    ) -> Result<Response<CommandReply>, Status> {
        self.bus.dispatch(request).await
    }
}
