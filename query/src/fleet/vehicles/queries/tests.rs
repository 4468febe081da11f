use super::*;
use crate::fleet::test_events::{OWNER_A, db, id, invalid_field};
use crate::testing::TestDb;

fn vehicles(
    db: &TestDb,
    request: v1::ListVehiclesRequest,
) -> Result<v1::ListVehiclesReply, QueryError> {
    db.read(move |reader| list_vehicles(reader, &request))
}

fn vehicle(db: &TestDb, license_number: &str) -> Result<v1::Vehicle, QueryError> {
    let request = v1::GetVehicleRequest {
        license_number: license_number.to_owned(),
        ..Default::default()
    };
    db.read(move |reader| get_vehicle(reader, &request))
}

fn plates(reply: &v1::ListVehiclesReply) -> Vec<&str> {
    reply
        .vehicles
        .iter()
        .map(|v| v.license_number.as_str())
        .collect()
}

#[test]
fn vehicles_list_by_license_number_by_default_with_the_total() {
    let db = db();
    let all = vehicles(&db, v1::ListVehiclesRequest::default()).unwrap();
    assert_eq!(
        plates(&all),
        ["1-BB-22", "12-VAN-3", "34-VAN-5", "AB-123-C", "XY-9-Z"]
    );
    assert_eq!(all.page.unwrap().total, 5);
}

#[test]
fn vehicles_sort_by_brand_in_either_direction() {
    let db = db();
    let by_brand = |direction: v1::SortDirection| v1::ListVehiclesRequest {
        sort_by: v1::VehicleSortField::Brand.into(),
        direction: direction.into(),
        ..Default::default()
    };
    let asc = vehicles(&db, by_brand(v1::SortDirection::Ascending)).unwrap();
    assert_eq!(
        plates(&asc),
        ["XY-9-Z", "1-BB-22", "12-VAN-3", "34-VAN-5", "AB-123-C"]
    );
    let desc = vehicles(&db, by_brand(v1::SortDirection::Descending)).unwrap();
    assert_eq!(
        plates(&desc),
        ["AB-123-C", "34-VAN-5", "12-VAN-3", "1-BB-22", "XY-9-Z"]
    );
}

#[test]
fn vehicles_filter_by_owner_usage_and_status() {
    let db = db();
    let owned = vehicles(
        &db,
        v1::ListVehiclesRequest {
            owner_customer_id: id(OWNER_A).to_uppercase(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(plates(&owned), ["AB-123-C", "XY-9-Z"]);
    assert_eq!(owned.page.unwrap().total, 2);

    let fleet = vehicles(
        &db,
        v1::ListVehiclesRequest {
            usage: v1::VehicleUsage::Fleet.into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(plates(&fleet), ["12-VAN-3", "34-VAN-5"]);

    let out_of_service = vehicles(
        &db,
        v1::ListVehiclesRequest {
            usage: v1::VehicleUsage::Fleet.into(),
            status: v1::VehicleStatus::OutOfService.into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(plates(&out_of_service), ["34-VAN-5"]);
    assert_eq!(out_of_service.page.unwrap().total, 1);

    let available_cars = vehicles(
        &db,
        v1::ListVehiclesRequest {
            usage: v1::VehicleUsage::Customer.into(),
            status: v1::VehicleStatus::Available.into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(available_cars.vehicles.is_empty());
}

#[test]
fn vehicle_pages_carry_the_next_token_and_the_total() {
    let db = db();
    let page = |token: &str| v1::ListVehiclesRequest {
        page: Some(v1::PageRequest {
            page_size: 2,
            page_token: token.to_owned(),
        }),
        ..Default::default()
    };
    let first = vehicles(&db, page("")).unwrap();
    assert_eq!(plates(&first), ["1-BB-22", "12-VAN-3"]);
    let info = first.page.unwrap();
    assert_eq!((info.next_page_token.as_str(), info.total), ("2", 5));
    let last = vehicles(&db, page("4")).unwrap();
    assert_eq!(plates(&last), ["XY-9-Z"]);
    assert_eq!(last.page.unwrap().next_page_token, "");
}

#[test]
fn a_vehicle_is_read_by_license_number_in_any_case() {
    let db = db();
    assert_eq!(
        vehicle(&db, " ab-123-c ").unwrap(),
        v1::Vehicle {
            license_number: "AB-123-C".into(),
            brand: "Volvo".into(),
            model: "V70".into(),
            owner_customer_id: Some(id(OWNER_A)),
            usage: v1::VehicleUsage::Customer.into(),
            status: v1::VehicleStatus::Unspecified.into(),
            version: 1,
        }
    );
    assert_eq!(
        vehicle(&db, "34-van-5").unwrap(),
        v1::Vehicle {
            license_number: "34-VAN-5".into(),
            brand: "Mercedes".into(),
            model: "Sprinter".into(),
            owner_customer_id: None,
            usage: v1::VehicleUsage::Fleet.into(),
            status: v1::VehicleStatus::OutOfService.into(),
            version: 2,
        }
    );
}

#[test]
fn an_unknown_vehicle_is_not_found() {
    let db = db();
    assert!(matches!(
        vehicle(&db, "ZZ-999-Z"),
        Err(QueryError::NotFound(_))
    ));
}

#[test]
fn bad_vehicle_request_fields_are_invalid_naming_the_field() {
    let db = db();
    assert_eq!(invalid_field(vehicle(&db, "AB123C")), "license_number");
    let cases = [
        (
            v1::ListVehiclesRequest {
                owner_customer_id: "someone".into(),
                ..Default::default()
            },
            "owner_customer_id",
        ),
        (
            v1::ListVehiclesRequest {
                usage: 9,
                ..Default::default()
            },
            "usage",
        ),
        (
            v1::ListVehiclesRequest {
                status: 9,
                ..Default::default()
            },
            "status",
        ),
        (
            v1::ListVehiclesRequest {
                sort_by: 9,
                ..Default::default()
            },
            "sort_by",
        ),
        (
            v1::ListVehiclesRequest {
                direction: 9,
                ..Default::default()
            },
            "direction",
        ),
        (
            v1::ListVehiclesRequest {
                page: Some(v1::PageRequest {
                    page_size: 501,
                    page_token: String::new(),
                }),
                ..Default::default()
            },
            "page.page_size",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(invalid_field(vehicles(&db, request)), field);
    }
}
