//! Pitlane's identity (DESIGN §9): who a caller is, proved by a bearer token (OIDC
//! conventions), and what each role may do. The BFF and every gRPC service verify
//! tokens with this one crate, so a rule changes in one place.
//!
//! Depends on nothing of ours; the services and the BFF depend on it.
//!
//! A tour:
//! - [`Verifier`] checks a JWT (RS256, ES256, EdDSA; signature by `kid` from the
//!   issuer's JWKS in [`keys`], cached and refreshed; `iss`, `aud`, `exp`, `nbf`) and
//!   yields an [`Identity`]: subject, [`Role`]s, driver id;
//! - [`config`] reads `AUTH_*` into [`AuthSettings`] and opens an [`Auth`]: the
//!   verifier plus the service's own [`TokenSource`];
//! - [`DevIssuer`] is the embedded default's issuer: a key in the data directory,
//!   tokens for `pitlane token`;
//! - [`grpc`] authenticates calls on every tonic server ([`AuthLayer`], one
//!   [`grpc::Policy`] per service) and forwards tokens on outgoing calls;
//! - [`observe`] gives every gRPC call a span with its correlation id, an access log
//!   line and the `grpc_server_*` metrics ([`ObserveLayer`]);
//! - [`trace`] carries W3C trace context in and out of every call;
//! - [`tls`] configures TLS on gRPC listeners and channels (`PITLANE_TLS_*`).
//!
//! Key decision: no header is ever trusted to say who a caller is; the subject in an
//! event's `actor` is the verified token's `sub`, whoever the caller claims to be.

pub mod config;
pub mod dev_issuer;
pub mod error;
pub mod grpc;
mod identity;
pub mod keys;
pub mod observe;
mod role;
pub mod tls;
mod tokens;
pub mod trace;
mod untrusted;
mod verified;
mod verifier;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;

pub use config::{Auth, AuthConfig, AuthSettings, IssuerSettings};
pub use dev_issuer::{DevIssuer, TokenRequest};
pub use error::{AuthError, Forbidden};
pub use grpc::{Access, AuthLayer};
pub use identity::{Caller, Identity};
pub use observe::ObserveLayer;
pub use role::Role;
pub use tokens::{ClientCredentials, TokenError, TokenSource};
pub use verifier::Verifier;
