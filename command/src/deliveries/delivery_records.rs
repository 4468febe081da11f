//! What a delivery records along the way: reached checkpoints, incidents and the
//! proof of delivery.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::checkpoint::Sequence;
use crate::shared::{IncidentId, Text};

/// A free-form incident type such as `delay` or `damage`: at most 100 characters.
pub type IncidentType = Text<100>;
/// A description, resolution or failure reason: at most 2000 characters.
pub type LongText = Text<2000>;
/// The person who received the delivery: at most 200 characters.
pub type ReceiverName = Text<200>;
/// A reference to the stored signature image: at most 500 characters.
pub type SignatureReference = Text<500>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReachedCheckpoint {
    pub sequence: Sequence,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub incident_id: IncidentId,
    pub incident_type: IncidentType,
    pub description: LongText,
    pub reported_at: DateTime<Utc>,
    /// Set once resolved; a resolution is final.
    pub resolved: Option<IncidentResolution>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentResolution {
    pub resolution: LongText,
    pub resolved_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofOfDelivery {
    pub receiver_name: ReceiverName,
    pub signature_reference: SignatureReference,
    pub captured_at: DateTime<Utc>,
}
