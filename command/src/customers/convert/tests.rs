use super::*;

const ID: &str = "0190f5a4-7b1c-7c3e-9d2a-5f0e8b6c4a21";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn register() -> v1::RegisterCustomerRequest {
    v1::RegisterCustomerRequest {
        customer_id: ID.into(),
        name: " Ada Lovelace ".into(),
        address: "12 St James's Square".into(),
        postal_code: "SW1Y 4JH".into(),
        city: "London".into(),
        telephone: "+44 20 7946 0000".into(),
        email: "ada@example.com".into(),
        idempotency_key: None,
    }
}

/// The update that carries the same fields as `r`.
fn update_like(r: v1::RegisterCustomerRequest) -> v1::UpdateCustomerContactRequest {
    v1::UpdateCustomerContactRequest {
        customer_id: r.customer_id,
        name: r.name,
        address: r.address,
        postal_code: r.postal_code,
        city: r.city,
        telephone: r.telephone,
        email: r.email,
        idempotency_key: None,
    }
}

fn update() -> v1::UpdateCustomerContactRequest {
    update_like(register())
}

/// [`register`] with `field` set to `value`.
fn register_with(field: &str, value: &str) -> v1::RegisterCustomerRequest {
    let mut request = register();
    let slot = match field {
        "customer_id" => &mut request.customer_id,
        "name" => &mut request.name,
        "address" => &mut request.address,
        "postal_code" => &mut request.postal_code,
        "city" => &mut request.city,
        "telephone" => &mut request.telephone,
        "email" => &mut request.email,
        other => unreachable!("{other}"),
    };
    *slot = value.to_owned();
    request
}

/// Bad values for each contact field, with the field the error must name.
fn bad_contact_fields() -> Vec<(&'static str, String)> {
    vec![
        ("customer_id", "not-a-uuid".into()),
        ("name", "  ".into()),
        ("name", "x".repeat(201)),
        ("address", "x".repeat(301)),
        ("postal_code", "x".repeat(21)),
        ("city", "x".repeat(101)),
        ("telephone", "".into()),
        ("telephone", "call me".into()),
        ("email", "".into()),
        ("email", "ada@example".into()),
    ]
}

#[test]
fn a_valid_registration_converts_to_a_trimmed_register_command() {
    let addressed = register().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, ID);
    let CustomerCommand::Register {
        customer_id,
        personal_data,
    } = addressed.command
    else {
        panic!("expected Register, got {:?}", addressed.command);
    };
    assert_eq!(customer_id.to_string(), ID);
    assert_eq!(personal_data.name.as_str(), "Ada Lovelace");
    assert_eq!(personal_data.city.unwrap().as_str(), "London");
}

#[test]
fn blank_address_postal_code_and_city_mean_none() {
    let request = v1::RegisterCustomerRequest {
        address: " ".into(),
        postal_code: String::new(),
        city: String::new(),
        ..register()
    };
    let CustomerCommand::Register { personal_data, .. } =
        request.into_command(now()).unwrap().command
    else {
        panic!("expected Register");
    };
    assert_eq!(
        (
            personal_data.address,
            personal_data.postal_code,
            personal_data.city
        ),
        (None, None, None)
    );
}

#[test]
fn bad_registration_fields_are_rejected_naming_the_field() {
    for (field, value) in bad_contact_fields() {
        let error = register_with(field, &value)
            .into_command(now())
            .unwrap_err();
        assert_eq!(error.field, field, "{value:?}: {error}");
    }
}

#[test]
fn a_valid_contact_update_converts() {
    let addressed = update().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, ID);
    assert!(matches!(
        addressed.command,
        CustomerCommand::UpdateContact { personal_data } if personal_data.email.as_str() == "ada@example.com"
    ));
}

#[test]
fn bad_contact_update_fields_are_rejected_naming_the_field() {
    for (field, value) in bad_contact_fields() {
        let error = update_like(register_with(field, &value))
            .into_command(now())
            .unwrap_err();
        assert_eq!(error.field, field, "{value:?}: {error}");
    }
}

#[test]
fn an_erasure_request_converts_and_needs_a_uuid() {
    let ok = v1::ErasePersonalDataRequest {
        customer_id: ID.into(),
        idempotency_key: None,
    };
    let addressed = ok.into_command(now()).unwrap();
    assert_eq!(
        (addressed.aggregate_id.as_str(), addressed.command),
        (ID, CustomerCommand::ErasePersonalData)
    );
    let bad = v1::ErasePersonalDataRequest {
        customer_id: "42".into(),
        idempotency_key: None,
    };
    assert_eq!(bad.into_command(now()).unwrap_err().field, "customer_id");
}
