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

/// `RawContact::from(&request)` for each request that carries a contact.
macro_rules! contact_of {
    ($($request:ty),+) => {$(
        impl<'a> From<&'a $request> for RawContact<'a> {
            fn from(request: &'a $request) -> Self {
                RawContact {
                    name: &request.name,
                    address: &request.address,
                    postal_code: &request.postal_code,
                    city: &request.city,
                    telephone: &request.telephone,
                    email: &request.email,
                }
            }
        }
    )+};
}

contact_of!(
    v1::RegisterCustomerRequest,
    v1::UpdateCustomerContactRequest
);

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
        let personal_data = RawContact::from(&self).parse()?;
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
        let personal_data = RawContact::from(&self).parse()?;
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
mod tests;
