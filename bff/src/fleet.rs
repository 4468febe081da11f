//! `/api/v1/vehicles` and `/api/v1/drivers`: register, update, change status; list and
//! read. A vehicle's owner must be a registered customer (DOMAIN.md, fleet): the BFF
//! checks it against the customers read model before sending the command.

mod drivers;
mod vehicles;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use drivers::{
    DriverDetails, DriverFilter, DriverList, DriverSort, DriverView, RegisterDriver,
};
pub use vehicles::{
    ChangeVehicleStatus, RegisterVehicle, UpdateVehicle, VehicleFilter, VehicleList, VehicleSort,
    VehicleView,
};

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(vehicles::register_vehicle, vehicles::list_vehicles))
        .routes(routes!(vehicles::get_vehicle, vehicles::update_vehicle))
        .routes(routes!(vehicles::change_vehicle_status))
        .routes(routes!(drivers::register_driver, drivers::list_drivers))
        .routes(routes!(drivers::get_driver, drivers::update_driver))
        .routes(routes!(drivers::suspend_driver))
        .routes(routes!(drivers::reinstate_driver))
}
