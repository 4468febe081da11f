//! What each role reads from the query service (DESIGN §9), over real gRPC: nothing
//! without a token, no customer for roles that do not open personal data, and a driver
//! only the deliveries assigned to it.

use contracts::v1::query_client::QueryClient;
use contracts::v1::*;
use identity::Role;
use tonic::Code;

use crate::helpers::{new_id, spawn_platform};
use crate::list_deliveries::{active_route, assign_driver, delivery, register_driver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_service_answers_no_call_without_credentials() {
    let platform = spawn_platform().await;
    let refused = QueryClient::new(platform.raw_queries.clone())
        .list_customers(ListCustomersRequest::default())
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), Code::Unauthenticated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planner_reads_a_customer_opened_and_a_dispatcher_or_a_driver_reads_none() {
    let platform = spawn_platform().await;
    let id = new_id();
    let reply = platform
        .customers()
        .register_customer(RegisterCustomerRequest {
            customer_id: id.clone(),
            name: "Ada Lovelace".into(),
            address: "12 St James's Square".into(),
            postal_code: "SW1Y 4JH".into(),
            city: "London".into(),
            telephone: "+44 20 7946 0000".into(),
            email: "ada@example.com".into(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    let wait_for = vec![crate::helpers::token(reply)];
    let read = |role, driver_id: Option<String>| {
        let request = GetCustomerRequest {
            wait_for: wait_for.clone(),
            customer_id: id.clone(),
        };
        let mut client = platform.query_as("someone", role, driver_id.as_deref());
        async move { client.get_customer(request).await }
    };
    let planner = read(Role::Planner, None).await.unwrap().into_inner();
    assert_eq!(planner.name, "Ada Lovelace");
    assert_eq!(planner.email, "ada@example.com");
    for (role, driver_id) in [(Role::Dispatcher, None), (Role::Driver, Some(new_id()))] {
        let refused = read(role, driver_id).await.expect_err("refused");
        assert_eq!(refused.code(), Code::PermissionDenied, "{role}");
        assert!(!refused.message().contains("Ada"), "{refused:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_reads_its_own_deliveries_and_is_denied_another_drivers() {
    let platform = spawn_platform().await;
    let route = active_route(&platform, "2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z").await;
    let grace = register_driver(&platform, "Grace Hopper").await;
    let linus = register_driver(&platform, "Linus Torvalds").await;
    let (hers, _) = delivery(&platform, &route).await;
    let (his, _) = delivery(&platform, &route).await;
    assign_driver(&platform, &hers, &grace).await;
    let last = assign_driver(&platform, &his, &linus).await;

    let mut as_grace = platform.query_as("grace", Role::Driver, Some(&grace));
    let own = as_grace
        .get_delivery(GetDeliveryRequest {
            wait_for: vec![last.clone()],
            delivery_id: hers.clone(),
        })
        .await
        .expect("her own delivery");
    assert_eq!(own.into_inner().delivery_id, hers);
    let refused = as_grace
        .get_delivery(GetDeliveryRequest {
            wait_for: Vec::new(),
            delivery_id: his.clone(),
        })
        .await
        .expect_err("his delivery");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let timeline = as_grace
        .get_delivery_timeline(GetDeliveryTimelineRequest {
            wait_for: Vec::new(),
            delivery_id: his,
        })
        .await
        .expect_err("his timeline");
    assert_eq!(timeline.code(), Code::PermissionDenied);
    // Whatever filter she asks for, her list is hers.
    let listed = as_grace
        .list_deliveries(ListDeliveriesRequest {
            driver_id: linus.clone(),
            ..ListDeliveriesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = listed
        .deliveries
        .iter()
        .map(|d| d.delivery_id.as_str())
        .collect();
    assert_eq!(ids, [hers.as_str()]);
}
