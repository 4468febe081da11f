//! The technician queries: `ListTechnicians` (search, status, skill, sort, paging) and
//! `GetTechnician`.

use contracts::v1;

use super::projection::TECHNICIANS;
use crate::api::{Page, QueryError, direction, parse_uuid};
use crate::store::{DbError, Filter, Reader, Row, Select};
use crate::workshop::vocabulary::{service_category, stored_word, technician_status};

/// Technicians whose name contains `search` (case-insensitive), with `status` and
/// holding `skill` when those are set, sorted by name with the id breaking ties so
/// pages are stable.
pub fn list_technicians(
    reader: &mut dyn Reader,
    request: &v1::ListTechniciansRequest,
) -> Result<v1::ListTechniciansReply, QueryError> {
    let page = Page::parse(request.page.as_ref())?;
    let sort_column = match v1::TechnicianSortField::try_from(request.sort_by) {
        Ok(v1::TechnicianSortField::Unspecified | v1::TechnicianSortField::Name) => "name",
        Err(_) => {
            return Err(QueryError::invalid(
                "sort_by",
                "is not a technician sort field",
            ));
        }
    };
    let order = direction(request.direction)?;

    let mut select = Select::from(&TECHNICIANS);
    if let Some(search) = crate::api::search_text(&request.search)? {
        select = select.filter(Filter::Contains("name", search));
    }
    match v1::TechnicianStatus::try_from(request.status) {
        Ok(v1::TechnicianStatus::Unspecified) => {}
        Ok(status) => {
            let word = stored_word(status.as_str_name(), "TECHNICIAN_STATUS_");
            select = select.filter(Filter::Eq("status", word.into()));
        }
        Err(_) => return Err(QueryError::invalid("status", "is not a technician status")),
    }
    match v1::ServiceCategory::try_from(request.skill) {
        Ok(v1::ServiceCategory::Unspecified) => {}
        // Exact: no category name contains another (see `technicians`).
        Ok(skill) => {
            let word = stored_word(skill.as_str_name(), "SERVICE_CATEGORY_");
            select = select.filter(Filter::Contains("skills", word));
        }
        Err(_) => return Err(QueryError::invalid("skill", "is not a service category")),
    }

    let select = select
        .order_by(sort_column, order)
        .order_by("technician_id", order);
    let (rows, page) = page.select(reader, select)?;
    Ok(v1::ListTechniciansReply {
        technicians: rows.iter().map(to_technician).collect::<Result<_, _>>()?,
        page: Some(page),
    })
}

/// One technician by id.
pub fn get_technician(
    reader: &mut dyn Reader,
    request: &v1::GetTechnicianRequest,
) -> Result<v1::Technician, QueryError> {
    let id = parse_uuid("technician_id", &request.technician_id)?;
    let row = reader
        .get(&TECHNICIANS, &[("technician_id", id.to_string().into())])?
        .ok_or_else(|| QueryError::NotFound(format!("technician {id} not found")))?;
    Ok(to_technician(&row)?)
}

/// A `technicians` row as the proto `Technician`, skills in catalogue order.
pub fn to_technician(row: &Row) -> Result<v1::Technician, DbError> {
    let mut skills: Vec<i32> = row
        .text("skills")?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| service_category(s).into())
        .collect();
    skills.sort_unstable();
    Ok(v1::Technician {
        technician_id: row.text("technician_id")?,
        name: row.text("name")?,
        skills,
        status: technician_status(&row.text("status")?).into(),
        version: row.uint("version")?,
    })
}

#[cfg(test)]
mod tests;
