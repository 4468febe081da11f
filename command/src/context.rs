//! Request context: correlation, causation and trace context from gRPC metadata, and
//! the actor from the verified token (the [`Caller`] the auth layer admitted, never a
//! header), which every event the command appends carries (DESIGN §3, §9).

use contracts::metadata as keys;
use es_core::{Actor, EventMetadata};
use identity::Caller;
use tonic::metadata::MetadataMap;
use uuid::Uuid;

use crate::shared::FieldError;

const MAX_ID_LEN: usize = 200;

/// Reads the context of one command by `caller`; absent ids are minted, malformed ones
/// refused.
pub fn from_metadata(metadata: &MetadataMap, caller: &Caller) -> Result<EventMetadata, FieldError> {
    let text = |key: &'static str| -> Result<Option<String>, FieldError> {
        let Some(value) = metadata.get(key) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| FieldError::new(key, "must be visible ASCII"))?
            .trim();
        if value.len() > MAX_ID_LEN {
            return Err(FieldError::new(
                key,
                format!("is longer than {MAX_ID_LEN} bytes"),
            ));
        }
        Ok((!value.is_empty()).then(|| value.to_owned()))
    };
    let command_id = Uuid::now_v7().to_string();
    Ok(EventMetadata {
        correlation_id: text(keys::CORRELATION_ID)?.unwrap_or_else(|| command_id.clone()),
        causation_id: text(keys::CAUSATION_ID)?.unwrap_or(command_id),
        actor: Actor::new(caller.subject(), caller.role.as_str()),
        // W3C: a receiver ignores a malformed traceparent and starts a new trace.
        traceparent: Some(
            text(keys::TRACEPARENT)?
                .filter(|t| is_traceparent(t))
                .unwrap_or_else(new_traceparent),
        ),
    })
}

/// The version the caller expects the aggregate at (`x-expected-version`), if any.
pub fn expected_version(metadata: &MetadataMap) -> Result<Option<u64>, FieldError> {
    let Some(value) = metadata.get(keys::EXPECTED_VERSION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| FieldError::new(keys::EXPECTED_VERSION, "must be a version number"))
}

/// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, ids not all zero.
fn is_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    parts.len() == 4
        && hex(parts[0], 2)
        && parts[0] != "ff"
        && hex(parts[1], 32)
        && parts[1].bytes().any(|b| b != b'0')
        && hex(parts[2], 16)
        && parts[2].bytes().any(|b| b != b'0')
        && hex(parts[3], 2)
}

fn new_traceparent() -> String {
    let trace = Uuid::new_v4().simple().to_string();
    let span = &Uuid::new_v4().simple().to_string()[..16];
    format!("00-{trace}-{span}-01")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use identity::{Identity, Role};

    use super::*;

    fn planner(subject: &str) -> Caller {
        Caller {
            identity: Identity {
                subject: subject.into(),
                roles: vec![Role::Planner],
                driver_id: None,
                token: Arc::from(""),
            },
            role: Role::Planner,
        }
    }

    #[test]
    fn metadata_flows_into_the_event_metadata_and_the_actor_is_the_caller() {
        let mut map = MetadataMap::new();
        map.insert(keys::CORRELATION_ID, "corr-7".parse().unwrap());
        map.insert(keys::CAUSATION_ID, "req-9".parse().unwrap());
        // A client claiming to be someone else changes nothing.
        map.insert("x-actor-subject", "chief-auditor".parse().unwrap());
        map.insert("x-actor-role", "admin".parse().unwrap());
        let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        map.insert(keys::TRACEPARENT, trace.parse().unwrap());
        let meta = from_metadata(&map, &planner("alice")).unwrap();
        assert_eq!(meta.correlation_id, "corr-7");
        assert_eq!(meta.causation_id, "req-9");
        assert_eq!(meta.actor, Actor::new("alice", "planner"));
        assert_eq!(meta.traceparent.as_deref(), Some(trace));
    }

    #[test]
    fn absent_ids_are_minted_and_a_malformed_traceparent_is_replaced() {
        let mut map = MetadataMap::new();
        map.insert(keys::TRACEPARENT, "garbage".parse().unwrap());
        let meta = from_metadata(&map, &planner("alice")).unwrap();
        assert!(!meta.correlation_id.is_empty());
        assert!(is_traceparent(meta.traceparent.as_deref().unwrap()));
    }

    #[test]
    fn an_over_long_correlation_id_is_refused_naming_the_key() {
        let mut map = MetadataMap::new();
        map.insert(keys::CORRELATION_ID, "x".repeat(300).parse().unwrap());
        assert_eq!(
            from_metadata(&map, &planner("a")).unwrap_err().field,
            keys::CORRELATION_ID
        );
    }
}
