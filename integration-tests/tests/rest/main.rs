//! End-to-end tests of the REST API: the platform as `cargo run` starts it, driven
//! over HTTP on port 0.

mod audit;
mod booking_storm;
mod conventions;
mod dead_letters;
mod delivery_flow;
mod driver_access;
mod helpers;
mod observability;
mod personal_data_in_errors;
mod production;
mod vehicle_access;
mod workshop_flow;
