//! gRPC server reflection for each port: v1 and v1alpha (grpcurl, Postman and older
//! clients ask either), listing exactly the services the port answers — its own,
//! health, and reflection itself.

use tonic_reflection::server::{Builder, Error, v1, v1alpha};

use crate::v1::{
    audit_server, customer_commands_server, delivery_commands_server, event_stream_server,
    fleet_commands_server, query_server, workshop_commands_server,
};

/// The command service's own services.
pub const COMMAND_PORT: [&str; 6] = [
    customer_commands_server::SERVICE_NAME,
    fleet_commands_server::SERVICE_NAME,
    workshop_commands_server::SERVICE_NAME,
    delivery_commands_server::SERVICE_NAME,
    event_stream_server::SERVICE_NAME,
    audit_server::SERVICE_NAME,
];

/// The query service's own services.
pub const QUERY_PORT: [&str; 1] = [query_server::SERVICE_NAME];

/// What every port serves besides its own services.
pub const HEALTH: &str = "grpc.health.v1.Health";
pub const REFLECTION_V1: &str = "grpc.reflection.v1.ServerReflection";
pub const REFLECTION_V1ALPHA: &str = "grpc.reflection.v1alpha.ServerReflection";

/// Both reflection services of a port serving `own` (plus health, whose descriptors
/// are `health`, and reflection).
#[allow(clippy::type_complexity)]
pub fn services(
    own: &[&str],
    health: &'static [u8],
) -> Result<
    (
        v1::ServerReflectionServer<impl v1::ServerReflection>,
        v1alpha::ServerReflectionServer<impl v1alpha::ServerReflection>,
    ),
    Error,
> {
    let builder = || {
        own.iter()
            .chain(&[HEALTH, REFLECTION_V1, REFLECTION_V1ALPHA])
            .fold(Builder::configure(), |b, name| b.with_service_name(*name))
            .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(health)
            .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(
                tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            )
            .include_reflection_service(false)
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}
