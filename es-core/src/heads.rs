//! Signed log heads (issue 13): tamper evidence that covers the tail and the whole log.
//!
//! Per-stream hash chains prove that no stored event was changed, but not that none is
//! missing after a stream's last event, and not that the log as a whole is the one
//! that was written: a store restored from an older backup, or a WAL whose tail was
//! cut, verifies as intact. Heads close that gap:
//! - [`LogDigest`]: a running hash over `$all` — each event's position and chain hash
//!   folded into the digest of everything before it, so the digest at position `p`
//!   commits to the whole log up to `p`, in order;
//! - [`SignedHead`]: a position and its digest, signed with Ed25519 by the process that
//!   writes the store ([`HeadKey`], kept in a file outside the store; [`TrustedKeys`]
//!   holds every public key ever used, so heads of rotated keys still verify);
//! - [`witness`]: an append-only file of heads outside the store; [`HeadWitness`]: any
//!   other witness (in production a Kafka topic, `kafka::HeadsTopic`);
//! - [`HeadSigner`]: signs the head every interval while the log grows, and once more
//!   when it stops.
//!
//! `audit::verify` checks the log against the witnessed heads: a log ending before a
//! head names the missing positions; a log whose digest differs at a head was altered,
//! cut and re-grown, or reordered. Rewriting history consistently needs the signing key.

mod digest;
mod key;
mod signer;
pub mod witness;

pub use digest::LogDigest;
pub use key::{HeadKey, SignedHead, TrustedKey, TrustedKeys};
pub use signer::{HeadSigner, HeadWitness, HeadsSettings};
