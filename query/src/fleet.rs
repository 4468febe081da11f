//! The fleet read models: vehicles (by owner, by usage, by status) and drivers, each
//! listed with filters and paging and read one by one.

pub mod drivers;
pub mod license_number;
mod support;
#[cfg(test)]
mod test_events;
pub mod vehicles;

pub use drivers::{DRIVERS, DriversProjection, get_driver, list_drivers};
pub use license_number::parse_license_number;
pub use vehicles::{VEHICLES, VehiclesProjection, get_vehicle, list_vehicles};

use crate::projection::Projection;

/// The projections of the fleet context, for the runtime to run.
pub fn projections() -> Vec<Box<dyn Projection>> {
    vec![Box::new(VehiclesProjection), Box::new(DriversProjection)]
}
