//! `/api/v1/customers`: register, update contact, erase personal data; list and read.

use axum::extract::State;
use axum::response::Response;
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::commands::{Accepted, CommandResult, with_etag};
use crate::convert::{Direction, PageDto, page_request};
use crate::extract::{Json, Path, Query, RequestContext};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::{command, query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_customer, list_customers))
        .routes(routes!(get_customer))
        .routes(routes!(update_customer_contact))
        .routes(routes!(erase_personal_data))
}

/// A customer's contact details; name, telephone and a well-formed email are required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCustomer {
    /// Chosen by the client (a UUID) or minted by the BFF when absent.
    pub customer_id: Option<Uuid>,
    #[serde(flatten)]
    pub contact: Contact,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    pub telephone: String,
    pub email: String,
}

/// A customer as the read model knows it; after erasure the personal fields are empty.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerView {
    pub customer_id: String,
    pub name: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub telephone: String,
    pub email: String,
    pub erased: bool,
    /// The aggregate version; also the `ETag`.
    pub version: u64,
}

impl From<pb::Customer> for CustomerView {
    fn from(c: pb::Customer) -> Self {
        CustomerView {
            customer_id: c.customer_id,
            name: c.name,
            address: c.address,
            postal_code: c.postal_code,
            city: c.city,
            telephone: c.telephone,
            email: c.email,
            erased: c.erased,
            version: c.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerList {
    pub customers: Vec<CustomerView>,
    pub page: PageDto,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerSort {
    Name,
    City,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerFilter {
    /// Matches name, city or email, case-insensitively.
    pub search: Option<String>,
    #[param(inline)]
    pub sort_by: Option<CustomerSort>,
    #[param(inline)]
    pub direction: Option<Direction>,
    /// 1 to 500; the server's default when absent.
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    /// A consistency token to wait for (same as the `X-Consistency-Token` header).
    pub after: Option<String>,
}

/// Register a customer.
#[utoipa::path(post, path = "/customers", tag = "customers",
    security(("bearer" = ["planner"])),
    request_body = RegisterCustomer,
    responses(
        (status = 201, description = "Registered", body = CommandResult),
        (status = 409, description = "The id is taken")))]
pub async fn register_customer(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(body): Json<RegisterCustomer>,
) -> Result<Accepted, ApiError> {
    let id = body
        .customer_id
        .unwrap_or_else(|| ctx.new_id("customer"))
        .to_string();
    let c = body.contact;
    let request = pb::RegisterCustomerRequest {
        customer_id: id.clone(),
        name: c.name,
        address: c.address,
        postal_code: c.postal_code,
        city: c.city,
        telephone: c.telephone,
        email: c.email,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, customers.register_customer(request)).await?;
    Ok(Accepted::created(
        id.clone(),
        &reply,
        format!("/api/v1/customers/{id}"),
    ))
}

/// Replace a customer's contact details (refused after erasure).
#[utoipa::path(put, path = "/customers/{customer_id}/contact", tag = "customers",
    security(("bearer" = ["planner"])),
    request_body = Contact,
    params(("customer_id" = String, Path, description = "The customer's UUID")),
    responses(
        (status = 200, description = "Updated", body = CommandResult)))]
pub async fn update_customer_contact(
    State(state): State<AppState>,
    Path(customer_id): Path<Uuid>,
    ctx: RequestContext,
    Json(c): Json<Contact>,
) -> Result<Accepted, ApiError> {
    let id = customer_id.to_string();
    let request = pb::UpdateCustomerContactRequest {
        customer_id: id.clone(),
        name: c.name,
        address: c.address,
        postal_code: c.postal_code,
        city: c.city,
        telephone: c.telephone,
        email: c.email,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, customers.update_customer_contact(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Erase a customer's personal data (GDPR): the fields become unreadable everywhere.
#[utoipa::path(post, path = "/customers/{customer_id}/erasure", tag = "customers",
    security(("bearer" = ["admin"])),
    params(("customer_id" = String, Path, description = "The customer's UUID")),
    responses(
        (status = 200, description = "Erased", body = CommandResult)))]
pub async fn erase_personal_data(
    State(state): State<AppState>,
    Path(customer_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = customer_id.to_string();
    let request = pb::ErasePersonalDataRequest {
        customer_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, customers.erase_personal_data(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// List customers, searched, sorted and paged.
#[utoipa::path(get, path = "/customers", tag = "customers",
    security(("bearer" = ["planner", "auditor"])),
    params(CustomerFilter),
    responses(
        (status = 200, description = "A page of customers", body = CustomerList)))]
pub async fn list_customers(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(filter): Query<CustomerFilter>,
) -> Result<axum::Json<CustomerList>, ApiError> {
    let request = pb::ListCustomersRequest {
        wait_for: ctx.wait_for.clone(),
        page: Some(page_request(filter.page_size, filter.page_token)),
        search: filter.search.unwrap_or_default(),
        sort_by: match filter.sort_by {
            None => pb::CustomerSortField::Unspecified,
            Some(CustomerSort::Name) => pb::CustomerSortField::Name,
            Some(CustomerSort::City) => pb::CustomerSortField::City,
        } as i32,
        direction: filter.direction.unwrap_or_default().to_proto(),
    };
    let reply = query!(state, ctx, list_customers(request)).await?;
    Ok(axum::Json(CustomerList {
        customers: reply
            .customers
            .into_iter()
            .map(CustomerView::from)
            .collect(),
        page: PageDto::from_proto(reply.page),
    }))
}

/// Read one customer; the `ETag` is its version.
#[utoipa::path(get, path = "/customers/{customer_id}", tag = "customers",
    security(("bearer" = ["planner", "auditor"])),
    params(("customer_id" = String, Path, description = "The customer's UUID"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The customer", body = CustomerView)))]
pub async fn get_customer(
    State(state): State<AppState>,
    Path(customer_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Response, ApiError> {
    let id = customer_id.to_string();
    let customer = query!(
        state,
        ctx,
        get_customer(pb::GetCustomerRequest {
            wait_for: ctx.wait_for.clone(),
            customer_id: id,
        })
    )
    .await?;
    Ok(with_etag(customer.version, CustomerView::from(customer)))
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};

    use crate::testing::{call, test_router};

    #[tokio::test]
    async fn a_registration_missing_the_email_is_a_422_naming_email() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::POST,
            "/api/v1/customers",
            Some(r#"{"name": "Ada", "telephone": "+44 1"}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("email"));
        assert_eq!(response.problem_type(), Some("/problems/invalid-field"));
    }

    #[tokio::test]
    async fn a_malformed_customer_id_in_the_path_is_a_400_naming_it() {
        let router = test_router().await;
        let response = call(&router, Method::GET, "/api/v1/customers/not-a-uuid", None).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("customer_id"));
    }

    #[tokio::test]
    async fn an_unknown_sort_field_is_a_400_naming_sort_by() {
        let router = test_router().await;
        let response = call(&router, Method::GET, "/api/v1/customers?sort_by=age", None).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("sort_by"));
    }

    #[tokio::test]
    async fn a_valid_request_meeting_a_dead_upstream_is_a_503_with_retry_after() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::GET,
            "/api/v1/customers/0190a4a0-0000-7000-8000-000000000001",
            None,
        )
        .await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers.contains_key("retry-after"));
    }
}
