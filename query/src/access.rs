//! Who may call each RPC of the query service (DESIGN §9), in one table, applied by the
//! [`identity::AuthLayer`] in front of the server; `admin` is admitted everywhere and a
//! method missing here is refused to everyone (a test walks the descriptor set).
//!
//! The BFF forwards its caller's token, and its screens fan out: a dispatcher booking a
//! customer's car reads whether the customer exists, a driver's delivery summary reads
//! the van. So reads admit more roles than the REST routes that show them, and what a
//! role may not see is cut here, in [`scope`](crate::api::scope): personal data
//! redacted for roles that do not open it, and drivers limited to their deliveries.

use identity::Role::{self, Auditor, Dispatcher, Driver, Operator, Planner, Service};
use identity::grpc::Access;

const CUSTOMERS: &[Role] = &[Planner, Dispatcher, Auditor, Service];
const WORKSHOP: &[Role] = &[Planner, Auditor, Service];
const VEHICLES: &[Role] = &[Planner, Dispatcher, Driver, Auditor, Service];
const DRIVERS: &[Role] = &[Planner, Dispatcher, Driver, Auditor, Service];
const DELIVERIES: &[Role] = &[Dispatcher, Driver, Auditor, Service];
const SCHEDULES: &[Role] = &[Planner, Dispatcher, Auditor, Service];
const OPERATIONS: &[Role] = &[Auditor, Operator, Service];
/// Settling dead letters writes read models: operators (and the admin).
const OPERATORS: &[Role] = &[Operator];
/// Rebuilds replace every read model: the admin only.
const ADMIN: &[Role] = &[];
const ANY_ROLE: &[Role] = &[Planner, Dispatcher, Driver, Auditor, Operator, Service];

/// The access rule of a gRPC path (`/pitlane.v1.Query/Method`).
pub fn policy(path: &str) -> Option<Access> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    let roles = match (service, method) {
        ("pitlane.v1.Query", "ListCustomers" | "GetCustomer") => CUSTOMERS,
        ("pitlane.v1.Query", "ListTechnicians" | "GetTechnician" | "GetWorkshopPlanning") => {
            WORKSHOP
        }
        ("pitlane.v1.Query", "ListVehicles" | "GetVehicle") => VEHICLES,
        ("pitlane.v1.Query", "ListDrivers" | "GetDriver") => DRIVERS,
        (
            "pitlane.v1.Query",
            "ListRoutes"
            | "GetRoute"
            | "GetDelivery"
            | "ListDeliveries"
            | "ListLiveTracking"
            | "GetDeliveryTimeline",
        ) => DELIVERIES,
        ("pitlane.v1.Query", "GetResourceSchedule") => SCHEDULES,
        ("pitlane.v1.Query", "ProjectionStatus" | "ListDeadLetters" | "GetDeadLetter") => {
            OPERATIONS
        }
        ("pitlane.v1.Query", "RedriveDeadLetters" | "DiscardDeadLetter") => OPERATORS,
        ("pitlane.v1.Query", "RebuildReadModels") => ADMIN,
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

    #[test]
    fn every_method_the_query_service_serves_has_an_access_rule() {
        let set = FileDescriptorSet::decode(contracts::FILE_DESCRIPTOR_SET).unwrap();
        let query = set
            .file
            .iter()
            .flat_map(|file| file.service.iter())
            .find(|service| service.name() == "Query")
            .expect("the Query service");
        for method in &query.method {
            let path = format!("/pitlane.v1.Query/{}", method.name());
            assert!(policy(&path).is_some(), "{path} has no access rule");
        }
        assert!(query.method.len() > 15);
    }

    #[test]
    fn rebuilds_are_the_admins_and_command_services_are_not_served_here() {
        assert_eq!(
            policy("/pitlane.v1.Query/RebuildReadModels"),
            Some(Access::Roles(&[]))
        );
        assert_eq!(
            policy("/pitlane.v1.CustomerCommands/RegisterCustomer"),
            None
        );
    }
}
