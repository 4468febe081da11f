//! How domain errors describe themselves to the service layer.
//!
//! Each aggregate has its own error enum (so tests read `then_expect_error(…)`); each
//! implements [`DomainRule`] so the gRPC layer maps any of them the same way: a stable
//! machine-readable `reason` code and a kind that picks the status code.

/// What kind of refusal a domain error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// A rule forbids the command in the current state (`FAILED_PRECONDITION`).
    Violation,
    /// The aggregate, or an entity inside it, does not exist (`NOT_FOUND`).
    NotFound,
    /// The id being created is taken (`ALREADY_EXISTS`).
    AlreadyExists,
}

pub trait DomainRule: std::error::Error {
    /// Stable, snake_case code clients can switch on, e.g. `too_many_overlapping_jobs`.
    fn reason(&self) -> &'static str;

    fn kind(&self) -> RuleKind {
        RuleKind::Violation
    }
}
