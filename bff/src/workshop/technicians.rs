//! Technicians: register, update, deactivate and reactivate them; list and read them.

use axum::extract::State;
use axum::response::Response;
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::commands::{Accepted, CommandResult, with_etag};
use crate::convert::{Direction, PageDto, ServiceCategory, TechnicianStatus, page_request};
use crate::extract::{Json, Path, Query, RequestContext};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::{command, query};

/// A technician, registered active, with at least one skill.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterTechnician {
    /// Chosen by the client (a UUID) or minted by the BFF when absent.
    pub technician_id: Option<Uuid>,
    pub name: String,
    /// The service categories the technician may work on.
    pub skills: Vec<ServiceCategory>,
}

/// Replaces name and skills.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTechnician {
    pub name: String,
    pub skills: Vec<ServiceCategory>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechnicianView {
    pub technician_id: String,
    pub name: String,
    pub skills: Vec<ServiceCategory>,
    /// Null only for a value this BFF does not know (a newer service).
    pub status: Option<TechnicianStatus>,
    /// The aggregate version; also the `ETag`.
    pub version: u64,
}

/// Skills off the wire; a category this BFF does not know is left out.
pub fn skills_of(raw: &[i32]) -> Vec<ServiceCategory> {
    raw.iter()
        .filter_map(|s| ServiceCategory::from_proto(*s))
        .collect()
}

fn skills_to_proto(skills: &[ServiceCategory]) -> Vec<i32> {
    skills.iter().map(|s| s.to_proto()).collect()
}

