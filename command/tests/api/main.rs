//! The command service end to end: a real server on port 0, a real SQLite file, real
//! gRPC clients.

mod audit;
mod auth;
mod customers;
mod deliveries;
mod erasure;
mod event_stream;
mod helpers;
mod relay;
mod schedules;
mod service;
mod workshop;
