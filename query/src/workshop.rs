//! The workshop read models: technicians (listed by name, status and skill) and the
//! workshop planning of a date, whose jobs carry the vehicle's, the customer's and the
//! technician's details joined from their read models at query time.

pub mod planning;
pub mod technicians;
#[cfg(test)]
pub(crate) mod test_events;
pub mod vocabulary;

pub use planning::{
    WORKSHOP_JOBS, WORKSHOP_PLANNINGS, WorkshopPlanningProjection, get_workshop_planning,
};
pub use technicians::{TECHNICIANS, TechniciansProjection, get_technician, list_technicians};

use crate::projection::Projection;

/// The projections of the workshop context, for the runtime to run.
pub fn projections() -> Vec<Box<dyn Projection>> {
    vec![
        Box::new(TechniciansProjection),
        Box::new(WorkshopPlanningProjection),
    ]
}
