//! The workshop flow through REST: customers with cars, a technician, a day planned up
//! to the workshop's three workstations, the refused fourth job, finishing a job.

use serde_json::{Value, json};

use crate::helpers::{TestPlatform, customer_with_car, spawn_platform};

const DAY: &str = "2026-12-02";

fn job(customer: &str, car: &str, from: u32, to: u32) -> Value {
    json!({"slot": {"start": format!("{DAY}T{from:02}:00:00Z"), "end": format!("{DAY}T{to:02}:00:00Z")},
           "vehicle_license_number": car, "customer_id": customer,
           "service": "brake_system", "description": "squeaky brakes"})
}

async fn technician(app: &TestPlatform) -> String {
    let technician = app
        .post(
            "/api/v1/technicians",
            json!({"name": "Katherine Johnson", "skills": ["maintenance", "repairs"]}),
        )
        .await
        .expect(201);
    technician.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_is_planned_up_to_three_workstations_the_fourth_job_is_refused_and_a_job_is_finished()
{
    let app = spawn_platform().await;
    let mut cars = Vec::new();
    for n in 1..=4 {
        cars.push(customer_with_car(&app, &format!("WS-{n}-A")).await);
    }
    let technician = technician(&app).await;

    let mut first = job(&cars[0].0, &cars[0].1, 9, 11);
    first["technician_id"] = json!(technician);
    let first = app
        .post(&format!("/api/v1/workshop/plannings/{DAY}/jobs"), first)
        .await
        .expect(201);
    let first_id = first.body["id"].as_str().unwrap().to_owned();
    for (customer, car) in &cars[1..3] {
        app.post(
            &format!("/api/v1/workshop/plannings/{DAY}/jobs"),
            job(customer, car, 10, 12),
        )
        .await
        .expect(201);
    }
    let fourth = app
        .post(
            &format!("/api/v1/workshop/plannings/{DAY}/jobs"),
            job(&cars[3].0, &cars[3].1, 10, 11),
        )
        .await
        .expect(409);
    assert_eq!(fourth.problem_type(), "/problems/rule-violation");
    assert_eq!(fourth.body["reason"], "too_many_overlapping_jobs");

    let day = app
        .get(&format!("/api/v1/views/workshop/{DAY}"))
        .await
        .expect(200);
    assert_eq!(day.body["jobs"].as_array().unwrap().len(), 3);
    let full = day.body["capacity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|segment| segment["start"] == format!("{DAY}T10:00:00Z"))
        .expect("a segment from 10:00");
    assert_eq!(full["free_workstations"], 0);
    assert_eq!(
        day.body["technicians"][0]["technician_id"],
        technician.as_str()
    );
    assert_eq!(day.body["partial"], false);

    let finished = app
        .post(
            &format!("/api/v1/workshop/plannings/{DAY}/jobs/{first_id}/finish"),
            json!({"actual_start": format!("{DAY}T09:05:00Z"), "actual_end": format!("{DAY}T10:40:00Z"),
                   "notes": "pads replaced"}),
        )
        .await
        .expect(200);
    let planning = app
        .get_after(
            &format!("/api/v1/workshop/plannings/{DAY}"),
            &finished.token(),
        )
        .await
        .expect(200);
    let first_job = planning.body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["job_id"] == first_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(first_job["status"], "finished");
    assert_eq!(first_job["notes"], "pads replaced");
    assert_eq!(first_job["technician_name"], "Katherine Johnson");
    assert_eq!(first_job["customer"]["name"], "Ada Lovelace");

    // The fourth fits once a workstation is free again.
    app.post(
        &format!("/api/v1/workshop/plannings/{DAY}/jobs"),
        job(&cars[3].0, &cars[3].1, 12, 13),
    )
    .await
    .expect(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_technician_on_an_overlapping_job_is_refused_with_409_naming_that_job() {
    let app = spawn_platform().await;
    let (customer_a, car_a) = customer_with_car(&app, "TB-1-A").await;
    let (customer_b, car_b) = customer_with_car(&app, "TB-2-A").await;
    let technician = technician(&app).await;
    let mut first = job(&customer_a, &car_a, 9, 11);
    first["technician_id"] = json!(technician);
    let first = app
        .post(&format!("/api/v1/workshop/plannings/{DAY}/jobs"), first)
        .await
        .expect(201);
    let second = app
        .post(
            &format!("/api/v1/workshop/plannings/{DAY}/jobs"),
            job(&customer_b, &car_b, 10, 12),
        )
        .await
        .expect(201);
    let second_id = second.body["id"].as_str().unwrap();
    let refused = app
        .put(
            &format!("/api/v1/workshop/plannings/{DAY}/jobs/{second_id}/technician"),
            json!({"technician_id": technician}),
        )
        .await
        .expect(409);
    assert_eq!(refused.problem_type(), "/problems/schedule-conflict");
    assert_eq!(refused.body["conflicting_id"], first.body["id"]);
    assert_eq!(
        refused.body["conflicting_slot"]["end"],
        format!("{DAY}T11:00:00Z")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planning_a_job_for_an_unknown_vehicle_is_a_404_naming_the_vehicle() {
    let app = spawn_platform().await;
    let (customer, _) = customer_with_car(&app, "UV-1-A").await;
    let refused = app
        .post(
            &format!("/api/v1/workshop/plannings/{DAY}/jobs"),
            job(&customer, "NO-999-X", 9, 10),
        )
        .await
        .expect(404);
    assert_eq!(refused.body["field"], "vehicle_license_number");
}
