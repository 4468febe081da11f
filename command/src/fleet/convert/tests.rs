use super::*;
use crate::shared::testing::assert_spoils_rejected;

const OWNER: &str = "0190f5a4-7b1c-7c3e-9d2a-5f0e8b6c4a21";
const DRIVER: &str = "0190f5a4-7b1c-7c3e-9d2a-5f0e8b6c4a22";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn register_vehicle() -> v1::RegisterVehicleRequest {
    v1::RegisterVehicleRequest {
        license_number: "ab-123-c".into(),
        brand: "Tesla".into(),
        model: "Model 3".into(),
        owner_customer_id: Some(OWNER.into()),
        usage: v1::VehicleUsage::Customer as i32,
        idempotency_key: None,
    }
}

fn update_vehicle() -> v1::UpdateVehicleRequest {
    v1::UpdateVehicleRequest {
        license_number: "ab-123-c".into(),
        brand: "Tesla".into(),
        model: "Model Y".into(),
        owner_customer_id: Some(OWNER.into()),
        idempotency_key: None,
    }
}

fn register_driver() -> v1::RegisterDriverRequest {
    v1::RegisterDriverRequest {
        driver_id: DRIVER.into(),
        name: "Lewis Hamilton".into(),
        driving_licence_number: "HAMIL850107LH9".into(),
        idempotency_key: None,
    }
}

fn update_driver() -> v1::UpdateDriverRequest {
    v1::UpdateDriverRequest {
        driver_id: DRIVER.into(),
        name: "Lewis Hamilton".into(),
        driving_licence_number: "HAMIL850107LH0".into(),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_vehicle_registration_converts_with_an_upper_case_id() {
    let addressed = register_vehicle().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, "AB-123-C");
    assert_eq!(
        addressed.command,
        VehicleCommand::Register {
            license_number: LicenseNumber::parse("id", "AB-123-C").unwrap(),
            brand: Text::parse("brand", "Tesla").unwrap(),
            model: Text::parse("model", "Model 3").unwrap(),
            owner: Some(CustomerId::parse("id", OWNER).unwrap()),
            usage: VehicleUsage::Customer,
        }
    );
}

#[test]
fn an_absent_or_blank_owner_means_none() {
    for owner in [None, Some(String::new()), Some("  ".into())] {
        let request = v1::RegisterVehicleRequest {
            owner_customer_id: owner,
            usage: v1::VehicleUsage::Fleet as i32,
            ..register_vehicle()
        };
        let command = request.into_command(now()).unwrap().command;
        assert!(matches!(
            command,
            VehicleCommand::Register {
                owner: None,
                usage: VehicleUsage::Fleet,
                ..
            }
        ));
    }
}

#[test]
fn bad_vehicle_registration_fields_are_rejected_naming_the_field() {
    assert_spoils_rejected(
        register_vehicle(),
        &[
            ("license_number", |r| r.license_number = "AB123C".into()),
            ("license_number", |r| r.license_number = String::new()),
            ("brand", |r| r.brand = " ".into()),
            ("brand", |r| r.brand = "x".repeat(201)),
            ("model", |r| r.model = String::new()),
            ("model", |r| r.model = "x".repeat(201)),
            ("owner_customer_id", |r| {
                r.owner_customer_id = Some("nobody".into())
            }),
            ("usage", |r| r.usage = 0),
            ("usage", |r| r.usage = 42),
        ],
    );
}

#[test]
fn a_valid_vehicle_update_converts() {
    let addressed = update_vehicle().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, "AB-123-C");
    assert!(matches!(
        addressed.command,
        VehicleCommand::Update { model, owner: Some(_), .. } if model.as_str() == "Model Y"
    ));
}

#[test]
fn bad_vehicle_update_fields_are_rejected_naming_the_field() {
    assert_spoils_rejected(
        update_vehicle(),
        &[
            ("license_number", |r| r.license_number = "ABCD-1-2".into()),
            ("brand", |r| r.brand = String::new()),
            ("brand", |r| r.brand = "x".repeat(201)),
            ("model", |r| r.model = "\t".into()),
            ("model", |r| r.model = "x".repeat(201)),
            ("owner_customer_id", |r| {
                r.owner_customer_id = Some("1".into())
            }),
        ],
    );
}

