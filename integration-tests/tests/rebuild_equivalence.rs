//! Rebuilding the read models from the log gives exactly the rows that projecting
//! incrementally, live, gave — for random sequences of commands (many of them rejected,
//! as in life). Personal data is sealed as in production and opened on the way to the
//! projections, as the command service's event stream does; so a customer erased before
//! the rebuild (its events then open with `personal_data: null`) must rebuild to the
//! row the live projection left after the erasure.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use command::bus::CommandBus;
use contracts::v1::customer_commands_server::CustomerCommands;
use contracts::v1::delivery_commands_server::DeliveryCommands;
use contracts::v1::fleet_commands_server::FleetCommands;
use contracts::v1::workshop_commands_server::WorkshopCommands;
use contracts::v1::*;
use es_core::projection::{EventSource, RetryPolicy, SourceError, StatusBoard, run};
use es_core::subscription::{DEFAULT_BATCH, subscribe};
use es_core::{EventEnvelope, EventStore, SnapshotPolicy, SqliteEventStore, Vault};
use futures::StreamExt;
use futures::stream::BoxStream;
use proptest::prelude::*;
use query::runtime::ReadModelTarget;
use query::store::sqlite::ReadModelDb;
use query::store::{DbError, Order, Select, Value};

/// The services are called in process, past the authentication layer a server puts in
/// front of them: each request carries the caller that layer would have admitted (an
/// admin), since a request without one is refused.
fn admitted<M>(message: M) -> tonic::Request<M> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(identity::Caller {
        identity: identity::Identity {
            subject: "equivalence".into(),
            roles: vec![identity::Role::Admin],
            driver_id: None,
            token: std::sync::Arc::from(""),
        },
        role: identity::Role::Admin,
    });
    request
}

const CUSTOMERS: [&str; 3] = [
    "0190c1a0-0000-7000-8000-000000000001",
    "0190c1a0-0000-7000-8000-000000000002",
    "0190c1a0-0000-7000-8000-000000000003",
];
const DRIVERS: [&str; 2] = [
    "0190c1a0-0000-7000-8000-00000000000d",
    "0190c1a0-0000-7000-8000-00000000000e",
];
const TECHNICIANS: [&str; 2] = [
    "0190c1a0-0000-7000-8000-0000000000a1",
    "0190c1a0-0000-7000-8000-0000000000a2",
];
const ROUTES: [&str; 2] = [
    "0190c1a0-0000-7000-8000-0000000000b1",
    "0190c1a0-0000-7000-8000-0000000000b2",
];
const DELIVERIES: [&str; 3] = [
    "0190c1a0-0000-7000-8000-0000000000c1",
    "0190c1a0-0000-7000-8000-0000000000c2",
    "0190c1a0-0000-7000-8000-0000000000c3",
];
const PLATES: [&str; 3] = ["AB-1-C", "VN-2-X", "VN-3-Y"];

fn ts(hour: i64) -> Option<prost_types::Timestamp> {
    // 2026-12-01T00:00:00Z + hours
    Some(prost_types::Timestamp {
        seconds: 1_796_083_200 + hour * 3_600,
        nanos: 0,
    })
}