impl From<pb::Technician> for TechnicianView {
    fn from(t: pb::Technician) -> Self {
        TechnicianView {
            skills: skills_of(&t.skills),
            status: TechnicianStatus::from_proto(t.status),
            technician_id: t.technician_id,
            name: t.name,
            version: t.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechnicianList {
    pub technicians: Vec<TechnicianView>,
    pub page: PageDto,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TechnicianSort {
    Name,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TechnicianFilter {
    /// Matches the name, case-insensitively.
    pub search: Option<String>,
    #[param(inline)]
    pub status: Option<TechnicianStatus>,
    /// Only technicians holding this skill.
    #[param(inline)]
    pub skill: Option<ServiceCategory>,
    #[param(inline)]
    pub sort_by: Option<TechnicianSort>,
    #[param(inline)]
    pub direction: Option<Direction>,
    /// 1 to 500; the server's default when absent.
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
    /// A consistency token to wait for (same as the `X-Consistency-Token` header).
    pub after: Option<String>,
}

/// Register a technician (active).
#[utoipa::path(post, path = "/technicians", tag = "workshop",
    security(("bearer" = ["planner"])),
    request_body = RegisterTechnician,
    responses(
        (status = 201, description = "Registered", body = CommandResult),
        (status = 409, description = "The id is taken")))]
pub async fn register_technician(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(body): Json<RegisterTechnician>,
) -> Result<Accepted, ApiError> {
    let id = body
        .technician_id
        .unwrap_or_else(|| ctx.new_id("technician"))
        .to_string();
    let request = pb::RegisterTechnicianRequest {
        technician_id: id.clone(),
        name: body.name,
        skills: skills_to_proto(&body.skills),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, workshop.register_technician(request)).await?;
    Ok(Accepted::created(
        id.clone(),
        &reply,
        format!("/api/v1/technicians/{id}"),
    ))
}

/// Replace a technician's name and skills.
#[utoipa::path(put, path = "/technicians/{technician_id}", tag = "workshop",
    security(("bearer" = ["planner"])),
    request_body = UpdateTechnician,
    params(("technician_id" = String, Path, description = "The technician's UUID")),
    responses(
        (status = 200, description = "Updated", body = CommandResult)))]
pub async fn update_technician(
    State(state): State<AppState>,
    Path(technician_id): Path<Uuid>,
    ctx: RequestContext,
    Json(body): Json<UpdateTechnician>,
) -> Result<Accepted, ApiError> {
    let id = technician_id.to_string();
    let request = pb::UpdateTechnicianRequest {
        technician_id: id.clone(),
        name: body.name,
        skills: skills_to_proto(&body.skills),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, workshop.update_technician(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Deactivate a technician: an inactive technician cannot be assigned to a job.
#[utoipa::path(post, path = "/technicians/{technician_id}/deactivate", tag = "workshop",
    security(("bearer" = ["planner"])),
    params(("technician_id" = String, Path, description = "The technician's UUID")),
    responses(
        (status = 200, description = "Deactivated", body = CommandResult),
        (status = 409, description = "The technician is not active")))]
pub async fn deactivate_technician(
    State(state): State<AppState>,
    Path(technician_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = technician_id.to_string();
    let request = pb::DeactivateTechnicianRequest {
        technician_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, workshop.deactivate_technician(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Reactivate an inactive technician.
#[utoipa::path(post, path = "/technicians/{technician_id}/reactivate", tag = "workshop",
    security(("bearer" = ["planner"])),
    params(("technician_id" = String, Path, description = "The technician's UUID")),
    responses(
        (status = 200, description = "Reactivated", body = CommandResult),
        (status = 409, description = "The technician is not inactive")))]
pub async fn reactivate_technician(
    State(state): State<AppState>,
    Path(technician_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = technician_id.to_string();
    let request = pb::ReactivateTechnicianRequest {
        technician_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, workshop.reactivate_technician(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// List technicians, searched by name, filtered by status and skill, sorted and paged.
#[utoipa::path(get, path = "/technicians", tag = "workshop",
    security(("bearer" = ["planner", "auditor"])),
    params(TechnicianFilter),
    responses(
        (status = 200, description = "A page of technicians", body = TechnicianList)))]
pub async fn list_technicians(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(filter): Query<TechnicianFilter>,
) -> Result<axum::Json<TechnicianList>, ApiError> {
    let request = pb::ListTechniciansRequest {
        wait_for: ctx.wait_for.clone(),
        page: Some(page_request(filter.page_size, filter.page_token)),
        search: filter.search.unwrap_or_default(),
        status: filter.status.map_or(0, TechnicianStatus::to_proto),
        skill: filter.skill.map_or(0, ServiceCategory::to_proto),
        sort_by: match filter.sort_by {
            None => pb::TechnicianSortField::Unspecified,
            Some(TechnicianSort::Name) => pb::TechnicianSortField::Name,
        } as i32,
        direction: filter.direction.unwrap_or_default().to_proto(),
    };
    let reply = query!(state, ctx, list_technicians(request)).await?;
    Ok(axum::Json(TechnicianList {
        technicians: reply
            .technicians
            .into_iter()
            .map(TechnicianView::from)
            .collect(),
        page: PageDto::from_proto(reply.page),
    }))
}

/// Read one technician; the `ETag` is its version.
#[utoipa::path(get, path = "/technicians/{technician_id}", tag = "workshop",
    security(("bearer" = ["planner", "auditor"])),
    params(("technician_id" = String, Path, description = "The technician's UUID"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The technician", body = TechnicianView)))]
pub async fn get_technician(
    State(state): State<AppState>,
    Path(technician_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Response, ApiError> {
    let id = technician_id.to_string();
    let technician = query!(
        state,
        ctx,
        get_technician(pb::GetTechnicianRequest {
            wait_for: ctx.wait_for.clone(),
            technician_id: id,
        })
    )
    .await?;
    Ok(with_etag(
        technician.version,
        TechnicianView::from(technician),
    ))
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};

    use crate::testing::{call, test_router};

    const TECHNICIAN: &str = "0190a4a0-0000-7000-8000-000000000003";

    #[tokio::test]
    async fn an_unknown_skill_is_a_422_naming_the_skill() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::POST,
            "/api/v1/technicians",
            Some(r#"{"name": "Mo", "skills": ["paint", "welding"]}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("skills[1]"));
    }

    #[tokio::test]
    async fn an_unknown_technician_filter_value_is_a_400_naming_the_parameter() {
        let router = test_router().await;
        for (uri, field) in [
            ("/api/v1/technicians?skill=welding", "skill"),
            ("/api/v1/technicians?status=retired", "status"),
            ("/api/v1/technicians?sort_by=skill", "sort_by"),
            ("/api/v1/technicians?direction=up", "direction"),
        ] {
            let response = call(&router, Method::GET, uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(response.field(), Some(field), "{uri}");
        }
    }

    #[tokio::test]
    async fn a_malformed_technician_id_in_the_path_is_a_400_naming_technician_id() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::POST,
            "/api/v1/technicians/not-a-uuid/deactivate",
            None,
        )
        .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("technician_id"));
    }

    #[tokio::test]
    async fn a_valid_technician_read_meeting_a_dead_upstream_is_a_503_not_a_500() {
        let router = test_router().await;
        let uri = format!("/api/v1/technicians/{TECHNICIAN}");
        let response = call(&router, Method::GET, &uri, None).await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
