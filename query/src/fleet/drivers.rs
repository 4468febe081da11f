//! The drivers read model: the `drivers` table, one row per driver (name, driving licence
//! number, status), answering `ListDrivers` (name search, status, paging) and `GetDriver`.
//! The deliveries queries read it too, for driver names.

pub mod projection;
pub mod queries;

pub use projection::{DRIVERS, DriversProjection};
pub use queries::{get_driver, list_drivers};
