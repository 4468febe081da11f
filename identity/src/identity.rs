//! Who a verified token says the caller is, and under which role a request acts.

use std::sync::Arc;

use crate::role::Role;

/// A caller whose token was verified: never built from a header a client typed. Its
/// `Debug` hides the token, so a `?identity` (or `?caller`) in a log line cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's `sub`: what the audit trail records as the actor.
    pub subject: String,
    /// The Pitlane roles the token holds (unknown role names dropped).
    pub roles: Vec<Role>,
    /// For drivers: the driver (a driver id) the token acts for, from the driver claim.
    pub driver_id: Option<String>,
    /// The bearer token itself, forwarded to the gRPC services on the caller's behalf.
    pub token: Arc<str>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("subject", &self.subject)
            .field("roles", &self.roles)
            .field("driver_id", &self.driver_id)
            .field("token", &"***")
            .finish()
    }
}

impl Identity {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The role under which this caller may do something that admits `admitted`: the
    /// first admitted role the caller holds, else `admin` (admitted everywhere), else
    /// `None` (forbidden).
    pub fn acting_as(&self, admitted: &[Role]) -> Option<Role> {
        admitted
            .iter()
            .copied()
            .find(|role| self.has(*role))
            .or_else(|| self.has(Role::Admin).then_some(Role::Admin))
    }
}

/// A caller admitted to one request: its identity and the role it acts under. Services
/// find it in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub identity: Identity,
    pub role: Role,
}

impl Caller {
    pub fn subject(&self) -> &str {
        &self.identity.subject
    }

    /// Whether this request may see personal data opened.
    pub fn opens_personal_data(&self) -> bool {
        self.role.opens_personal_data()
    }

    /// For a driver: the driver id the token acts for (a driver token without one may
    /// act on no delivery).
    pub fn driver_id(&self) -> Option<&str> {
        self.identity.driver_id.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holding(roles: &[Role]) -> Identity {
        Identity {
            subject: "s".into(),
            roles: roles.to_vec(),
            driver_id: None,
            token: Arc::from(""),
        }
    }

    #[test]
    fn a_caller_acts_under_the_first_admitted_role_it_holds() {
        let both = holding(&[Role::Auditor, Role::Planner]);
        assert_eq!(
            both.acting_as(&[Role::Planner, Role::Auditor]),
            Some(Role::Planner)
        );
        assert_eq!(both.acting_as(&[Role::Dispatcher]), None);
    }

    #[test]
    fn an_admin_is_admitted_everywhere_and_acts_as_admin() {
        let admin = holding(&[Role::Admin]);
        assert_eq!(admin.acting_as(&[Role::Driver]), Some(Role::Admin));
        assert_eq!(admin.acting_as(&[]), Some(Role::Admin));
    }

    #[test]
    fn a_logged_caller_never_shows_its_token() {
        let identity = Identity {
            token: Arc::from("eyJhbGciOiJFZERTQSJ9.secret-claims.secret-signature"),
            ..holding(&[Role::Planner])
        };
        let caller = Caller {
            identity,
            role: Role::Planner,
        };
        let logged = format!("{caller:?} {caller:#?}");
        assert!(!logged.contains("secret"), "{logged}");
        assert!(
            logged.contains("subject: \"s\"") && logged.contains("***"),
            "{logged}"
        );
    }
}
