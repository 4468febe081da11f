//! Access control of the REST API (DESIGN §9): every `/api/v1` request carries a bearer
//! token, verified with the shared [`identity::Verifier`]; each operation admits the
//! roles its handler's annotation declares (`security(("bearer" = [...]))`), read back
//! from the OpenAPI document, so the document and the enforcement cannot differ; a
//! driver touches only its own deliveries. The verified token travels on to the
//! services, which check it again and record its subject as the actor.
//!
//! - [`document`] completes the OpenAPI document (scheme, `admin`, 401/403 answers);
//! - [`access`] is the table of rules built from it;
//! - [`middleware`] authenticates, then authorizes, each request;
//! - [`driver`] is the driver rule;
//! - [`denial`] logs every refusal once.

pub mod access;
pub mod denial;
pub mod document;
pub mod driver;
pub mod middleware;

pub use access::{Access, AccessTable, Lookup};
pub use document::secure;
pub use middleware::{Authentication, Gate, REALM, authenticate, authorize};

#[cfg(test)]
mod matrix;
#[cfg(test)]
mod tests;
