use contracts::v1::*;

use crate::helpers::{Platform, new_id, spawn_platform, timestamp, token};

async fn register_customer_with_car(platform: &Platform, plate: &str) -> String {
    let customer_id = new_id();
    platform
        .customers()
        .register_customer(RegisterCustomerRequest {
            customer_id: customer_id.clone(),
            name: "Ada Lovelace".into(),
            address: String::new(),
            postal_code: String::new(),
            city: "London".into(),
            telephone: "+44 20 7946 0000".into(),
            email: "ada@example.com".into(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    platform
        .fleet()
        .register_vehicle(RegisterVehicleRequest {
            license_number: plate.into(),
            brand: "Polestar".into(),
            model: "2".into(),
            owner_customer_id: Some(customer_id.clone()),
            usage: VehicleUsage::Customer as i32,
            idempotency_key: None,
        })
        .await
        .unwrap();
    customer_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workshop_day_lists_its_jobs_with_vehicle_and_customer_details() {
    let platform = spawn_platform().await;
    let customer_id = register_customer_with_car(&platform, "ab-123-c").await;
    let planned = token(
        platform
            .workshop()
            .plan_maintenance_job(PlanMaintenanceJobRequest {
                planning_date: "2026-12-01".into(),
                job_id: new_id(),
                slot: Some(Timeslot {
                    start: Some(timestamp("2026-12-01T08:00:00Z")),
                    end: Some(timestamp("2026-12-01T10:00:00Z")),
                }),
                vehicle_license_number: "AB-123-C".into(),
                customer_id: customer_id.clone(),
                service: MaintenanceService::BrakeSystem as i32,
                description: "squeaky brakes".into(),
                technician: None,
                idempotency_key: None,
            })
            .await
            .unwrap(),
    );
    let day = platform
        .query()
        .get_workshop_planning(GetWorkshopPlanningRequest {
            wait_for: vec![planned],
            date: "2026-12-01".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(day.jobs.len(), 1);
    let job = &day.jobs[0];
    assert_eq!(job.status, JobStatus::Planned as i32);
    assert_eq!(job.category, ServiceCategory::Maintenance as i32);
    assert_eq!(
        job.vehicle.as_ref().map(|v| v.brand.as_str()),
        Some("Polestar")
    );
    assert_eq!(
        job.customer.as_ref().map(|c| c.name.as_str()),
        Some("Ada Lovelace")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_in_transit_is_tracked_live_and_books_its_driver() {
    let platform = spawn_platform().await;
    let driver_id = new_id();
    platform
        .fleet()
        .register_driver(RegisterDriverRequest {
            driver_id: driver_id.clone(),
            name: "Lewis".into(),
            driving_licence_number: "DL-44".into(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    let route_id = new_id();
    let mut deliveries = platform.deliveries();
    deliveries
        .create_route(CreateRouteRequest {
            route_id: route_id.clone(),
            origin: "Depot".into(),
            destination: "Centre".into(),
            scheduled_start: Some(timestamp("2026-12-01T08:00:00Z")),
            idempotency_key: None,
        })
        .await
        .unwrap();
    deliveries
        .add_checkpoint(AddCheckpointRequest {
            route_id: route_id.clone(),
            sequence: 1,
            location: "Harbour".into(),
            expected_at: Some(timestamp("2026-12-01T09:00:00Z")),
            idempotency_key: None,
        })
        .await
        .unwrap();
    deliveries
        .activate_route(ActivateRouteRequest {
            route_id: route_id.clone(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    let delivery_id = new_id();
    deliveries
        .create_delivery(CreateDeliveryRequest {
            delivery_id: delivery_id.clone(),
            route_id,
            idempotency_key: None,
        })
        .await
        .unwrap();
    deliveries
        .assign_driver(AssignDriverRequest {
            delivery_id: delivery_id.clone(),
            driver_id: driver_id.clone(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    deliveries
        .assign_vehicle(AssignVehicleRequest {
            delivery_id: delivery_id.clone(),
            vehicle_license_number: "VN-1-X".into(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    let started = token(
        deliveries
            .start_transit(StartTransitRequest {
                delivery_id: delivery_id.clone(),
                idempotency_key: None,
            })
            .await
            .unwrap(),
    );
    let live = platform
        .query()
        .list_live_tracking(ListLiveTrackingRequest {
            wait_for: vec![started.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let tracked = live
        .deliveries
        .iter()
        .find(|d| d.delivery_id == delivery_id)
        .expect("tracked");
    assert_eq!(tracked.driver_name, "Lewis");
    assert_eq!(tracked.vehicle_license_number, "VN-1-X");
    assert_eq!(tracked.status, DeliveryStatus::InTransit as i32);

    let schedule = platform
        .query()
        .get_resource_schedule(GetResourceScheduleRequest {
            wait_for: vec![started],
            kind: ResourceKind::Driver as i32,
            resource_id: driver_id,
            from: None,
            to: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(schedule.slots.len(), 1);
    assert_eq!(schedule.slots[0].holder_id, delivery_id);
    assert_eq!(
        schedule.slots[0].holder_kind,
        SlotHolderKind::Delivery as i32
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projection_status_lists_every_read_model_at_the_head() {
    let platform = spawn_platform().await;
    register_customer_with_car(&platform, "CD-456-E").await;
    platform.settle().await;
    let head = *platform.store.head().borrow();
    let projectors = platform.projectors().await;
    let names: Vec<&str> = projectors.iter().map(|p| p.name.as_str()).collect();
    for expected in [
        "customers",
        "vehicles",
        "drivers",
        "deliveries",
        "resource_schedules",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    for projector in &projectors {
        assert_eq!(projector.position, head, "{}", projector.name);
        assert_eq!(projector.lag, 0);
        assert_eq!(projector.dead_letter_count, 0);
    }
}
