//! The five roles of DESIGN §9, `operator` (ADR 021), and `service`, the role of internal
//! callers.

use std::fmt;

/// What a caller may do. A token may hold several; a request acts under one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Workshop, customers, vehicles.
    Planner,
    /// Fleet, routes, deliveries.
    Dispatcher,
    /// Only the deliveries assigned to the driver the token names.
    Driver,
    /// Read-only: audit and reads, personal data opened.
    Auditor,
    /// Everything, including erasure and rebuilds.
    Admin,
    /// Runs the platform: read models' status, dead letters (see, redrive, discard),
    /// metrics. No domain writes, and personal data redacted (ADR 021).
    Operator,
    /// Internal callers (the query service's subscription, the relay, the audit CLI):
    /// never a person.
    Service,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Planner,
        Role::Dispatcher,
        Role::Driver,
        Role::Auditor,
        Role::Admin,
        Role::Operator,
        Role::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Planner => "planner",
            Role::Dispatcher => "dispatcher",
            Role::Driver => "driver",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Service => "service",
        }
    }

    /// The role a claim names; unknown names (an identity provider's own roles, such as
    /// Keycloak's `offline_access`) are `None` and ignored.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// Whether this role reads customers' personal data opened (DESIGN §3): the planner
    /// works with customers, the auditor and the admin must see everything, and internal
    /// services build the read models. Dispatchers, drivers and operators see it
    /// redacted. (A proof of delivery's receiver name is not a customer's record: the
    /// driver wrote it and the dispatcher answers for it, so both read it.)
    pub fn opens_personal_data(self) -> bool {
        matches!(
            self,
            Role::Planner | Role::Auditor | Role::Admin | Role::Service
        )
    }

    /// Whether this role registers and changes customers' cars (ADR 015, after issue
    /// 12's "planner: vehicles; dispatcher: fleet"). A dispatcher registers and changes
    /// the operator's own vans only: a customer's car names its owner, whose record the
    /// dispatcher does not open.
    pub fn handles_customer_cars(self) -> bool {
        matches!(self, Role::Planner | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(name: &str) -> Result<Role, String> {
        Role::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("unknown role {name:?}; one of {}", known.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_reads_back_from_its_name_and_unknown_names_are_ignored() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("offline_access"), None);
        assert_eq!(Role::parse("Admin"), None, "names are case-sensitive");
    }

    #[test]
    fn dispatchers_and_drivers_do_not_open_personal_data() {
        assert!(!Role::Dispatcher.opens_personal_data());
        assert!(!Role::Driver.opens_personal_data());
        assert!(!Role::Operator.opens_personal_data());
        assert!(Role::Auditor.opens_personal_data());
    }
}
