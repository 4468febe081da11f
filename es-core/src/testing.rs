//! Test support for this crate and its users (feature `test-util`): the aggregate
//! harness, a small example aggregate, and the contract suites for the ports.

pub mod counter;
pub mod given;
pub mod lock_contract;
pub mod servers;
pub mod store_contract;

pub use given::AggregateTest;
