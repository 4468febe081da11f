//! Who may call each RPC of the query service (DESIGN §9), in one table, applied by the
//! [`identity::AuthLayer`] in front of the server; `admin` is admitted everywhere and a
//! method missing here is refused to everyone (a test walks the descriptor set).
//!
//! The BFF forwards its caller's token, and its screens fan out: a planner's booking
//! reads whether the customer exists, a driver's delivery summary reads the van and the
//! driver. So reads admit the roles of the REST routes that read them,
//! directly or in a fan-out, and no more (a driver may read one van, not list the fleet
//! or the routes); what a role may not see of an answer is cut in
//! [`scope`](crate::api::scope): personal data redacted for roles that do not open it,
//! and drivers limited to their deliveries and their own record.

use identity::Role::{self, Auditor, Dispatcher, Driver, Operator, Planner, Service};
use identity::grpc::Access;

/// Customers, listed or one by one: only roles that open personal data (a listing
/// searches it in clear: name, e-mail, city). A dispatcher never needs one: a
/// customer's car, whose owner the BFF checks, is the planner's to register.
const CUSTOMERS: &[Role] = &[Planner, Auditor, Service];
const WORKSHOP: &[Role] = &[Planner, Auditor, Service];
const VEHICLES: &[Role] = &[Planner, Dispatcher, Auditor, Service];
/// One vehicle: a driver reads the van of its delivery (its summary and tracking).
const VEHICLE: &[Role] = &[Planner, Dispatcher, Driver, Auditor, Service];
const DRIVERS: &[Role] = &[Dispatcher, Auditor, Service];
/// One driver: a driver reads its own record only ([`scope`](crate::api::scope)).
const DRIVER: &[Role] = &[Dispatcher, Driver, Auditor, Service];
const ROUTES: &[Role] = &[Dispatcher, Auditor, Service];
/// Deliveries: a driver sees only those assigned to it ([`scope`](crate::api::scope)).
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
        ("pitlane.v1.Query", "ListCustomers") => CUSTOMERS,
        ("pitlane.v1.Query", "GetCustomer") => CUSTOMERS,
        ("pitlane.v1.Query", "ListTechnicians" | "GetTechnician" | "GetWorkshopPlanning") => {
            WORKSHOP
        }
        ("pitlane.v1.Query", "ListVehicles") => VEHICLES,
        ("pitlane.v1.Query", "GetVehicle") => VEHICLE,
        ("pitlane.v1.Query", "ListDrivers") => DRIVERS,
        ("pitlane.v1.Query", "GetDriver") => DRIVER,
        ("pitlane.v1.Query", "ListRoutes" | "GetRoute") => ROUTES,
        (
            "pitlane.v1.Query",
            "GetDelivery" | "ListDeliveries" | "ListLiveTracking" | "GetDeliveryTimeline",
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

    fn admits(method: &str, role: Role) -> bool {
        match policy(&format!("/pitlane.v1.Query/{method}")) {
            Some(Access::Roles(roles)) => roles.contains(&role),
            other => panic!("{method}: {other:?}"),
        }
    }

    #[test]
    fn a_driver_reads_its_deliveries_van_and_record_but_lists_no_fleet_drivers_or_routes() {
        for method in ["GetDelivery", "ListDeliveries", "GetVehicle", "GetDriver"] {
            assert!(admits(method, Driver), "{method}");
        }
        for method in [
            "ListVehicles",
            "ListDrivers",
            "ListRoutes",
            "GetRoute",
            "ListCustomers",
        ] {
            assert!(!admits(method, Driver), "{method}");
        }
    }

    #[test]
    fn only_roles_that_open_personal_data_may_search_or_read_customers() {
        for role in Role::ALL {
            for method in ["ListCustomers", "GetCustomer"] {
                assert_eq!(
                    admits(method, role),
                    role.opens_personal_data() && role != Role::Admin,
                    "{method} {role}"
                );
            }
        }
    }

    #[test]
    fn a_planner_reads_no_driver_and_a_dispatcher_no_workshop() {
        assert!(!admits("ListDrivers", Planner));
        assert!(!admits("GetDriver", Planner));
        assert!(admits("GetDriver", Dispatcher));
        assert!(!admits("GetWorkshopPlanning", Dispatcher));
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
