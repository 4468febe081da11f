//! `WorkshopCommands` over gRPC: every RPC goes through the command bus.

use contracts::v1::workshop_commands_server::WorkshopCommands;
use contracts::v1::{
    AssignTechnicianRequest, CancelMaintenanceJobRequest, DeactivateTechnicianRequest,
    FinishMaintenanceJobRequest, PlanMaintenanceJobRequest, ReactivateTechnicianRequest,
    RegisterTechnicianRequest, UpdateTechnicianRequest,
};

crate::command_rpcs! {
    impl WorkshopCommands for Service {
        register_technician(RegisterTechnicianRequest);
        update_technician(UpdateTechnicianRequest);
        deactivate_technician(DeactivateTechnicianRequest);
        reactivate_technician(ReactivateTechnicianRequest);
        plan_maintenance_job(PlanMaintenanceJobRequest);
        assign_technician(AssignTechnicianRequest);
        finish_maintenance_job(FinishMaintenanceJobRequest);
        cancel_maintenance_job(CancelMaintenanceJobRequest);
    }
}
