use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::customers::projection::CustomersProjection;
use crate::testing::{EventFactory, TestDb};

fn id(n: u128) -> String {
    Uuid::from_u128(n).to_string()
}

/// Ada and Charles in London, Grace in Arlington, and a fourth customer, erased.
fn db() -> TestDb {
    let db = TestDb::new(vec![Box::new(CustomersProjection)]);
    let mut events = EventFactory::new();
    let mut batch = Vec::new();
    for (n, name, city, email) in [
        (1, "Ada Lovelace", Some("London"), "ada@example.com"),
        (2, "Charles Babbage", Some("London"), "charles@example.com"),
        (3, "Grace Hopper", Some("Arlington"), "grace@navy.mil"),
        (4, "Erased Person", None, "erased@example.com"),
    ] {
        batch.push(events.event(
            "customer",
            &id(n),
            "customer.registered.v1",
            json!({ "customer_id": id(n), "personal_data": {
                "name": name, "address": null, "postal_code": null, "city": city,
                "telephone": "+44 20 7946 0000", "email": email
            }}),
        ));
    }
    batch.push(events.event(
        "customer",
        &id(4),
        "customer.personal_data_erased.v1",
        json!({ "customer_id": id(4) }),
    ));
    assert!(db.apply(&batch).iter().all(Result::is_ok));
    db
}

fn list(
    db: &TestDb,
    request: v1::ListCustomersRequest,
) -> Result<v1::ListCustomersReply, QueryError> {
    db.read(move |reader| list_customers(reader, &request))
}

fn get(db: &TestDb, customer_id: &str) -> Result<v1::Customer, QueryError> {
    let request = v1::GetCustomerRequest {
        customer_id: customer_id.to_owned(),
        ..Default::default()
    };
    db.read(move |reader| get_customer(reader, &request))
}

fn search(text: &str) -> v1::ListCustomersRequest {
    v1::ListCustomersRequest {
        search: text.to_owned(),
        ..Default::default()
    }
}

fn names(reply: &v1::ListCustomersReply) -> Vec<&str> {
    reply.customers.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn the_search_matches_name_email_or_city_case_insensitively() {
    let db = db();
    let london = list(&db, search("LONDON")).unwrap();
    assert_eq!(names(&london), ["Ada Lovelace", "Charles Babbage"]);
    assert_eq!(london.page.unwrap().total, 2);
    assert_eq!(
        names(&list(&db, search("navy.MIL")).unwrap()),
        ["Grace Hopper"]
    );
    assert_eq!(
        names(&list(&db, search(" lovelace ")).unwrap()),
        ["Ada Lovelace"]
    );
    assert_eq!(list(&db, search("nobody")).unwrap().page.unwrap().total, 0);
}

#[test]
fn a_search_with_a_control_character_is_refused_naming_it_not_a_match_for_everyone() {
    let db = db();
    for text in ["\0", "Ada\u{0}", "\u{7}"] {
        let refused = list(&db, search(text)).unwrap_err();
        assert!(
            matches!(&refused, QueryError::Invalid { field, .. } if field == "search"),
            "{text:?}: {refused:?}"
        );
    }
}

#[test]
fn customers_sort_by_name_by_default_and_by_city_on_request() {
    let db = db();
    let all = list(&db, v1::ListCustomersRequest::default()).unwrap();
    // The erased customer's NULL name sorts first.
    assert_eq!(
        names(&all),
        ["", "Ada Lovelace", "Charles Babbage", "Grace Hopper"]
    );

    let by_city = list(
        &db,
        v1::ListCustomersRequest {
            search: "a".into(),
            sort_by: v1::CustomerSortField::City.into(),
            direction: v1::SortDirection::Descending.into(),
            ..Default::default()
        },
    )
    .unwrap();
    let cities: Vec<&str> = by_city.customers.iter().map(|c| c.city.as_str()).collect();
    assert_eq!(cities, ["London", "London", "Arlington"]);
}

#[test]
fn pages_carry_the_next_token_and_the_total() {
    let db = db();
    let page = |token: &str| v1::ListCustomersRequest {
        page: Some(v1::PageRequest {
            page_size: 3,
            page_token: token.to_owned(),
        }),
        ..Default::default()
    };
    let first = list(&db, page("")).unwrap();
    assert_eq!(first.customers.len(), 3);
    assert_eq!(first.page.as_ref().unwrap().total, 4);
    let token = first.page.unwrap().next_page_token;
    assert_eq!(token, "3");
    let second = list(&db, page(&token)).unwrap();
    assert_eq!(names(&second), ["Grace Hopper"]);
    assert_eq!(second.page.unwrap().next_page_token, "");
}

#[test]
fn an_erased_customer_shows_empty_personal_fields_and_never_matches_a_search() {
    let db = db();
    let erased = get(&db, &id(4)).unwrap();
    assert_eq!(
        erased,
        v1::Customer {
            customer_id: id(4),
            erased: true,
            version: 2,
            ..Default::default()
        }
    );
    assert_eq!(list(&db, search("erased")).unwrap().page.unwrap().total, 0);
}

#[test]
fn a_customer_is_read_by_id_in_any_case() {
    let db = db();
    let ada = get(&db, &id(1).to_uppercase()).unwrap();
    assert_eq!(
        ada,
        v1::Customer {
            customer_id: id(1),
            name: "Ada Lovelace".into(),
            address: String::new(),
            postal_code: String::new(),
            city: "London".into(),
            telephone: "+44 20 7946 0000".into(),
            email: "ada@example.com".into(),
            erased: false,
            version: 1,
        }
    );
}

#[test]
fn an_unknown_customer_is_not_found() {
    let db = db();
    assert!(matches!(get(&db, &id(99)), Err(QueryError::NotFound(_))));
}

#[test]
fn bad_request_fields_are_invalid_naming_the_field() {
    let db = db();
    let field = |result: Result<_, QueryError>| match result {
        Err(QueryError::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    };
    assert_eq!(field(get(&db, "ada").map(|_| ())), "customer_id");
    let bad_sort = v1::ListCustomersRequest {
        sort_by: 42,
        ..Default::default()
    };
    assert_eq!(field(list(&db, bad_sort).map(|_| ())), "sort_by");
    let bad_direction = v1::ListCustomersRequest {
        direction: 42,
        ..Default::default()
    };
    assert_eq!(field(list(&db, bad_direction).map(|_| ())), "direction");
    let bad_page = v1::ListCustomersRequest {
        page: Some(v1::PageRequest {
            page_size: 10,
            page_token: "x".into(),
        }),
        ..Default::default()
    };
    assert_eq!(field(list(&db, bad_page).map(|_| ())), "page.page_token");
}
