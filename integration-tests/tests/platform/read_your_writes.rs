use std::time::Duration;

use contracts::v1::{
    ConsistencyToken, ErasePersonalDataRequest, GetCustomerRequest, ListDriversRequest,
    PageRequest, RegisterCustomerRequest, RegisterDriverRequest,
};
use tonic::Code;

use crate::helpers::{detail, new_id, spawn_platform, spawn_platform_with_timeout, token};

fn customer(id: &str) -> RegisterCustomerRequest {
    RegisterCustomerRequest {
        customer_id: id.into(),
        name: "Grace Hopper".into(),
        address: "1 Navy Yard".into(),
        postal_code: "20374".into(),
        city: "Washington".into(),
        telephone: "+1 202 555 0100".into(),
        email: "grace@example.com".into(),
        idempotency_key: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_with_the_command_token_sees_the_write() {
    let platform = spawn_platform().await;
    let id = new_id();
    let written = token(
        platform
            .customers()
            .register_customer(customer(&id))
            .await
            .unwrap(),
    );
    let read = platform
        .query()
        .get_customer(GetCustomerRequest {
            wait_for: vec![written],
            customer_id: id.clone(),
        })
        .await
        .expect("the read model reflects the write")
        .into_inner();
    assert_eq!(read.customer_id, id);
    assert_eq!(read.name, "Grace Hopper");
    assert_eq!(read.version, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_beyond_the_logs_head_is_invalid_at_once_not_a_timeout() {
    let platform = spawn_platform_with_timeout(Duration::from_secs(5)).await;
    let future = ConsistencyToken {
        stream_id: "customer-x".into(),
        version: 1,
        position: 1_000_000,
    };
    let started = std::time::Instant::now();
    let status = platform
        .query()
        .get_customer(GetCustomerRequest {
            wait_for: vec![future],
            customer_id: new_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(detail(&status).field, "wait_for[0].position");
    assert!(started.elapsed() < Duration::from_secs(2), "no 5 s wait");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_input_is_invalid_argument_naming_the_field() {
    let platform = spawn_platform().await;
    let status = platform
        .query()
        .get_customer(GetCustomerRequest {
            wait_for: vec![],
            customer_id: "not-a-uuid".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(detail(&status).field, "customer_id");

    let status = platform
        .query()
        .list_drivers(ListDriversRequest {
            page: Some(PageRequest {
                page_size: 10_000,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(detail(&status).field, "page.page_size");

    let status = platform
        .query()
        .get_customer(GetCustomerRequest {
            wait_for: vec![ConsistencyToken::default()],
            customer_id: new_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(detail(&status).field, "wait_for[0].stream_id");

    let status = platform
        .query()
        .get_customer(GetCustomerRequest {
            wait_for: vec![],
            customer_id: new_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paged_with_a_total() {
    let platform = spawn_platform().await;
    let mut last = None;
    for n in 0..5 {
        last = Some(token(
            platform
                .fleet()
                .register_driver(RegisterDriverRequest {
                    driver_id: new_id(),
                    name: format!("Driver {n}"),
                    driving_licence_number: format!("DL-{n}"),
                    idempotency_key: None,
                })
                .await
                .unwrap(),
        ));
    }
    let page = |token: String| ListDriversRequest {
        wait_for: last.clone().into_iter().collect(),
        page: Some(PageRequest {
            page_size: 2,
            page_token: token,
        }),
        ..Default::default()
    };
    let first = platform
        .query()
        .list_drivers(page(String::new()))
        .await
        .unwrap()
        .into_inner();
    let info = first.page.unwrap();
    assert_eq!(first.drivers.len(), 2);
    assert_eq!(info.total, 5);
    let second = platform
        .query()
        .list_drivers(page(info.next_page_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.drivers.len(), 2);
    assert_ne!(first.drivers[0].driver_id, second.drivers[0].driver_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_customer_reads_back_without_personal_data() {
    let platform = spawn_platform().await;
    let id = new_id();
    platform
        .customers()
        .register_customer(customer(&id))
        .await
        .unwrap();
    let erased = token(
        platform
            .customers()
            .erase_personal_data(ErasePersonalDataRequest {
                customer_id: id.clone(),
                idempotency_key: None,
            })
            .await
            .unwrap(),
    );
    let read = platform
        .query()
        .get_customer(GetCustomerRequest {
            wait_for: vec![erased],
            customer_id: id,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(read.erased);
    assert!(read.name.is_empty() && read.email.is_empty() && read.telephone.is_empty());
    assert!(read.address.is_empty() && read.city.is_empty());
}
