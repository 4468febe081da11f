//! The workshop planning read model: the `workshop_plannings` table (one row per planned
//! date) and the `workshop_jobs` table (one row per maintenance job), answering
//! `GetWorkshopPlanning`: a date's jobs, with the vehicle's, the customer's and the
//! technician's details joined from their own read models at query time.

pub mod projection;
pub mod queries;

pub use projection::{WORKSHOP_JOBS, WORKSHOP_PLANNINGS, WorkshopPlanningProjection};
pub use queries::get_workshop_planning;
