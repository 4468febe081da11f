//! Who may call each RPC of the command service (DESIGN §9), in one table. The
//! [`identity::AuthLayer`] in front of the server applies it: no token →
//! `UNAUTHENTICATED`, a role not listed → `PERMISSION_DENIED`; `admin` is admitted
//! everywhere. A method missing here is refused to everyone, and a test walks the
//! descriptor set so a new RPC cannot be served without a line in this table.
//!
//! The BFF forwards its caller's token, so these are the same roles its routes admit;
//! the driver rule (only the deliveries assigned to the token's driver) is checked by
//! the deliveries service against the delivery itself.

use identity::Role::{self, Auditor, Dispatcher, Driver, Operator, Planner, Service};
use identity::grpc::Access;

const PLANNER: &[Role] = &[Planner];
const PLANNER_OR_DISPATCHER: &[Role] = &[Planner, Dispatcher];
const DISPATCHER: &[Role] = &[Dispatcher];
const DISPATCHER_OR_DRIVER: &[Role] = &[Dispatcher, Driver];
/// Erasure is irreversible: the admin only.
const ADMIN: &[Role] = &[];
/// Personal data leaves these services opened: only for roles that may read it.
const AUDIT: &[Role] = &[Auditor, Service];
/// The log's head (no event in it): also for operators, beside the read models' status.
const HEAD: &[Role] = &[Auditor, Operator, Service];
const ANY_ROLE: &[Role] = &[Planner, Dispatcher, Driver, Auditor, Operator, Service];

/// The access rule of a gRPC path (`/pitlane.v1.Service/Method`).
pub fn policy(path: &str) -> Option<Access> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    let roles = match (service, method) {
        ("pitlane.v1.CustomerCommands", "ErasePersonalData") => ADMIN,
        ("pitlane.v1.CustomerCommands", _) => PLANNER,
        (
            "pitlane.v1.FleetCommands",
            "RegisterVehicle" | "UpdateVehicle" | "ChangeVehicleStatus",
        ) => PLANNER_OR_DISPATCHER,
        ("pitlane.v1.FleetCommands", _) => DISPATCHER,
        ("pitlane.v1.WorkshopCommands", _) => PLANNER,
        (
            "pitlane.v1.DeliveryCommands",
            "StartTransit"
            | "ReachCheckpoint"
            | "MarkOutForDelivery"
            | "CaptureProofOfDelivery"
            | "FailDelivery"
            | "ReportIncident"
            | "ResolveIncident",
        ) => DISPATCHER_OR_DRIVER,
        ("pitlane.v1.DeliveryCommands", _) => DISPATCHER,
        ("pitlane.v1.EventStream", "HeadPosition") => HEAD,
        ("pitlane.v1.EventStream" | "pitlane.v1.Audit", _) => AUDIT,
        ("grpc.reflection.v1.ServerReflection" | "grpc.reflection.v1alpha.ServerReflection", _) => {
            ANY_ROLE
        }
        _ => return None,
    };
    Some(Access::Roles(roles))
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use prost_types::FileDescriptorSet;

    use super::*;

    const SERVED: [&str; 6] = [
        "pitlane.v1.CustomerCommands",
        "pitlane.v1.FleetCommands",
        "pitlane.v1.WorkshopCommands",
        "pitlane.v1.DeliveryCommands",
        "pitlane.v1.EventStream",
        "pitlane.v1.Audit",
    ];

    #[test]
    fn every_method_the_command_service_serves_has_an_access_rule() {
        let set = FileDescriptorSet::decode(contracts::FILE_DESCRIPTOR_SET).unwrap();
        let mut checked = 0;
        for file in &set.file {
            for service in &file.service {
                let name = format!("{}.{}", file.package(), service.name());
                if !SERVED.contains(&name.as_str()) {
                    continue;
                }
                for method in &service.method {
                    let path = format!("/{name}/{}", method.name());
                    assert!(policy(&path).is_some(), "{path} has no access rule");
                    checked += 1;
                }
            }
        }
        assert!(checked > 40, "only {checked} methods found");
    }

    #[test]
    fn erasure_is_for_the_admin_alone_and_the_event_stream_for_services_and_auditors() {
        assert_eq!(
            policy("/pitlane.v1.CustomerCommands/ErasePersonalData"),
            Some(Access::Roles(&[]))
        );
        let Some(Access::Roles(stream)) = policy("/pitlane.v1.EventStream/Subscribe") else {
            panic!("the event stream has a rule");
        };
        assert!(!stream.contains(&Role::Dispatcher) && !stream.contains(&Role::Planner));
        assert_eq!(
            policy("/pitlane.v1.Query/ListCustomers"),
            None,
            "not served here"
        );
    }
}
