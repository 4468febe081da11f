//! `FleetCommands` over gRPC: every RPC goes through the command bus.

use contracts::v1::fleet_commands_server::FleetCommands;
use contracts::v1::{
    ChangeVehicleStatusRequest, RegisterDriverRequest, RegisterVehicleRequest,
    ReinstateDriverRequest, SuspendDriverRequest, UpdateDriverRequest, UpdateVehicleRequest,
};

crate::command_rpcs! {
    impl FleetCommands for Service {
        register_vehicle(RegisterVehicleRequest);
        update_vehicle(UpdateVehicleRequest);
        change_vehicle_status(ChangeVehicleStatusRequest);
        register_driver(RegisterDriverRequest);
        update_driver(UpdateDriverRequest);
        suspend_driver(SuspendDriverRequest);
        reinstate_driver(ReinstateDriverRequest);
    }
}
