use serde_json::json;

use super::*;
use crate::projection::Projection;
use crate::testing::{EventFactory, TestDb};
use crate::workshop::technicians::TechniciansProjection;

const ADA: &str = "0190a5e4-7b1c-7c3e-9f00-000000000001";
const BEN: &str = "0190a5e4-7b1c-7c3e-9f00-000000000002";
const CY: &str = "0190a5e4-7b1c-7c3e-9f00-000000000003";

/// Ada (paint, repairs), Ben (maintenance, inactive), Cy (installation, paint).
fn db() -> TestDb {
    let db = TestDb::new(vec![Box::new(TechniciansProjection) as Box<dyn Projection>]);
    let mut f = EventFactory::new();
    let mut register = |id: &str, name: &str, skills: &[&str]| {
        f.event(
            "technician",
            id,
            "technician.registered.v1",
            json!({"technician_id": id, "name": name, "skills": skills}),
        )
    };
    let mut events = vec![
        register(ADA, "Ada Wrench", &["repairs", "paint"]),
        register(BEN, "Ben Bolt", &["maintenance"]),
        register(CY, "Cy Spanner", &["paint", "installation"]),
    ];
    events.push(f.event(
        "technician",
        BEN,
        "technician.deactivated.v1",
        json!({"technician_id": BEN}),
    ));
    assert!(db.apply(&events).iter().all(Result::is_ok));
    db
}

fn list(
    db: &TestDb,
    request: v1::ListTechniciansRequest,
) -> Result<v1::ListTechniciansReply, QueryError> {
    db.read(move |reader| list_technicians(reader, &request))
}

fn names(reply: &v1::ListTechniciansReply) -> Vec<&str> {
    reply.technicians.iter().map(|t| t.name.as_str()).collect()
}

#[test]
fn all_technicians_are_listed_by_name_with_the_total() {
    let reply = list(&db(), v1::ListTechniciansRequest::default()).unwrap();
    assert_eq!(names(&reply), ["Ada Wrench", "Ben Bolt", "Cy Spanner"]);
    assert_eq!(reply.page.unwrap().total, 3);
    let ada = &reply.technicians[0];
    assert_eq!(
        ada.skills,
        [
            v1::ServiceCategory::Repairs as i32,
            v1::ServiceCategory::Paint as i32
        ]
    );
    assert_eq!(ada.status, v1::TechnicianStatus::Active as i32);
    assert_eq!(ada.version, 1);
}

#[test]
fn search_status_and_skill_narrow_the_list() {
    let db = db();
    let search = v1::ListTechniciansRequest {
        search: "SPANNER".into(),
        ..Default::default()
    };
    assert_eq!(names(&list(&db, search).unwrap()), ["Cy Spanner"]);
    let inactive = v1::ListTechniciansRequest {
        status: v1::TechnicianStatus::Inactive as i32,
        ..Default::default()
    };
    assert_eq!(names(&list(&db, inactive).unwrap()), ["Ben Bolt"]);
    let painters = v1::ListTechniciansRequest {
        skill: v1::ServiceCategory::Paint as i32,
        status: v1::TechnicianStatus::Active as i32,
        ..Default::default()
    };
    let reply = list(&db, painters).unwrap();
    assert_eq!(names(&reply), ["Ada Wrench", "Cy Spanner"]);
    assert_eq!(reply.page.unwrap().total, 2);
}

#[test]
fn a_descending_page_carries_a_token_to_the_next() {
    let db = db();
    let first = v1::ListTechniciansRequest {
        page: Some(v1::PageRequest {
            page_size: 2,
            page_token: String::new(),
        }),
        direction: v1::SortDirection::Descending as i32,
        ..Default::default()
    };
    let reply = list(&db, first).unwrap();
    assert_eq!(names(&reply), ["Cy Spanner", "Ben Bolt"]);
    let page = reply.page.unwrap();
    assert_eq!((page.total, page.next_page_token.as_str()), (3, "2"));
    let second = v1::ListTechniciansRequest {
        page: Some(v1::PageRequest {
            page_size: 2,
            page_token: page.next_page_token,
        }),
        direction: v1::SortDirection::Descending as i32,
        ..Default::default()
    };
    let reply = list(&db, second).unwrap();
    assert_eq!(names(&reply), ["Ada Wrench"]);
    assert_eq!(reply.page.unwrap().next_page_token, "");
}

#[test]
fn undefined_enum_values_are_invalid_naming_their_field() {
    let db = db();
    let cases = [
        (
            "status",
            v1::ListTechniciansRequest {
                status: 9,
                ..Default::default()
            },
        ),
        (
            "skill",
            v1::ListTechniciansRequest {
                skill: 9,
                ..Default::default()
            },
        ),
        (
            "sort_by",
            v1::ListTechniciansRequest {
                sort_by: 9,
                ..Default::default()
            },
        ),
        (
            "direction",
            v1::ListTechniciansRequest {
                direction: 9,
                ..Default::default()
            },
        ),
    ];
    for (field, request) in cases {
        assert!(
            matches!(list(&db, request), Err(QueryError::Invalid { field: f, .. }) if f == field),
            "{field}"
        );
    }
}

#[test]
fn a_technician_is_read_by_id() {
    let db = db();
    let request = v1::GetTechnicianRequest {
        technician_id: BEN.to_uppercase(),
        ..Default::default()
    };
    let ben = db
        .read(move |reader| get_technician(reader, &request))
        .unwrap();
    assert_eq!(ben.technician_id, BEN);
    assert_eq!(ben.status, v1::TechnicianStatus::Inactive as i32);
    assert_eq!(ben.skills, [v1::ServiceCategory::Maintenance as i32]);
    assert_eq!(ben.version, 2);
}

#[test]
fn an_unknown_technician_is_not_found_and_a_bad_id_is_invalid() {
    let db = db();
    let unknown = v1::GetTechnicianRequest {
        technician_id: "0190a5e4-7b1c-7c3e-9f00-0000000000ff".into(),
        ..Default::default()
    };
    assert!(matches!(
        db.read(move |reader| get_technician(reader, &unknown)),
        Err(QueryError::NotFound(_))
    ));
    let bad = v1::GetTechnicianRequest {
        technician_id: "ada".into(),
        ..Default::default()
    };
    assert!(matches!(
        db.read(move |reader| get_technician(reader, &bad)),
        Err(QueryError::Invalid { field, .. }) if field == "technician_id"
    ));
}

#[test]
fn a_search_with_a_control_character_is_invalid_naming_search_not_a_match_of_everyone() {
    let db = db();
    for search in ["\0", "Ada\u{7}"] {
        let refused = list(
            &db,
            v1::ListTechniciansRequest {
                search: search.into(),
                ..Default::default()
            },
        );
        assert!(
            matches!(&refused, Err(QueryError::Invalid { field, .. }) if field == "search"),
            "{search:?}: {refused:?}"
        );
    }
}
