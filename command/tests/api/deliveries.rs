use contracts::v1::{
    ActivateRouteRequest, AddCheckpointRequest, AssignDriverRequest, AssignVehicleRequest,
    CaptureProofOfDeliveryRequest, CreateDeliveryRequest, CreateRouteRequest,
    MarkOutForDeliveryRequest, ReachCheckpointRequest, StartTransitRequest, VehicleUsage,
};
use tonic::Code;

use crate::helpers::{TestApp, detail, new_id, spawn_app, timestamp, vehicle};

pub(crate) async fn route(app: &TestApp, activate: bool) -> String {
    let route_id = new_id();
    let mut client = app.deliveries();
    client
        .create_route(CreateRouteRequest {
            route_id: route_id.clone(),
            origin: "Depot North".into(),
            destination: "City Centre".into(),
            scheduled_start: Some(timestamp("2026-12-01T08:00:00Z")),
            idempotency_key: None,
        })
        .await
        .expect("route created");
    for (sequence, location, at) in [
        (1, "Harbour", "2026-12-01T09:00:00Z"),
        (2, "Market", "2026-12-01T10:00:00Z"),
    ] {
        client
            .add_checkpoint(AddCheckpointRequest {
                route_id: route_id.clone(),
                sequence,
                location: location.into(),
                expected_at: Some(timestamp(at)),
                idempotency_key: None,
            })
            .await
            .expect("checkpoint added");
    }
    if activate {
        client
            .activate_route(ActivateRouteRequest {
                route_id: route_id.clone(),
                idempotency_key: None,
            })
            .await
            .expect("activated");
    }
    route_id
}

pub(crate) fn create(delivery_id: &str, route_id: &str) -> CreateDeliveryRequest {
    CreateDeliveryRequest {
        delivery_id: delivery_id.into(),
        route_id: route_id.into(),
        idempotency_key: None,
    }
}

/// A new delivery on route `route_id`; its id.
pub(crate) async fn delivery_on(app: &TestApp, route_id: &str) -> String {
    let id = new_id();
    app.deliveries()
        .create_delivery(create(&id, route_id))
        .await
        .expect("created");
    id
}

#[tokio::test]
async fn a_delivery_runs_its_whole_route_to_delivered_over_grpc() {
    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let id = delivery_on(&app, &route_id).await;
    let mut client = app.deliveries();
    client
        .assign_driver(AssignDriverRequest {
            delivery_id: id.clone(),
            driver_id: new_id(),
            idempotency_key: None,
        })
        .await
        .expect("driver");
    client
        .assign_vehicle(AssignVehicleRequest {
            delivery_id: id.clone(),
            vehicle_license_number: "vn-12-x".into(),
            idempotency_key: None,
        })
        .await
        .expect("vehicle");
    client
        .start_transit(StartTransitRequest {
            delivery_id: id.clone(),
            idempotency_key: None,
        })
        .await
        .expect("in transit");
    for (sequence, location) in [(1, "Harbour"), (2, "Market")] {
        client
            .reach_checkpoint(ReachCheckpointRequest {
                delivery_id: id.clone(),
                sequence,
                location: location.into(),
                idempotency_key: None,
            })
            .await
            .expect("checkpoint reached");
    }
    client
        .mark_out_for_delivery(MarkOutForDeliveryRequest {
            delivery_id: id.clone(),
            idempotency_key: None,
        })
        .await
        .expect("out for delivery");
    let reply = client
        .capture_proof_of_delivery(CaptureProofOfDeliveryRequest {
            delivery_id: id.clone(),
            receiver_name: "Grace Hopper".into(),
            signature_reference: "sig://abc".into(),
            idempotency_key: None,
        })
        .await
        .expect("delivered")
        .into_inner();
    let token = reply.token.unwrap();
    assert_eq!(token.stream_id, format!("delivery-{id}"));
    let events: Vec<_> = app
        .all_events()
        .await
        .into_iter()
        .filter(|e| e.stream_id == token.stream_id)
        .collect();
    assert_eq!(events.last().unwrap().version, token.version);
    let last_status = events
        .iter()
        .rev()
        .find(|e| e.event_type == "delivery.status_changed.v1")
        .expect("status changes recorded");
    assert_eq!(last_status.payload["to"], "delivered");
}

#[tokio::test]
async fn a_delivery_needs_an_active_route_and_an_unknown_route_is_not_found() {
    let app = spawn_app().await;
    let planning = route(&app, false).await;
    let before = app.all_events().await.len();
    let status = app
        .deliveries()
        .create_delivery(create(&new_id(), &planning))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(detail(&status).reason, "route_not_active");

    let status = app
        .deliveries()
        .create_delivery(create(&new_id(), &new_id()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(app.all_events().await.len(), before);
}

#[tokio::test]
async fn an_over_long_receiver_name_names_the_field() {
    let app = spawn_app().await;
    let status = app
        .deliveries()
        .capture_proof_of_delivery(CaptureProofOfDeliveryRequest {
            delivery_id: new_id(),
            receiver_name: "x".repeat(201),
            signature_reference: "sig".into(),
            idempotency_key: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(detail(&status).field, "receiver_name");
}

#[tokio::test]
async fn starting_transit_without_a_driver_is_refused() {
    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let id = delivery_on(&app, &route_id).await;
    let status = app
        .deliveries()
        .start_transit(StartTransitRequest {
            delivery_id: id,
            idempotency_key: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn a_delivery_is_driven_in_a_fleet_van_never_in_a_customers_car() {
    let app = spawn_app().await;
    let owner = app.registered_customer().await;
    let mut fleet = app.fleet();
    fleet
        .register_vehicle(vehicle("AB-123-C", VehicleUsage::Customer, Some(&owner)))
        .await
        .expect("her car");
    fleet
        .register_vehicle(vehicle("VAN-1-A", VehicleUsage::Fleet, None))
        .await
        .expect("a van");
    let route_id = route(&app, true).await;
    let id = delivery_on(&app, &route_id).await;
    let assign = |license: &str| AssignVehicleRequest {
        delivery_id: id.clone(),
        vehicle_license_number: license.into(),
        idempotency_key: None,
    };
    let before = app.all_events().await.len();
    let refused = app
        .deliveries()
        .assign_vehicle(assign("ab-123-c"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(detail(&refused).reason, "not_a_fleet_vehicle");
    assert_eq!(app.all_events().await.len(), before, "nothing appended");
    app.deliveries()
        .assign_vehicle(assign("VAN-1-A"))
        .await
        .expect("the van is assigned");
}
