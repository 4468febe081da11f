//! The `pitlane` launcher: one command that runs the whole platform (command, query and
//! BFF services in one process on the embedded default, talking gRPC over loopback),
//! any one service alone (for containers), and the benchmarks.
//!
//! A library as well as a binary so that end-to-end tests start the platform exactly
//! as `cargo run` does ([`platform::Platform::start`]).

pub mod audit;
pub mod bench;
pub mod cli;
pub mod demo;
pub mod http;
pub mod ops;
pub mod platform;
pub mod telemetry;
pub mod token;
