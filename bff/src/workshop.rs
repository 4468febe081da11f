//! `/api/v1/technicians` and `/api/v1/workshop/plannings/{date}`: technicians, and the
//! daily planning of maintenance jobs. Planning a job and assigning a technician book a
//! vehicle and a technician, so they run under the scheduling protocol
//! ([`crate::scheduling`]): locks, then read-model checks, then the command. The
//! planning aggregate still enforces its own rules (3 workstations, same date, skills).

mod booking;
mod jobs;
mod plannings;
mod technicians;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use jobs::{AssignTechnician, CancelJob, FinishJob, PlanJob};
pub use plannings::{CustomerSummary, JobView, PlanningView, VehicleSummary, read_planning};
pub use technicians::{
    RegisterTechnician, TechnicianFilter, TechnicianList, TechnicianSort, TechnicianView,
    UpdateTechnician, skills_of,
};

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            technicians::register_technician,
            technicians::list_technicians
        ))
        .routes(routes!(
            technicians::get_technician,
            technicians::update_technician
        ))
        .routes(routes!(technicians::deactivate_technician))
        .routes(routes!(technicians::reactivate_technician))
        .routes(routes!(plannings::get_planning))
        .routes(routes!(jobs::plan_maintenance_job))
        .routes(routes!(jobs::assign_technician))
        .routes(routes!(jobs::finish_maintenance_job))
        .routes(routes!(jobs::cancel_maintenance_job))
}
