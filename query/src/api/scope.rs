//! What a caller's role may see of an answer (DESIGN §9): personal data opened only
//! for roles that need it, and a driver limited to the deliveries assigned to the
//! driver its token names. Applied by the service to every answer it scopes, after the
//! access table admitted the call.

use contracts::v1::{Customer, Delivery, Vehicle, VehicleUsage};
use identity::{Caller, Role};
use tonic::Status;

/// What a redacted personal field reads as.
pub const REDACTED: &str = "[redacted]";

/// Redacts `customer`'s personal fields unless `caller` opens personal data.
pub fn customer(caller: &Caller, mut customer: Customer) -> Customer {
    if !caller.opens_personal_data() && !customer.erased {
        for field in [
            &mut customer.name,
            &mut customer.address,
            &mut customer.postal_code,
            &mut customer.city,
            &mut customer.telephone,
            &mut customer.email,
        ] {
            *field = REDACTED.to_owned();
        }
    }
    customer
}

/// The driver id a driver acts for; `None` for other roles (they see every delivery).
pub fn driver_of(caller: &Caller) -> Result<Option<&str>, Status> {
    if caller.role != Role::Driver {
        return Ok(None);
    }
    caller.driver_id().map(Some).ok_or_else(|| {
        Status::permission_denied("this driver token names no driver (claim driver_id)")
    })
}

/// Refuses a driver a delivery assigned to someone else.
pub fn delivery(caller: &Caller, delivery: &Delivery) -> Result<(), Status> {
    match driver_of(caller)? {
        Some(own) if delivery.driver_id.as_deref() != Some(own) => Err(Status::permission_denied(
            "this delivery is assigned to another driver",
        )),
        _ => Ok(()),
    }
}

/// Refuses a driver a customer's car: drivers drive the operator's vans, and a car
/// names its owner.
pub fn vehicle(caller: &Caller, vehicle: &Vehicle) -> Result<(), Status> {
    match driver_of(caller)? {
        Some(_) if vehicle.usage != VehicleUsage::Fleet as i32 => Err(Status::permission_denied(
            "a driver reads the operator's vans only",
        )),
        _ => Ok(()),
    }
}

/// Refuses a driver another driver's record.
pub fn driver_record(caller: &Caller, driver_id: &str) -> Result<(), Status> {
    match driver_of(caller)? {
        Some(own) if own != driver_id.trim() => Err(Status::permission_denied(
            "a driver reads only its own record",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use identity::Identity;

    use super::*;

    fn caller(role: Role, driver_id: Option<&str>) -> Caller {
        Caller {
            identity: Identity {
                subject: "s".into(),
                roles: vec![role],
                driver_id: driver_id.map(str::to_owned),
                token: Arc::from(""),
            },
            role,
        }
    }

    fn ada() -> Customer {
        Customer {
            customer_id: "c-1".into(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            ..Customer::default()
        }
    }

    #[test]
    fn a_dispatcher_sees_a_customer_redacted_and_a_planner_opened() {
        let seen = customer(&caller(Role::Dispatcher, None), ada());
        assert_eq!(seen.name, REDACTED);
        assert_eq!(seen.email, REDACTED);
        assert_eq!(seen.customer_id, "c-1", "the id is not personal data");
        assert_eq!(customer(&caller(Role::Planner, None), ada()).name, "Ada");
    }

    #[test]
    fn a_driver_reads_the_operators_vans_but_no_customers_car() {
        let van = Vehicle {
            usage: VehicleUsage::Fleet as i32,
            ..Vehicle::default()
        };
        let car = Vehicle {
            usage: VehicleUsage::Customer as i32,
            owner_customer_id: Some("c-1".into()),
            ..Vehicle::default()
        };
        let driver = caller(Role::Driver, Some("d-1"));
        assert!(vehicle(&driver, &van).is_ok());
        assert!(vehicle(&driver, &car).is_err());
        assert!(vehicle(&caller(Role::Planner, None), &car).is_ok());
    }

    #[test]
    fn a_driver_sees_only_deliveries_assigned_to_it() {
        let mine = Delivery {
            driver_id: Some("d-1".into()),
            ..Delivery::default()
        };
        assert!(delivery(&caller(Role::Driver, Some("d-1")), &mine).is_ok());
        assert!(delivery(&caller(Role::Driver, Some("d-2")), &mine).is_err());
        assert!(delivery(&caller(Role::Driver, None), &mine).is_err());
        assert!(delivery(&caller(Role::Dispatcher, None), &mine).is_ok());
    }
}
