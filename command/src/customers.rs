//! The customers bounded context (DOMAIN.md "customers"): the `Customer` aggregate and
//! the conversion of `CustomerCommands` requests into its commands.

pub mod convert;
pub mod customer;
pub mod service;

pub use customer::{Customer, CustomerCommand, CustomerError, CustomerEvent, PersonalData};
pub use service::Service;