#[test]
fn a_valid_status_change_converts_and_bad_fields_are_named() {
    let valid = v1::ChangeVehicleStatusRequest {
        license_number: "12-abc-3".into(),
        status: v1::VehicleStatus::OutOfService as i32,
        idempotency_key: None,
    };
    let addressed = valid.clone().into_command(now()).unwrap();
    assert_eq!(
        (addressed.aggregate_id.as_str(), addressed.command),
        (
            "12-ABC-3",
            VehicleCommand::ChangeStatus {
                status: VehicleStatus::OutOfService
            }
        )
    );
    assert_spoils_rejected(
        valid,
        &[
            ("license_number", |r| r.license_number = "12-ABC".into()),
            ("status", |r| r.status = 0),
            ("status", |r| r.status = 7),
        ],
    );
}

#[test]
fn a_valid_driver_registration_converts() {
    let addressed = register_driver().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, DRIVER);
    assert_eq!(
        addressed.command,
        DriverCommand::Register {
            driver_id: DriverId::parse("id", DRIVER).unwrap(),
            name: Text::parse("name", "Lewis Hamilton").unwrap(),
            driving_licence_number: Text::parse("licence", "HAMIL850107LH9").unwrap(),
        }
    );
}

#[test]
fn bad_driver_registration_fields_are_rejected_naming_the_field() {
    assert_spoils_rejected(
        register_driver(),
        &[
            ("driver_id", |r| r.driver_id = "driver-1".into()),
            ("name", |r| r.name = String::new()),
            ("name", |r| r.name = "x".repeat(201)),
            ("driving_licence_number", |r| {
                r.driving_licence_number = " ".into()
            }),
            ("driving_licence_number", |r| {
                r.driving_licence_number = "x".repeat(51)
            }),
        ],
    );
}

#[test]
fn a_valid_driver_update_converts() {
    let addressed = update_driver().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, DRIVER);
    assert!(matches!(
        addressed.command,
        DriverCommand::Update { driving_licence_number, .. }
            if driving_licence_number.as_str() == "HAMIL850107LH0"
    ));
}

#[test]
fn bad_driver_update_fields_are_rejected_naming_the_field() {
    assert_spoils_rejected(
        update_driver(),
        &[
            ("driver_id", |r| r.driver_id = String::new()),
            ("name", |r| r.name = "  ".into()),
            ("name", |r| r.name = "x".repeat(201)),
            ("driving_licence_number", |r| {
                r.driving_licence_number = String::new()
            }),
            ("driving_licence_number", |r| {
                r.driving_licence_number = "x".repeat(51)
            }),
        ],
    );
}

#[test]
fn suspend_and_reinstate_requests_convert_and_need_a_uuid() {
    let suspend = v1::SuspendDriverRequest {
        driver_id: DRIVER.into(),
        idempotency_key: None,
    };
    let reinstate = v1::ReinstateDriverRequest {
        driver_id: DRIVER.into(),
        idempotency_key: None,
    };
    assert_eq!(
        suspend.clone().into_command(now()).unwrap(),
        Addressed::new(DRIVER, DriverCommand::Suspend)
    );
    assert_eq!(
        reinstate.clone().into_command(now()).unwrap(),
        Addressed::new(DRIVER, DriverCommand::Reinstate)
    );
    assert_spoils_rejected(suspend, &[("driver_id", |r| r.driver_id = "x".into())]);
    assert_spoils_rejected(reinstate, &[("driver_id", |r| r.driver_id = "x".into())]);
}

#[test]
fn domain_enums_map_to_their_proto_twins_and_back() {
    for usage in [VehicleUsage::Customer, VehicleUsage::Fleet] {
        let proto = v1::VehicleUsage::from(usage);
        assert_eq!(usage_from_proto("usage", proto as i32).unwrap(), usage);
    }
    for status in [VehicleStatus::Available, VehicleStatus::OutOfService] {
        let proto = v1::VehicleStatus::from(status);
        assert_eq!(status_from_proto("status", proto as i32).unwrap(), status);
    }
    assert_eq!(
        v1::DriverStatus::from(DriverStatus::Active),
        v1::DriverStatus::Active
    );
    assert_eq!(
        v1::DriverStatus::from(DriverStatus::Suspended),
        v1::DriverStatus::Suspended
    );
    assert_eq!(
        v1::VehicleUsage::from(VehicleUsage::Fleet),
        v1::VehicleUsage::Fleet
    );
}
