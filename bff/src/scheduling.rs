//! Cross-aggregate scheduling conflicts (DESIGN §7, DOMAIN.md): no single aggregate
//! sees a driver, van or technician booked twice, so the BFF checks under locks.
//!
//! 1. lock every resource the request books, in sorted order ([`Scheduler::guard`]);
//! 2. wait until the read models reflect the last write to each resource
//!    ([`tokens`]), so the check never reads a stale schedule;
//! 3. check the schedules for an overlap ([`checks`]);
//! 4. send the command and remember its token per resource;
//! 5. release the locks.

pub mod checks;
mod guard;
pub mod redis_tokens;
pub mod tokens;

pub use guard::{Resource, Scheduler};