/// One command, chosen by index into small id pools so that commands collide.
#[derive(Debug, Clone)]
enum Step {
    RegisterCustomer(usize),
    EraseCustomer(usize),
    RegisterVehicle(usize, bool),
    VehicleOutOfService(usize, bool),
    RegisterDriver(usize),
    SuspendDriver(usize),
    RegisterTechnician(usize),
    PlanJob(usize, usize, i64, Option<usize>),
    FinishJob(usize),
    CancelJob(usize),
    CreateRoute(usize),
    AddCheckpoint(usize, u32),
    ActivateRoute(usize),
    CreateDelivery(usize, usize),
    AssignDriver(usize, usize),
    AssignVehicle(usize, usize),
    StartTransit(usize),
    ReachCheckpoint(usize, u32),
    OutForDelivery(usize),
    Proof(usize),
    Fail(usize),
    Retry(usize),
    ReportIncident(usize, usize),
    ResolveIncident(usize, usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize).prop_map(Step::RegisterCustomer),
        (0..3usize).prop_map(Step::EraseCustomer),
        (0..3usize, any::<bool>()).prop_map(|(p, f)| Step::RegisterVehicle(p, f)),
        (0..3usize, any::<bool>()).prop_map(|(p, o)| Step::VehicleOutOfService(p, o)),
        (0..2usize).prop_map(Step::RegisterDriver),
        (0..2usize).prop_map(Step::SuspendDriver),
        (0..2usize).prop_map(Step::RegisterTechnician),
        (
            0..6usize,
            0..3usize,
            6..14i64,
            proptest::option::of(0..2usize)
        )
            .prop_map(|(j, v, h, t)| Step::PlanJob(j, v, h, t)),
        (0..6usize).prop_map(Step::FinishJob),
        (0..6usize).prop_map(Step::CancelJob),
        (0..2usize).prop_map(Step::CreateRoute),
        (0..2usize, 1..4u32).prop_map(|(r, s)| Step::AddCheckpoint(r, s)),
        (0..2usize).prop_map(Step::ActivateRoute),
        (0..3usize, 0..2usize).prop_map(|(d, r)| Step::CreateDelivery(d, r)),
        (0..3usize, 0..2usize).prop_map(|(d, x)| Step::AssignDriver(d, x)),
        (0..3usize, 0..3usize).prop_map(|(d, x)| Step::AssignVehicle(d, x)),
        (0..3usize).prop_map(Step::StartTransit),
        (0..3usize, 1..4u32).prop_map(|(d, s)| Step::ReachCheckpoint(d, s)),
        (0..3usize).prop_map(Step::OutForDelivery),
        (0..3usize).prop_map(Step::Proof),
        (0..3usize).prop_map(Step::Fail),
        (0..3usize).prop_map(Step::Retry),
        (0..3usize, 0..2usize).prop_map(|(d, i)| Step::ReportIncident(d, i)),
        (0..3usize, 0..2usize).prop_map(|(d, i)| Step::ResolveIncident(d, i)),
    ]
}

fn job_id(j: usize) -> String {
    format!("0190c1a0-0000-7000-8000-0000000001{j:02}")
}

fn incident_id(d: usize, i: usize) -> String {
    format!("0190c1a0-0000-7000-8000-0000000002{d}{i}")
}

struct Services {
    customers: command::customers::Service,
    fleet: command::fleet::Service,
    workshop: command::workshop::Service,
    deliveries: command::deliveries::Service,
}

