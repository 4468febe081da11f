//! Identity at the command service (DESIGN §9): every call proves who it is with a
//! bearer token; the actor recorded is the token's subject; roles, the driver rule,
//! idempotency keys per subject, and TLS.

use contracts::v1::audit_client::AuditClient;
use contracts::v1::customer_commands_client::CustomerCommandsClient;
use contracts::v1::delivery_commands_client::DeliveryCommandsClient;
use contracts::v1::event_stream_client::EventStreamClient;
use contracts::v1::fleet_commands_client::FleetCommandsClient;
use contracts::v1::workshop_commands_client::WorkshopCommandsClient;
use contracts::v1::{
    AssignDriverRequest, AuditHistoryRequest, ChangeVehicleStatusRequest,
    RegisterTechnicianRequest, RegisterVehicleRequest, ReportIncidentRequest, SubscribeRequest,
    UpdateVehicleRequest, VehicleStatus, VehicleUsage,
};
use identity::Role;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::deliveries::{create, route};
use crate::helpers::{customer, erase, new_id, spawn_app, vehicle, with_metadata};

fn code<T: std::fmt::Debug>(result: Result<T, tonic::Status>) -> Code {
    result.expect_err("refused").code()
}

#[tokio::test]
async fn every_service_refuses_a_call_without_credentials() {
    let app = spawn_app().await;
    let raw = app.raw.clone();
    let id = new_id();
    let refusals = [
        code(
            CustomerCommandsClient::new(raw.clone())
                .register_customer(customer(&id))
                .await,
        ),
        code(
            FleetCommandsClient::new(raw.clone())
                .register_vehicle(RegisterVehicleRequest::default())
                .await,
        ),
        code(
            WorkshopCommandsClient::new(raw.clone())
                .register_technician(RegisterTechnicianRequest::default())
                .await,
        ),
        code(
            DeliveryCommandsClient::new(raw.clone())
                .create_delivery(create(&id, &id))
                .await,
        ),
        code(
            EventStreamClient::new(raw.clone())
                .subscribe(SubscribeRequest::default())
                .await,
        ),
        code(
            AuditClient::new(raw.clone())
                .history(AuditHistoryRequest::default())
                .await,
        ),
    ];
    assert_eq!(refusals, [Code::Unauthenticated; 6]);
    assert!(app.all_events().await.is_empty(), "nothing was appended");
    // Orchestrators probe health without a token.
    HealthClient::new(raw)
        .check(HealthCheckRequest::default())
        .await
        .expect("health is open");
}

#[tokio::test]
async fn a_token_of_another_issuer_is_unauthenticated() {
    let app = spawn_app().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let stranger = identity::Auth::development(elsewhere.path(), "x").unwrap();
    let channel = crate::helpers::as_subject(&app.raw, &stranger, "mallory", &[Role::Admin]);
    let refused = CustomerCommandsClient::new(channel)
        .register_customer(customer(&new_id()))
        .await;
    assert_eq!(code(refused), Code::Unauthenticated);
}

#[tokio::test]
async fn a_role_the_method_does_not_admit_is_permission_denied() {
    let app = spawn_app().await;
    let dispatcher = app.as_user("dan", &[Role::Dispatcher], None);
    let refused = CustomerCommandsClient::new(dispatcher)
        .register_customer(customer(&new_id()))
        .await;
    assert_eq!(code(refused), Code::PermissionDenied);
    let planner = app.as_user("pat", &[Role::Planner], None);
    let id = new_id();
    CustomerCommandsClient::new(planner.clone())
        .register_customer(customer(&id))
        .await
        .expect("a planner registers customers");
    let erasure = CustomerCommandsClient::new(planner.clone())
        .erase_personal_data(erase(&id))
        .await;
    assert_eq!(
        code(erasure),
        Code::PermissionDenied,
        "erasure is the admin's"
    );
    let stream = EventStreamClient::new(planner)
        .subscribe(SubscribeRequest::default())
        .await;
    assert_eq!(
        code(stream),
        Code::PermissionDenied,
        "personal data leaves opened"
    );
    assert_eq!(app.all_events().await.len(), 1);
}

