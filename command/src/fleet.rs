//! The fleet bounded context (DOMAIN.md "fleet"): the `Vehicle` and `Driver` aggregates
//! and the conversion of `FleetCommands` requests into their commands.

pub mod convert;
pub mod driver;
pub mod service;
pub mod vehicle;

pub use driver::{Driver, DriverCommand, DriverError, DriverEvent, DriverStatus};
pub use service::Service;
pub use vehicle::{
    Vehicle, VehicleCommand, VehicleError, VehicleEvent, VehicleStatus, VehicleUsage,
};
