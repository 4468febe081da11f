//! The vehicle rule over REST (ADR 015: vehicles are the planner's, the fleet the
//! dispatcher's): a dispatcher registers and changes fleet vans, and gets 403 on a
//! customer's car, before any customer is looked up, whichever way it asks.

use identity::Role;
use serde_json::json;

use crate::helpers::{customer_with_car, spawn_platform, token_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_registers_and_changes_fleet_vans_and_gets_403_on_a_customer_s_car() {
    let app = spawn_platform().await;
    let planner = app.with_token(token_for(&app.platform, "kate", &[Role::Planner]));
    let dispatcher = app.with_token(token_for(&app.platform, "dan", &[Role::Dispatcher]));
    let (owner, car) = customer_with_car(&planner, "AB-123-C").await;
    dispatcher
        .post(
            "/api/v1/vehicles",
            json!({"license_number": "VAN-1-A", "brand": "Mercedes", "model": "eSprinter",
                   "usage": "fleet"}),
        )
        .await
        .expect(201);
    dispatcher
        .put(
            "/api/v1/vehicles/VAN-1-A/status",
            json!({"status": "out_of_service"}),
        )
        .await
        .expect(200);
    let events = app.platform.store.read_all(0, 1_000).await.unwrap().len();

    // A registration naming a customer, known or not: the same 403, so the answer
    // says nothing of who is a customer.
    let nobody = uuid::Uuid::now_v7().to_string();
    for owner in [&owner, &nobody] {
        let refused = dispatcher
            .post(
                "/api/v1/vehicles",
                json!({"license_number": "CD-456-E", "brand": "Tesla", "model": "Model Y",
                       "owner_customer_id": owner, "usage": "customer"}),
            )
            .await
            .expect(403);
        assert_eq!(
            refused.body["reason"], "customer_vehicle",
            "{:#}",
            refused.body
        );
    }
    // A change to a customer's car, without an owner (refused by the command service,
    // answered alike) or naming one (refused by the BFF first).
    for owner in [serde_json::Value::Null, json!(owner)] {
        let refused = dispatcher
            .put(
                &format!("/api/v1/vehicles/{car}"),
                json!({"brand": "Tesla", "model": "Model S", "owner_customer_id": owner}),
            )
            .await
            .expect(403);
        assert_eq!(
            refused.body["reason"], "customer_vehicle",
            "{:#}",
            refused.body
        );
    }
    let after = app.platform.store.read_all(0, 1_000).await.unwrap().len();
    assert_eq!(after, events, "a refusal appends nothing");

    planner
        .put(
            &format!("/api/v1/vehicles/{car}"),
            json!({"brand": "Tesla", "model": "Model S", "owner_customer_id": owner}),
        )
        .await
        .expect(200);
}
