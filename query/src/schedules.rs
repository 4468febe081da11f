//! Resource schedules: the slots each driver, vehicle and technician is booked for, with
//! the maintenance job or delivery holding each — what the BFF's conflict checks read.

pub mod projection;
pub mod queries;

pub use projection::{RESOURCE_SLOTS, ResourceSchedulesProjection, SCHEDULE_DELIVERIES};
pub use queries::get_resource_schedule;

use crate::projection::Projection;

/// The projections of the schedules read model, for the runtime to run.
pub fn projections() -> Vec<Box<dyn Projection>> {
    vec![Box::new(ResourceSchedulesProjection)]
}
