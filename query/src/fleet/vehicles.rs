//! The vehicles read model: the `vehicles` table, one row per vehicle (brand, model,
//! owner, usage, status), answering `ListVehicles` (by owner, usage and status, sorted,
//! paged) and `GetVehicle` (by license number, in any case).

pub mod projection;
pub mod queries;

pub use projection::{VEHICLES, VehiclesProjection};
pub use queries::{get_vehicle, list_vehicles};
