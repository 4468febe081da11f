//! `FleetCommands` over gRPC: every RPC goes through the command bus; the vehicle RPCs
//! first pass the vehicle rule (a customer's car is the planner's, ADR 015).

use contracts::v1::fleet_commands_server::FleetCommands;
use contracts::v1::{
    ChangeVehicleStatusRequest, RegisterDriverRequest, RegisterVehicleRequest,
    ReinstateDriverRequest, SuspendDriverRequest, UpdateDriverRequest, UpdateVehicleRequest,
};
use es_core::CommandError;
use tonic::{Request, Status};

use super::{Vehicle, VehicleError, VehicleUsage};
use crate::bus::CommandBus;
use crate::error::AppError;
use crate::shared::LicenseNumber;

/// Requests about one registered vehicle.
trait AboutVehicle {
    fn license_number(&self) -> &str;
}

impl AboutVehicle for UpdateVehicleRequest {
    fn license_number(&self) -> &str {
        &self.license_number
    }
}

impl AboutVehicle for ChangeVehicleStatusRequest {
    fn license_number(&self) -> &str {
        &self.license_number
    }
}

/// The refusal of a role that does not handle customers' cars.
fn customer_car_refused() -> Status {
    Status::permission_denied(
        "a customer's car is the planners' to register and change; a dispatcher handles fleet vans",
    )
}

impl Service {
    /// The vehicle rule for a registration: a role that does not handle customers' cars
    /// (a dispatcher) registers fleet vans only.
    async fn may_register(&self, request: &Request<RegisterVehicleRequest>) -> Result<(), Status> {
        let caller = identity::grpc::caller(request)?;
        let usage = contracts::v1::VehicleUsage::try_from(request.get_ref().usage);
        if caller.role.handles_customer_cars() || usage == Ok(contracts::v1::VehicleUsage::Fleet) {
            return Ok(());
        }
        Err(customer_car_refused())
    }

    /// The vehicle rule for a change: a role that does not handle customers' cars (a
    /// dispatcher) changes fleet vans only. A vehicle that does not exist passes, so the
    /// command answers its own not-found.
    async fn may_change<R: AboutVehicle>(&self, request: &Request<R>) -> Result<(), Status> {
        let caller = identity::grpc::caller(request)?;
        if caller.role.handles_customer_cars() {
            return Ok(());
        }
        let usage = registered_usage(
            &self.bus,
            "license_number",
            request.get_ref().license_number(),
        )
        .await?;
        match usage {
            Some(VehicleUsage::Customer) => Err(customer_car_refused()),
            _ => Ok(()),
        }
    }
}

/// The usage of the vehicle `raw` names (its license number, in the request's `field`),
/// as the vehicle itself was registered; `None` when it is not.
pub async fn registered_usage(
    bus: &CommandBus,
    field: &str,
    raw: &str,
) -> Result<Option<VehicleUsage>, Status> {
    let license_number = LicenseNumber::parse(field, raw).map_err(AppError::from)?;
    let loaded = bus
        .repository::<Vehicle>()
        .load(&license_number.to_string())
        .await
        .map_err(|e| AppError::from(CommandError::<VehicleError>::from(e)))?;
    Ok(loaded.state.registered().map(|vehicle| vehicle.usage))
}

crate::command_rpcs! {
    impl FleetCommands for Service {
        register_vehicle(RegisterVehicleRequest) checked by may_register;
        update_vehicle(UpdateVehicleRequest) checked by may_change;
        change_vehicle_status(ChangeVehicleStatusRequest) checked by may_change;
        register_driver(RegisterDriverRequest);
        update_driver(UpdateDriverRequest);
        suspend_driver(SuspendDriverRequest);
        reinstate_driver(ReinstateDriverRequest);
    }
}
