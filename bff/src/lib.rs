//! The BFF: Pitlane's REST/JSON API for frontends (DESIGN §7–§9). It owns no data:
//! every request becomes gRPC calls to the command and query services, made with the
//! caller's own bearer token, and bookings of drivers, vans and technicians are
//! checked for conflicts under locks.
//!
//! Depends on `contracts`, `identity` and es-core's lock port only — never on the
//! services' code.
//!
//! A tour:
//! - [`router`] builds every route ([`customers`], [`fleet`], [`workshop`],
//!   [`deliveries`], [`views`], [`schedules`], [`audit`], [`health`], OpenAPI at
//!   `/api/openapi.json`, Swagger UI at `/docs`) with its middleware
//!   ([`correlation`], [`observe`]'s access log and HTTP metrics, [`auth`],
//!   [`rate_limit`] keyed by subject or [`client_ip`], CORS, body limit), and
//!   `/metrics`;
//! - [`auth`] authenticates every `/api/v1` request (bearer JWT, [`identity`]'s
//!   verifier) and admits it by the roles its handler declares in its OpenAPI
//!   annotation; drivers reach only their own deliveries;
//! - [`extract`] turns requests into typed input or a field-named [`problem`];
//! - [`commands`] sends a command and answers with `ETag` and consistency token;
//! - [`upstream`] is the one path to gRPC: [`breaker`], timeout, retries;
//! - [`scheduling`] is the conflict protocol: locks, last tokens, schedule checks;
//! - [`audit`] replays the event log for auditors (history, state as of, diff, trace,
//!   verify, export) and lets an admin rebuild read models;
//! - [`web`] serves the web app at `/` (ADR 022), a client of the same `/api/v1`
//!   routes, and its login configuration.
//!
//! Key decisions: the BFF validates only what JSON and HTTP can say (types, enums,
//! dates, ids); the domain's rules stay in the aggregates, and the command service's
//! field-named errors pass through as 422s. Who may call an operation is written once,
//! next to its handler (`security(("bearer" = [roles]))`), and enforced from the
//! generated OpenAPI document, so the document cannot say otherwise than the code.

pub mod audit;
pub mod auth;
pub mod breaker;
pub mod client_ip;
pub mod commands;
pub mod config;
pub mod consistency;
pub mod convert;
pub mod correlation;
pub mod customers;
pub mod deliveries;
pub mod event_schemas;
pub mod extract;
pub mod fleet;
pub mod health;
pub mod observe;
pub mod openapi;
pub mod ops;
pub mod problem;
pub mod rate_limit;
pub mod router;
pub mod schedules;
pub mod scheduling;
pub mod startup;
pub mod state;
pub mod upstream;
pub mod views;
pub mod web;
pub mod workshop;

#[cfg(test)]
pub(crate) mod testing;

pub use config::Config;
pub use startup::{App, build};
