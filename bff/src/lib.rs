//! The backend-for-frontends: the REST API over the command and query gRPC services,
//! with scheduling-conflict checks under locks.
//!
//! Depends on `contracts` and on es-core's `LockManager` port only.
//! Not assembled yet: the REST API lands with the BFF issue.
