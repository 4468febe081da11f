//! The customers read model: one row per customer (personal fields gone after erasure),
//! listed with search and paging, and read one by one.

pub mod projection;
pub mod queries;

pub use projection::{CUSTOMERS, CustomersProjection};
pub use queries::{get_customer, list_customers};

use crate::projection::Projection;

/// The projections of the customers context, for the runtime to run.
pub fn projections() -> Vec<Box<dyn Projection>> {
    vec![Box::new(CustomersProjection)]
}