/// Sends one command; rejections are expected and ignored.
async fn send(s: &Services, step: &Step) {
    let _ = match step.clone() {
        Step::RegisterCustomer(c) => s
            .customers
            .register_customer(admitted(RegisterCustomerRequest {
                customer_id: CUSTOMERS[c].into(),
                name: format!("Customer {c}"),
                address: "Street 1".into(),
                postal_code: "1000".into(),
                city: "Town".into(),
                telephone: "+31 20 555 0000".into(),
                email: format!("c{c}@example.com"),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::EraseCustomer(c) => s
            .customers
            .erase_personal_data(admitted(ErasePersonalDataRequest {
                customer_id: CUSTOMERS[c].into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::RegisterVehicle(p, fleet) => s
            .fleet
            .register_vehicle(admitted(RegisterVehicleRequest {
                license_number: PLATES[p].into(),
                brand: "Brand".into(),
                model: "Model".into(),
                owner_customer_id: (!fleet).then(|| CUSTOMERS[p].into()),
                usage: if fleet {
                    VehicleUsage::Fleet
                } else {
                    VehicleUsage::Customer
                } as i32,
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::VehicleOutOfService(p, out) => s
            .fleet
            .change_vehicle_status(admitted(ChangeVehicleStatusRequest {
                license_number: PLATES[p].into(),
                status: if out {
                    VehicleStatus::OutOfService
                } else {
                    VehicleStatus::Available
                } as i32,
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::RegisterDriver(d) => s
            .fleet
            .register_driver(admitted(RegisterDriverRequest {
                driver_id: DRIVERS[d].into(),
                name: format!("Driver {d}"),
                driving_licence_number: format!("DL{d}"),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::SuspendDriver(d) => s
            .fleet
            .suspend_driver(admitted(SuspendDriverRequest {
                driver_id: DRIVERS[d].into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::RegisterTechnician(t) => s
            .workshop
            .register_technician(admitted(RegisterTechnicianRequest {
                technician_id: TECHNICIANS[t].into(),
                name: format!("Tech {t}"),
                skills: vec![ServiceCategory::Maintenance as i32],
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::PlanJob(j, v, hour, technician) => s
            .workshop
            .plan_maintenance_job(admitted(PlanMaintenanceJobRequest {
                planning_date: "2026-12-01".into(),
                job_id: job_id(j),
                slot: Some(Timeslot {
                    start: ts(hour),
                    end: ts(hour + 2),
                }),
                vehicle_license_number: PLATES[v].into(),
                customer_id: CUSTOMERS[v].into(),
                service: MaintenanceService::Steering as i32,
                description: "check".into(),
                technician: technician.map(|t| TechnicianRef {
                    technician_id: TECHNICIANS[t].into(),
                    skills: vec![ServiceCategory::Maintenance as i32],
                }),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::FinishJob(j) => s
            .workshop
            .finish_maintenance_job(admitted(FinishMaintenanceJobRequest {
                planning_date: "2026-12-01".into(),
                job_id: job_id(j),
                actual_start: ts(8),
                actual_end: ts(9),
                notes: "ok".into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::CancelJob(j) => s
            .workshop
            .cancel_maintenance_job(admitted(CancelMaintenanceJobRequest {
                planning_date: "2026-12-01".into(),
                job_id: job_id(j),
                reason: "no show".into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::CreateRoute(r) => s
            .deliveries
            .create_route(admitted(CreateRouteRequest {
                route_id: ROUTES[r].into(),
                origin: "Depot".into(),
                destination: "Centre".into(),
                scheduled_start: ts(6),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::AddCheckpoint(r, sequence) => s
            .deliveries
            .add_checkpoint(admitted(AddCheckpointRequest {
                route_id: ROUTES[r].into(),
                sequence,
                location: format!("Stop {sequence}"),
                expected_at: ts(6 + sequence as i64),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::ActivateRoute(r) => s
            .deliveries
            .activate_route(admitted(ActivateRouteRequest {
                route_id: ROUTES[r].into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::CreateDelivery(d, r) => s
            .deliveries
            .create_delivery(admitted(CreateDeliveryRequest {
                delivery_id: DELIVERIES[d].into(),
                route_id: ROUTES[r].into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::AssignDriver(d, x) => s
            .deliveries
            .assign_driver(admitted(AssignDriverRequest {
                delivery_id: DELIVERIES[d].into(),
                driver_id: DRIVERS[x].into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::AssignVehicle(d, x) => s
            .deliveries
            .assign_vehicle(admitted(AssignVehicleRequest {
                delivery_id: DELIVERIES[d].into(),
                vehicle_license_number: PLATES[x].into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::StartTransit(d) => s
            .deliveries
            .start_transit(admitted(StartTransitRequest {
                delivery_id: DELIVERIES[d].into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::ReachCheckpoint(d, sequence) => s
            .deliveries
            .reach_checkpoint(admitted(ReachCheckpointRequest {
                delivery_id: DELIVERIES[d].into(),
                sequence,
                location: format!("Stop {sequence}"),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::OutForDelivery(d) => s
            .deliveries
            .mark_out_for_delivery(admitted(MarkOutForDeliveryRequest {
                delivery_id: DELIVERIES[d].into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::Proof(d) => s
            .deliveries
            .capture_proof_of_delivery(admitted(CaptureProofOfDeliveryRequest {
                delivery_id: DELIVERIES[d].into(),
                receiver_name: "R".into(),
                signature_reference: "sig".into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::Fail(d) => s
            .deliveries
            .fail_delivery(admitted(FailDeliveryRequest {
                delivery_id: DELIVERIES[d].into(),
                reason: "closed".into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::Retry(d) => s
            .deliveries
            .retry_delivery(admitted(RetryDeliveryRequest {
                delivery_id: DELIVERIES[d].into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::ReportIncident(d, i) => s
            .deliveries
            .report_incident(admitted(ReportIncidentRequest {
                delivery_id: DELIVERIES[d].into(),
                incident_id: incident_id(d, i),
                incident_type: "delay".into(),
                description: "traffic".into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
        Step::ResolveIncident(d, i) => s
            .deliveries
            .resolve_incident(admitted(ResolveIncidentRequest {
                delivery_id: DELIVERIES[d].into(),
                incident_id: incident_id(d, i),
                resolution: "cleared".into(),
                idempotency_key: None,
            }))
            .await
            .map(|_| ()),
    };
}

/// Every row of every read-model table, in key order.
async fn dump(db: &ReadModelDb) -> Vec<(String, Vec<Vec<Value>>)> {
    let tables: Vec<_> = db
        .projections()
        .iter()
        .flat_map(|p| p.tables().iter().copied())
        .collect();
    db.read::<_, DbError>(move |reader| {
        tables
            .into_iter()
            .map(|table| {
                let select = table
                    .key
                    .iter()
                    .fold(Select::from(table), |s, k| s.order_by(k, Order::Asc));
                let rows = reader.select(&select)?;
                let values = rows
                    .iter()
                    .map(|row| {
                        table
                            .columns
                            .iter()
                            .map(|c| row.value(c.name).cloned())
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((table.name.to_owned(), values))
            })
            .collect()
    })
    .await
    .expect("dump")
}

/// The local store as the command service's event stream serves it: personal data
/// opened, or `null` once erased.
struct OpenedSource {
    store: Arc<dyn EventStore>,
    vault: Arc<Vault>,
}

async fn opened(vault: &Vault, mut event: EventEnvelope) -> EventEnvelope {
    vault.open_envelope(&mut event).await.expect("opens");
    event
}

#[async_trait]
impl EventSource for OpenedSource {
    async fn subscribe(
        &self,
        after_position: u64,
    ) -> Result<BoxStream<'static, Result<EventEnvelope, SourceError>>, SourceError> {
        let vault = self.vault.clone();
        let events =
            subscribe(self.store.clone(), after_position, DEFAULT_BATCH).then(move |event| {
                let vault = vault.clone();
                async move {
                    match event {
                        Ok(event) => Ok(opened(&vault, event).await),
                        Err(e) => Err(SourceError(e.to_string())),
                    }
                }
            });
        Ok(events.boxed())
    }

    async fn head(&self) -> Result<u64, SourceError> {
        Ok(*self.store.head().borrow())
    }
}

async fn project(source: OpenedSource, db: &ReadModelDb, batch: usize, until: u64) {
    let status = Arc::new(StatusBoard::new("read-models"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let policy = RetryPolicy {
        batch,
        ..RetryPolicy::default()
    };
    let task = tokio::spawn(run(
        Arc::new(source),
        ReadModelTarget::live(db.clone()),
        status.clone(),
        policy,
        async {
            let _ = stopped.await;
        },
    ));
    assert!(
        status.wait_for(until, Duration::from_secs(20)).await,
        "projected up to {until}"
    );
    assert_eq!(
        status.snapshot().dead_letters,
        0,
        "no event of the real domain is parked"
    );
    let _ = stop.send(());
    task.await.unwrap();
}

/// What a scenario leaves: the live read models' rows, and the log as stored (personal
/// data sealed) and as the projections read it (opened).
struct Played {
    rows: Vec<(String, Vec<Vec<Value>>)>,
    stored: Vec<EventEnvelope>,
    opened: Vec<EventEnvelope>,
}

/// Runs the steps, checks the two builds agree, and returns what they left.
async fn scenario(steps: Vec<Step>) -> Played {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::open(dir.path().join("events.db")).unwrap());
    let vault = Arc::new(Vault::open_sqlite(dir.path().join("keys.db")).unwrap());
    let bus =
        CommandBus::new(store.clone(), SnapshotPolicy::every(5), 3, 100).with_vault(vault.clone());
    let services = Services {
        customers: command::customers::Service::new(bus.clone()),
        fleet: command::fleet::Service::new(bus.clone()),
        workshop: command::workshop::Service::new(bus.clone()),
        deliveries: command::deliveries::Service::new(bus),
    };

    // Incrementally: the live runtime follows while commands arrive, in small batches.
    let live = ReadModelDb::open(
        dir.path().join("live.db"),
        query::startup::all_projections(),
    )
    .unwrap();
    let status = Arc::new(StatusBoard::new("live"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let policy = RetryPolicy {
        batch: 3,
        ..RetryPolicy::default()
    };
    let follower = tokio::spawn(run(
        Arc::new(OpenedSource {
            store: store.clone(),
            vault: vault.clone(),
        }),
        ReadModelTarget::live(live.clone()),
        status.clone(),
        policy,
        async {
            let _ = stopped.await;
        },
    ));
    for step in &steps {
        send(&services, step).await;
    }
    let head = *store.head().borrow();
    assert!(status.wait_for(head, Duration::from_secs(20)).await);
    assert_eq!(status.snapshot().dead_letters, 0);
    let _ = stop.send(());
    follower.await.unwrap();

    // From scratch: everything in big batches, as a rebuild does.
    let rebuilt = ReadModelDb::open(
        dir.path().join("rebuilt.db"),
        query::startup::all_projections(),
    )
    .unwrap();
    let source = OpenedSource {
        store: store.clone(),
        vault: vault.clone(),
    };
    project(source, &rebuilt, 5_000, head).await;
    let live_rows = dump(&live).await;
    assert_eq!(dump(&rebuilt).await, live_rows);

    // The oracle: each event applied alone, straight to SQL (no unit of work).
    let direct = ReadModelDb::open(
        dir.path().join("direct.db"),
        query::startup::all_projections(),
    )
    .unwrap();
    let stored = store.read_all(0, 100_000).await.unwrap();
    let mut opened_events = Vec::new();
    for event in stored.clone() {
        let event = opened(&vault, event).await;
        direct
            .apply_for_test(&event)
            .expect("every event of the real domain applies");
        opened_events.push(event);
    }
    assert_eq!(dump(&direct).await, live_rows);
    Played {
        rows: live_rows,
        stored,
        opened: opened_events,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn rebuilt_read_models_equal_incrementally_built_ones(steps in proptest::collection::vec(step(), 20..160)) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(async { scenario(steps).await; });
    }
}

/// Every kind of command of every context, once or twice, all accepted.
fn happy_path() -> Vec<Step> {
    use Step::*;
    vec![
        RegisterCustomer(0),
        RegisterVehicle(0, false),
        RegisterDriver(0),
        RegisterVehicle(1, true),
        RegisterTechnician(0),
        PlanJob(0, 0, 8, Some(0)),
        FinishJob(0),
        PlanJob(1, 0, 10, None),
        CancelJob(1),
        CreateRoute(0),
        AddCheckpoint(0, 1),
        AddCheckpoint(0, 2),
        ActivateRoute(0),
        CreateDelivery(0, 0),
        AssignDriver(0, 0),
        AssignVehicle(0, 1),
        StartTransit(0),
        ReportIncident(0, 0),
        ReachCheckpoint(0, 1),
        ReachCheckpoint(0, 2),
        ResolveIncident(0, 0),
        OutForDelivery(0),
        Proof(0),
        EraseCustomer(0),
        CreateDelivery(1, 0),
        AssignDriver(1, 0),
        AssignVehicle(1, 1),
        StartTransit(1),
        Fail(1),
        Retry(1),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_happy_path_rebuilds_to_the_same_rows() {
    let rows = scenario(happy_path()).await.rows;
    let filled: Vec<&str> = rows
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(t, _)| t.as_str())
        .collect();
    for table in [
        "customers",
        "vehicles",
        "drivers",
        "technicians",
        "workshop_jobs",
        "routes",
        "deliveries",
        "delivery_timeline",
        "resource_slots",
    ] {
        assert!(filled.contains(&table), "{table} has rows: {filled:?}");
    }
}

/// A consumer outside Pitlane validates what it reads from Kafka against the published
/// schemas (`contracts/schemas/`) with a standard validator: here Python's `jsonschema`,
/// on every event of the happy path, both as stored and published (personal data
/// sealed) and as readers holding the keys see it (in clear, or `null` once erased).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_validates_against_its_published_schema_sealed_and_opened() {
    let Some(python) = es_core::testing::servers::server_url("GRPC_PYTHON") else {
        return;
    };
    let played = scenario(happy_path()).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    for (name, events) in [("stored", &played.stored), ("opened", &played.opened)] {
        let lines: String = events
            .iter()
            .map(|e| {
                let line = serde_json::json!({ "event_type": e.event_type, "payload": e.payload });
                format!("{line}\n")
            })
            .collect();
        let file = dir.path().join(format!("{name}.jsonl"));
        std::fs::write(&file, lines).unwrap();
        let output = std::process::Command::new(&python)
            .arg(root.join("scripts/validate_events.py"))
            .arg(root.join("contracts/schemas"))
            .arg(&file)
            .output()
            .expect("python runs");
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{name} events do not validate: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The happy path makes 22 of the 36 event types.
        let types = report.lines().count();
        assert!(
            types >= 22,
            "{name}: only {types} event types validated:\n{report}"
        );
    }

    // And the validator does refuse what the schema does not allow.
    let bad = dir.path().join("bad.jsonl");
    let driver =
        serde_json::json!({ "event_type": "driver.suspended.v1", "payload": { "driver_id": 7 } });
    std::fs::write(&bad, format!("{driver}\n")).unwrap();
    let refused = std::process::Command::new(&python)
        .arg(root.join("scripts/validate_events.py"))
        .arg(root.join("contracts/schemas"))
        .arg(&bad)
        .output()
        .expect("python runs");
    assert_eq!(refused.status.code(), Some(1), "a driver id of 7 validated");
}
