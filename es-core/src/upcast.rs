//! Upcasters: old payload schemas are translated on read, never rewritten in the log.
//!
//! An upcaster is keyed by (event type, schema version) and lifts a payload one version
//! up; [`Upcasters::upcast`] chains them until no upcaster matches. The stored envelope
//! (and so its hash) stays as written: upcasting works on a copy, after verification.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::envelope::EventEnvelope;
use crate::store::StoreError;

type UpcastFn = Arc<dyn Fn(Value) -> Result<Value, String> + Send + Sync>;

#[derive(Clone, Default)]
pub struct Upcasters {
    by_key: HashMap<(String, u32), UpcastFn>,
}

impl Upcasters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers how to turn `event_type` payloads of `from_version` into `from_version + 1`.
    pub fn register(
        mut self,
        event_type: impl Into<String>,
        from_version: u32,
        upcast: impl Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.by_key
            .insert((event_type.into(), from_version), Arc::new(upcast));
        self
    }

    /// Lifts an envelope to the newest schema version the registered upcasters know.
    pub fn upcast(&self, mut envelope: EventEnvelope) -> Result<EventEnvelope, StoreError> {
        while let Some(step) = self
            .by_key
            .get(&(envelope.event_type.clone(), envelope.schema_version))
        {
            let payload = std::mem::take(&mut envelope.payload);
            envelope.payload = step(payload).map_err(|reason| StoreError::Corrupt {
                stream_id: envelope.stream_id.clone(),
                version: envelope.version,
                reason: format!(
                    "upcasting {} from schema {} failed: {reason}",
                    envelope.event_type, envelope.schema_version
                ),
            })?;
            envelope.schema_version += 1;
        }
        Ok(envelope)
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

impl std::fmt::Debug for Upcasters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.by_key.keys()).finish()
    }
}