#[tokio::test]
async fn forged_actor_metadata_changes_nothing_the_actor_is_the_tokens_subject() {
    let app = spawn_app().await;
    let planner = app.as_user("pat", &[Role::Planner], None);
    let mut request = with_metadata(customer(&new_id()));
    request
        .metadata_mut()
        .insert("x-actor-subject", "chief-auditor".parse().unwrap());
    request
        .metadata_mut()
        .insert("x-actor-role", "admin".parse().unwrap());
    CustomerCommandsClient::new(planner)
        .register_customer(request)
        .await
        .expect("registered");
    let events = app.all_events().await;
    assert_eq!(events[0].actor.subject, "pat");
    assert_eq!(events[0].actor.role, "planner");
}

#[tokio::test]
async fn a_driver_acts_on_its_own_delivery_and_is_denied_anothers() {
    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let delivery = new_id();
    let grace = new_id();
    let mut dispatcher = app.deliveries();
    dispatcher
        .create_delivery(create(&delivery, &route_id))
        .await
        .unwrap();
    dispatcher
        .assign_driver(AssignDriverRequest {
            delivery_id: delivery.clone(),
            driver_id: grace.clone(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    let incident = || ReportIncidentRequest {
        delivery_id: delivery.clone(),
        incident_id: new_id(),
        incident_type: "delay".into(),
        description: "traffic".into(),
        idempotency_key: None,
    };
    let own = app.as_user("grace", &[Role::Driver], Some(&grace));
    DeliveryCommandsClient::new(own.clone())
        .report_incident(incident())
        .await
        .expect("a driver reports an incident on its own delivery");
    let other = app.as_user("linus", &[Role::Driver], Some(&new_id()));
    let refused = DeliveryCommandsClient::new(other)
        .report_incident(incident())
        .await;
    assert_eq!(code(refused), Code::PermissionDenied);
    let unnamed = app.as_user("nobody", &[Role::Driver], None);
    let refused = DeliveryCommandsClient::new(unnamed)
        .report_incident(incident())
        .await;
    assert_eq!(code(refused), Code::PermissionDenied);
    let reassign = DeliveryCommandsClient::new(own)
        .assign_driver(AssignDriverRequest {
            delivery_id: delivery.clone(),
            driver_id: grace.clone(),
            idempotency_key: None,
        })
        .await;
    assert_eq!(
        code(reassign),
        Code::PermissionDenied,
        "assigning is the dispatcher's"
    );
    let last = app.all_events().await.pop().unwrap();
    assert_eq!(last.event_type, "delivery.incident_reported.v1");
    assert_eq!(last.actor.subject, "grace");
}

#[tokio::test]
async fn a_dispatcher_registers_and_changes_fleet_vans_but_never_a_customers_car() {
    let app = spawn_app().await;
    let owner = app.registered_customer().await;
    let mut dispatcher = FleetCommandsClient::new(app.as_user("dan", &[Role::Dispatcher], None));
    let mut planner = FleetCommandsClient::new(app.as_user("kate", &[Role::Planner], None));
    dispatcher
        .register_vehicle(vehicle("VAN-1-A", VehicleUsage::Fleet, None))
        .await
        .expect("a dispatcher registers a fleet van");
    let refused = dispatcher
        .register_vehicle(vehicle("AB-123-C", VehicleUsage::Customer, Some(&owner)))
        .await;
    assert_eq!(code(refused), Code::PermissionDenied);
    planner
        .register_vehicle(vehicle("AB-123-C", VehicleUsage::Customer, Some(&owner)))
        .await
        .expect("a planner registers a customer's car");
    let before = app.all_events().await.len();

    let change_owner = |license: &str| UpdateVehicleRequest {
        license_number: license.into(),
        brand: "Tesla".into(),
        model: "Model Y".into(),
        owner_customer_id: Some(owner.clone()),
        idempotency_key: None,
    };
    let refused = dispatcher.update_vehicle(change_owner("ab-123-c")).await;
    assert_eq!(
        code(refused),
        Code::PermissionDenied,
        "any case of the plate"
    );
    let out_of_service = |license: &str| ChangeVehicleStatusRequest {
        license_number: license.into(),
        status: VehicleStatus::OutOfService as i32,
        idempotency_key: None,
    };
    let refused = dispatcher
        .change_vehicle_status(out_of_service("AB-123-C"))
        .await;
    assert_eq!(code(refused), Code::PermissionDenied);
    assert_eq!(
        app.all_events().await.len(),
        before,
        "a refusal appends nothing"
    );

    dispatcher
        .change_vehicle_status(out_of_service("VAN-1-A"))
        .await
        .expect("a dispatcher takes its van out of service");
    planner
        .update_vehicle(change_owner("AB-123-C"))
        .await
        .expect("a planner changes a customer's car");
}

/// Every delivery RPC a driver token is admitted to, called by a driver the delivery
/// is not assigned to: each is refused and appends nothing. The list is compared with
/// the access table, so an RPC newly opened to drivers fails here until it is checked.
#[tokio::test]
async fn every_rpc_open_to_drivers_refuses_a_driver_the_delivery_is_not_assigned_to() {
    use contracts::v1::{
        CaptureProofOfDeliveryRequest, FailDeliveryRequest, MarkOutForDeliveryRequest,
        ReachCheckpointRequest, ResolveIncidentRequest, StartTransitRequest,
    };
    use prost::Message;

    let set = prost_types::FileDescriptorSet::decode(contracts::FILE_DESCRIPTOR_SET).unwrap();
    let mut open_to_drivers: Vec<String> = set
        .file
        .iter()
        .flat_map(|file| file.service.iter())
        .filter(|service| service.name() == "DeliveryCommands")
        .flat_map(|service| service.method.iter())
        .map(|method| method.name().to_owned())
        .filter(|method| {
            let path = format!("/pitlane.v1.DeliveryCommands/{method}");
            matches!(command::access::policy(&path),
                Some(identity::grpc::Access::Roles(roles)) if roles.contains(&Role::Driver))
        })
        .collect();
    open_to_drivers.sort();

    let app = spawn_app().await;
    let route_id = route(&app, true).await;
    let delivery = new_id();
    let mut dispatcher = app.deliveries();
    dispatcher
        .create_delivery(create(&delivery, &route_id))
        .await
        .unwrap();
    dispatcher
        .assign_driver(AssignDriverRequest {
            delivery_id: delivery.clone(),
            driver_id: new_id(),
            idempotency_key: None,
        })
        .await
        .unwrap();
    let before = app.all_events().await.len();
    let mut other =
        DeliveryCommandsClient::new(app.as_user("linus", &[Role::Driver], Some(&new_id())));
    let id = || delivery.clone();
    let refusals = [
        (
            "CaptureProofOfDelivery",
            code(
                other
                    .capture_proof_of_delivery(CaptureProofOfDeliveryRequest {
                        delivery_id: id(),
                        receiver_name: "Ada".into(),
                        signature_reference: "sig".into(),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "FailDelivery",
            code(
                other
                    .fail_delivery(FailDeliveryRequest {
                        delivery_id: id(),
                        reason: "closed".into(),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "MarkOutForDelivery",
            code(
                other
                    .mark_out_for_delivery(MarkOutForDeliveryRequest {
                        delivery_id: id(),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "ReachCheckpoint",
            code(
                other
                    .reach_checkpoint(ReachCheckpointRequest {
                        delivery_id: id(),
                        sequence: 1,
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "ReportIncident",
            code(
                other
                    .report_incident(ReportIncidentRequest {
                        delivery_id: id(),
                        incident_id: new_id(),
                        incident_type: "delay".into(),
                        description: "traffic".into(),
                        idempotency_key: None,
                    })
                    .await,
            ),
        ),
        (
            "ResolveIncident",
            code(
                other
                    .resolve_incident(ResolveIncidentRequest {
                        delivery_id: id(),
                        incident_id: new_id(),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
        (
            "StartTransit",
            code(
                other
                    .start_transit(StartTransitRequest {
                        delivery_id: id(),
                        ..Default::default()
                    })
                    .await,
            ),
        ),
    ];
    let called: Vec<String> = refusals.iter().map(|(m, _)| (*m).to_owned()).collect();
    assert_eq!(
        called, open_to_drivers,
        "every RPC open to drivers is called here"
    );
    for (method, code) in refusals {
        assert_eq!(code, Code::PermissionDenied, "{method}");
    }
    assert_eq!(app.all_events().await.len(), before, "nothing appended");
}

#[tokio::test]
async fn idempotency_keys_are_scoped_to_the_subject() {
    let app = spawn_app().await;
    let keyed = |id: &str| {
        let mut request = customer(id);
        request.idempotency_key = Some("k-1".into());
        request
    };
    let (first, second) = (new_id(), new_id());
    let alice = app.as_user("alice", &[Role::Planner], None);
    let bob = app.as_user("bob", &[Role::Planner], None);
    let a = CustomerCommandsClient::new(alice.clone())
        .register_customer(keyed(&first))
        .await
        .unwrap()
        .into_inner();
    let b = CustomerCommandsClient::new(bob)
        .register_customer(keyed(&second))
        .await
        .expect("another subject's key is its own, not a reuse of alice's")
        .into_inner();
    assert_ne!(a.aggregate_id, b.aggregate_id);
    let again = CustomerCommandsClient::new(alice)
        .register_customer(keyed(&first))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.token, a.token,
        "alice's retry is answered as the first time"
    );
    assert_eq!(app.all_events().await.len(), 2);
}

/// A CA and a certificate for `localhost` signed by it, written as PEM files.
fn certificates(dir: &std::path::Path) -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let write = |name: &str, pem: String| {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        path.to_string_lossy().into_owned()
    };
    (
        write("ca.pem", ca.pem()),
        write("cert.pem", leaf.pem()),
        write("key.pem", key.serialize_pem()),
    )
}

#[tokio::test]
async fn a_tls_listener_serves_a_client_that_trusts_its_ca_and_only_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let config = command::config::Config {
        tls: identity::tls::TlsSettings::from_lookup(|name| match name {
            "PITLANE_TLS_CERT" => Some(cert.clone()),
            "PITLANE_TLS_KEY" => Some(key.clone()),
            "PITLANE_TLS_CA" => Some(ca.clone()),
            _ => None,
        })
        .unwrap(),
        ..crate::helpers::config_in(dir.path())
    };
    let auth = config.auth.open("test").unwrap();
    let (app, store) = crate::helpers::app_in(dir.path(), &config).await;
    let port = app.port();
    let _server = tokio::spawn(app.run_until_stopped(std::future::pending()));
    identity::tls::install_crypto_provider();
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(std::fs::read(&ca).unwrap()))
        .domain_name("localhost");
    let channel = Channel::from_shared(format!("https://localhost:{port}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .expect("a TLS handshake with the service's certificate");
    let planner = crate::helpers::as_subject(&channel, &auth, "pat", &[Role::Planner]);
    CustomerCommandsClient::new(planner)
        .register_customer(customer(&new_id()))
        .await
        .expect("a command over TLS");
    assert_eq!(store.read_all(0, 10).await.unwrap().len(), 1);
    let plaintext = Channel::from_shared(format!("http://localhost:{port}"))
        .unwrap()
        .connect()
        .await;
    let refused = match plaintext {
        Err(_) => true,
        Ok(channel) => HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await
            .is_err(),
    };
    assert!(refused, "plaintext gets no answer from a TLS listener");
}
