//! Customer requests of the `CustomerCommands` service become [`CustomerCommand`]s here;
//! a bad field fails naming it as the proto does.

use chrono::{DateTime, Utc};
use contracts::v1;

use super::customer::{Customer, CustomerCommand, PersonalData};
use crate::shared::{
    Addressed, CustomerId, Email, FieldError, IntoCommand, Telephone, Text, optional_text,
};

/// The personal fields as they arrive on the wire (same names in every request).
struct RawContact<'a> {
    name: &'a str,
    address: &'a str,
    postal_code: &'a str,
    city: &'a str,
    telephone: &'a str,
    email: &'a str,
}

impl RawContact<'_> {
    fn parse(self) -> Result<PersonalData, FieldError> {
        Ok(PersonalData {
            name: Text::parse("name", self.name)?,
            address: optional_text("address", self.address)?,
            postal_code: optional_text("postal_code", self.postal_code)?,
            city: optional_text("city", self.city)?,
            telephone: Telephone::parse("telephone", self.telephone)?,
            email: Email::parse("email", self.email)?,
        })
    }
}

impl IntoCommand for v1::RegisterCustomerRequest {
    type Aggregate = Customer;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<CustomerCommand>, FieldError> {
        let customer_id = CustomerId::parse("customer_id", &self.customer_id)?;
        let personal_data = RawContact {
            name: &self.name,
            address: &self.address,
            postal_code: &self.postal_code,
            city: &self.city,
            telephone: &self.telephone,
            email: &self.email,
        }
        .parse()?;
        Ok(Addressed::new(
            customer_id,
            CustomerCommand::Register {
                customer_id,
                personal_data,
            },
        ))
    }
}

impl IntoCommand for v1::UpdateCustomerContactRequest {
    type Aggregate = Customer;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<CustomerCommand>, FieldError> {
        let customer_id = CustomerId::parse("customer_id", &self.customer_id)?;
        let personal_data = RawContact {
            name: &self.name,
            address: &self.address,
            postal_code: &self.postal_code,
            city: &self.city,
            telephone: &self.telephone,
            email: &self.email,
        }
        .parse()?;
        Ok(Addressed::new(
            customer_id,
            CustomerCommand::UpdateContact { personal_data },
        ))
    }
}

impl IntoCommand for v1::ErasePersonalDataRequest {
    type Aggregate = Customer;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<CustomerCommand>, FieldError> {
        let customer_id = CustomerId::parse("customer_id", &self.customer_id)?;
        Ok(Addressed::new(
            customer_id,
            CustomerCommand::ErasePersonalData,
        ))
    }
}

#[cfg(test)]
mod tests {
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

    fn update() -> v1::UpdateCustomerContactRequest {
        let r = register();
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
            let mut request = register();
            match field {
                "customer_id" => request.customer_id = value.clone(),
                "name" => request.name = value.clone(),
                "address" => request.address = value.clone(),
                "postal_code" => request.postal_code = value.clone(),
                "city" => request.city = value.clone(),
                "telephone" => request.telephone = value.clone(),
                "email" => request.email = value.clone(),
                other => unreachable!("{other}"),
            }
            let error = request.into_command(now()).unwrap_err();
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
            let mut request = update();
            match field {
                "customer_id" => request.customer_id = value.clone(),
                "name" => request.name = value.clone(),
                "address" => request.address = value.clone(),
                "postal_code" => request.postal_code = value.clone(),
                "city" => request.city = value.clone(),
                "telephone" => request.telephone = value.clone(),
                "email" => request.email = value.clone(),
                other => unreachable!("{other}"),
            }
            let error = request.into_command(now()).unwrap_err();
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
}
