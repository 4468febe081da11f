//! The driver queries: `ListDrivers` and `GetDriver`.
//!
//! The proto status is mapped to the domain string the projection stores through
//! [`DriverStatus`]; UNSPECIFIED means "no filter" and a value the proto does not
//! define is `Invalid` naming its field.

use contracts::v1;

use super::projection::{DRIVERS, DriverStatus};
use crate::api::{Page, QueryError, direction, parse_uuid};
use crate::fleet::support::shape;
use crate::store::{DbError, Filter, Reader, Row, Select};

/// Drivers whose name contains `search` (case-insensitively), optionally of one status,
/// sorted by name (driver id breaking ties), paged, with the total.
pub fn list_drivers(
    reader: &mut dyn Reader,
    request: &v1::ListDriversRequest,
) -> Result<v1::ListDriversReply, QueryError> {
    let page = Page::parse(request.page.as_ref())?;
    let sort_column = match v1::DriverSortField::try_from(request.sort_by) {
        Ok(v1::DriverSortField::Unspecified | v1::DriverSortField::Name) => "name",
        Err(_) => return Err(QueryError::invalid("sort_by", "is not a driver sort field")),
    };
    let order = direction(request.direction)?;
    let status = match v1::DriverStatus::try_from(request.status) {
        Ok(v1::DriverStatus::Unspecified) => None,
        Ok(v1::DriverStatus::Active) => Some(DriverStatus::Active),
        Ok(v1::DriverStatus::Suspended) => Some(DriverStatus::Suspended),
        Err(_) => return Err(QueryError::invalid("status", "is not a driver status")),
    };

    let mut select = Select::from(&DRIVERS);
    if let Some(search) = crate::api::search_text(&request.search)? {
        select = select.filter(Filter::Contains("name", search));
    }
    if let Some(status) = status {
        select = select.filter(Filter::Eq("status", status.as_str().into()));
    }
    let select = select
        .order_by(sort_column, order)
        .order_by("driver_id", order);
    let (rows, page) = page.select(reader, select)?;
    Ok(v1::ListDriversReply {
        drivers: rows.iter().map(to_driver).collect::<Result<_, _>>()?,
        page: Some(page),
    })
}

/// One driver by id.
pub fn get_driver(
    reader: &mut dyn Reader,
    request: &v1::GetDriverRequest,
) -> Result<v1::Driver, QueryError> {
    let id = parse_uuid("driver_id", &request.driver_id)?;
    let row = reader
        .get(&DRIVERS, &[("driver_id", id.to_string().into())])?
        .ok_or_else(|| QueryError::NotFound(format!("driver {id} not found")))?;
    Ok(to_driver(&row)?)
}

/// A `drivers` row as the proto `Driver`.
pub fn to_driver(row: &Row) -> Result<v1::Driver, DbError> {
    let status = row.text("status")?;
    let status = match DriverStatus::parse(&status) {
        Some(DriverStatus::Active) => v1::DriverStatus::Active,
        Some(DriverStatus::Suspended) => v1::DriverStatus::Suspended,
        None => return Err(shape("drivers", format!("unknown status `{status}`"))),
    };
    Ok(v1::Driver {
        driver_id: row.text("driver_id")?,
        name: row.text("name")?,
        driving_licence_number: row.text("driving_licence_number")?,
        status: status.into(),
        version: row.uint("version")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::test_events::{db, id, invalid_field};
    use crate::testing::TestDb;

    fn drivers(
        db: &TestDb,
        request: v1::ListDriversRequest,
    ) -> Result<v1::ListDriversReply, QueryError> {
        db.read(move |reader| list_drivers(reader, &request))
    }

    fn driver(db: &TestDb, driver_id: &str) -> Result<v1::Driver, QueryError> {
        let request = v1::GetDriverRequest {
            driver_id: driver_id.to_owned(),
            ..Default::default()
        };
        db.read(move |reader| get_driver(reader, &request))
    }

    fn names(reply: &v1::ListDriversReply) -> Vec<&str> {
        reply.drivers.iter().map(|d| d.name.as_str()).collect()
    }

    #[test]
    fn drivers_list_by_name_and_search_case_insensitively() {
        let db = db();
        let all = drivers(&db, v1::ListDriversRequest::default()).unwrap();
        assert_eq!(names(&all), ["Jo Driver", "Joe Rider", "Sam Wheeler"]);
        assert_eq!(all.page.unwrap().total, 3);

        let jo = drivers(
            &db,
            v1::ListDriversRequest {
                search: "JO".into(),
                direction: v1::SortDirection::Descending.into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(names(&jo), ["Joe Rider", "Jo Driver"]);
        assert_eq!(jo.page.unwrap().total, 2);
    }

    #[test]
    fn drivers_filter_by_status_and_page() {
        let db = db();
        let suspended = drivers(
            &db,
            v1::ListDriversRequest {
                status: v1::DriverStatus::Suspended.into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(names(&suspended), ["Sam Wheeler"]);

        let active_page = drivers(
            &db,
            v1::ListDriversRequest {
                status: v1::DriverStatus::Active.into(),
                page: Some(v1::PageRequest {
                    page_size: 1,
                    page_token: String::new(),
                }),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(names(&active_page), ["Jo Driver"]);
        let info = active_page.page.unwrap();
        assert_eq!((info.next_page_token.as_str(), info.total), ("1", 2));
    }

    #[test]
    fn a_driver_is_read_by_id() {
        let db = db();
        assert_eq!(
            driver(&db, &id(2)).unwrap(),
            v1::Driver {
                driver_id: id(2),
                name: "Sam Wheeler".into(),
                driving_licence_number: "DL-2".into(),
                status: v1::DriverStatus::Suspended.into(),
                version: 2,
            }
        );
    }

    #[test]
    fn an_unknown_driver_is_not_found() {
        let db = db();
        assert!(matches!(driver(&db, &id(99)), Err(QueryError::NotFound(_))));
    }

    #[test]
    fn bad_driver_request_fields_are_invalid_naming_the_field() {
        let db = db();
        assert_eq!(invalid_field(driver(&db, "jo")), "driver_id");
        let bad_status = v1::ListDriversRequest {
            status: 9,
            ..Default::default()
        };
        assert_eq!(invalid_field(drivers(&db, bad_status)), "status");
        let bad_sort = v1::ListDriversRequest {
            sort_by: 9,
            ..Default::default()
        };
        assert_eq!(invalid_field(drivers(&db, bad_sort)), "sort_by");
    }
}
