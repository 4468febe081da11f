//! Pitlane's wire contracts: the public event schemas ([`events`]), and the `.proto`
//! files under `proto/pitlane/v1/` with the gRPC code generated from them for the command API (`CustomerCommands`,
//! `FleetCommands`, `WorkshopCommands`, `DeliveryCommands`), the `Query` API and the
//! catch-up `EventStream`, and the read-only `Audit` API.
//!
//! - [`events`]: every event's payload type and JSON Schema, one enum per aggregate.
//! - [`v1`]: generated messages, clients (`*_client`) and servers (`*_server`).
//! - [`errors`]: every error's details, in gRPC's richer error model.
//! - [`metadata`]: the gRPC metadata keys that carry correlation, causation, actor
//!   and trace context.
//! - [`reflection`]: gRPC reflection (v1 and v1alpha) listing each port's services.
//! - [`topics`]: which Kafka topic carries each aggregate type's events.
//! - [`FILE_DESCRIPTOR_SET`]: the encoded descriptors, for gRPC server reflection.
//!
//! This crate depends on nothing of ours: every service depends on it, never the
//! other way round.
//!
//! Key decision: the protos are compiled by `protox`, a pure-Rust protobuf compiler,
//! so a build needs no system `protoc` (on developer machines, CI or in containers).

pub mod errors;
pub mod events;
pub mod metadata;
pub mod reflection;
pub mod topics;

/// Generated code of package `pitlane.v1`.
pub mod v1 {
    tonic::include_proto!("pitlane.v1");
}

/// The read models the query service keeps, by the names its status, rebuilds and dead
/// letters use (the query service's test holds its projections to this list).
pub const READ_MODELS: [&str; 8] = [
    "customers",
    "vehicles",
    "drivers",
    "technicians",
    "workshop_planning",
    "routes",
    "deliveries",
    "resource_schedules",
];

/// The gRPC health service name under which the command service reports its Kafka
/// relay (registered only when the relay runs): `SERVING` while it publishes or waits
/// for events, `NOT_SERVING` while Kafka or the store fails and it retries.
pub const RELAY_HEALTH: &str = "pitlane.Relay";

/// The gRPC health service name under which the command service reports whether its
/// event store takes appends: `NOT_SERVING` for a while after an append failed for
/// want of storage (disk full, I/O error, the database away), `SERVING` again after
/// the next append succeeds, or after a quiet while without failures.
pub const EVENT_STORE_HEALTH: &str = "pitlane.EventStore";

/// The gRPC health service name under which the query service reports its live
/// projections: `SERVING` while they follow their source (the event stream or Kafka),
/// `NOT_SERVING` while they start or retry a failing source or batch. Reads still
/// answer meanwhile, from read models that may be behind.
pub const PROJECTIONS_HEALTH: &str = "pitlane.Projections";

/// The encoded `FileDescriptorSet` of all Pitlane protos and their imports, for
/// `tonic-reflection`'s `register_encoded_file_descriptor_set`.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("pitlane_descriptor");

#[cfg(test)]
mod tests {
    use prost::Message;
    use prost_types::FileDescriptorSet;

    use super::FILE_DESCRIPTOR_SET;
    use super::v1::{CommandReply, ConsistencyToken};

    fn service_names() -> Vec<String> {
        let fds = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("descriptor set decodes");
        fds.file
            .iter()
            .flat_map(|file| {
                file.service
                    .iter()
                    .map(move |service| format!("{}.{}", file.package(), service.name()))
            })
            .collect()
    }

    #[test]
    fn descriptor_set_holds_every_service_by_full_name() {
        let names = service_names();
        for expected in [
            "pitlane.v1.CustomerCommands",
            "pitlane.v1.FleetCommands",
            "pitlane.v1.WorkshopCommands",
            "pitlane.v1.DeliveryCommands",
            "pitlane.v1.Query",
            "pitlane.v1.EventStream",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} missing from {names:?}"
            );
        }
    }

    #[test]
    fn descriptor_set_includes_the_well_known_timestamp_for_reflection() {
        let fds = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("descriptor set decodes");
        assert!(
            fds.file
                .iter()
                .any(|f| f.name() == "google/protobuf/timestamp.proto")
        );
    }

    #[test]
    fn every_command_request_has_an_optional_idempotency_key() {
        let fds = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("descriptor set decodes");
        let command = fds
            .file
            .iter()
            .find(|f| f.name() == "pitlane/v1/command.proto")
            .expect("command.proto present");
        let requests: Vec<_> = command
            .message_type
            .iter()
            .filter(|m| m.name().ends_with("Request"))
            .collect();
        assert!(!requests.is_empty());
        for request in requests {
            let key = request
                .field
                .iter()
                .find(|f| f.name() == "idempotency_key")
                .unwrap_or_else(|| panic!("{} lacks idempotency_key", request.name()));
            assert!(
                key.proto3_optional(),
                "{}.idempotency_key is not optional",
                request.name()
            );
        }
    }

    #[test]
    fn command_reply_round_trips_through_prost() {
        let token = |stream: &str, version, position| ConsistencyToken {
            stream_id: stream.to_owned(),
            version,
            position,
        };
        let reply = CommandReply {
            token: Some(token("delivery-018f", 3, 42)),
            tokens: vec![token("delivery-018f", 3, 42), token("route-0190", 7, 41)],
            aggregate_id: "018f".to_owned(),
        };

        let decoded = CommandReply::decode(reply.encode_to_vec().as_slice()).expect("decodes");

        assert_eq!(decoded, reply);
    }
}
