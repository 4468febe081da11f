//! The customers queries: `ListCustomers` (search, sort, paging) and `GetCustomer`.

use contracts::v1;

use super::projection::CUSTOMERS;
use crate::api::{Page, QueryError, direction, parse_uuid};
use crate::store::{DbError, Filter, Reader, Row, Select};

/// Customers matching `search` (case-insensitive substring of name, email or city),
/// sorted by name (default) or city, with the customer id breaking ties so pages are
/// stable. Erased customers are listed (their personal fields empty) but never match a
/// search; their NULL names and cities sort first in ascending order.
pub fn list_customers(
    reader: &mut dyn Reader,
    request: &v1::ListCustomersRequest,
) -> Result<v1::ListCustomersReply, QueryError> {
    let page = Page::parse(request.page.as_ref())?;
    let sort_column = match v1::CustomerSortField::try_from(request.sort_by) {
        Ok(v1::CustomerSortField::Unspecified | v1::CustomerSortField::Name) => "name",
        Ok(v1::CustomerSortField::City) => "city",
        Err(_) => {
            return Err(QueryError::invalid(
                "sort_by",
                "is not a customer sort field",
            ));
        }
    };
    let order = direction(request.direction)?;

    let mut select = Select::from(&CUSTOMERS);
    if let Some(search) = crate::api::search_text(&request.search)? {
        select = select.filter(Filter::AnyOf(
            ["name", "email", "city"]
                .into_iter()
                .map(|column| Filter::Contains(column, search.clone()))
                .collect(),
        ));
    }
    let select = select
        .order_by(sort_column, order)
        .order_by("customer_id", order);
    let (rows, page) = page.select(reader, select)?;
    Ok(v1::ListCustomersReply {
        customers: rows.iter().map(to_customer).collect::<Result<_, _>>()?,
        page: Some(page),
    })
}

/// One customer by id; an erased one is returned with empty personal fields.
pub fn get_customer(
    reader: &mut dyn Reader,
    request: &v1::GetCustomerRequest,
) -> Result<v1::Customer, QueryError> {
    let id = parse_uuid("customer_id", &request.customer_id)?;
    let row = reader
        .get(&CUSTOMERS, &[("customer_id", id.to_string().into())])?
        .ok_or_else(|| QueryError::NotFound(format!("customer {id} not found")))?;
    Ok(to_customer(&row)?)
}

/// A `customers` row as the proto `Customer` (NULL personal fields become empty).
pub fn to_customer(row: &Row) -> Result<v1::Customer, DbError> {
    let text = |column| row.opt_text(column).map(Option::unwrap_or_default);
    Ok(v1::Customer {
        customer_id: row.text("customer_id")?,
        name: text("name")?,
        address: text("address")?,
        postal_code: text("postal_code")?,
        city: text("city")?,
        telephone: text("telephone")?,
        email: text("email")?,
        erased: row.bool("erased")?,
        version: row.uint("version")?,
    })
}

#[cfg(test)]
mod tests;
