//! `bench commands`: durable commands per second through the command service's gRPC API,
//! from many concurrent clients, each on its own connection.
//!
//! Every client alternates a workshop job (`PlanMaintenanceJob` on its own dates, in
//! slots that never collide) with the next step of a delivery's whole life: create a
//! route, add two checkpoints, activate it, create a delivery, assign a driver and a
//! van, start transit, reach both checkpoints, go out for delivery, capture proof.

use std::sync::Arc;
use std::time::{Duration, Instant};

use command::config::{Config, KeyStoreLocation, StoreLocation};
use command::startup::App;
use contracts::v1::delivery_commands_client::DeliveryCommandsClient;
use contracts::v1::workshop_commands_client::WorkshopCommandsClient;
use contracts::v1::*;
use es_core::{EventStore, SqliteEventStore};
use identity::grpc::AuthedChannel;
use tokio::net::TcpListener;
use tonic::transport::Channel;
use uuid::Uuid;

pub async fn run(connections: u64, duration: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("events.db");
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        store: StoreLocation::Sqlite(path.clone()),
        key_store: KeyStoreLocation::Sqlite(dir.path().join("keys.db")),
        snapshot_every: 100,
        max_retries: 3,
        aggregate_cache: 10_000,
        kafka: None,
        auth: identity::AuthSettings::development(dir.path()),
        tls: identity::tls::TlsSettings::default(),
        heads: es_core::heads::HeadsSettings::in_dir(dir.path()),
    };
    // Every call carries a token that the service verifies, as in production: one
    // subject holding the planner's and the dispatcher's roles.
    let issuer = config.auth.open("bench")?;
    let mut request = identity::TokenRequest::new("bench", identity::Role::Planner);
    request.roles.push(identity::Role::Dispatcher);
    let token = issuer.mint_with(&request)?;
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(&path)?);
    let app = App::with_store(
        TcpListener::bind(config.listen).await?,
        store.clone(),
        &config,
    )
    .await?;
    let address = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    eprintln!(
        "{connections} clients, one connection each, for {duration} s against the command service on {address}"
    );

    let deadline = Instant::now() + Duration::from_secs(duration);
    let mut clients = Vec::new();
    for client in 0..connections {
        let channel = Channel::from_shared(format!("http://{address}"))?
            .connect()
            .await?;
        let channel = identity::grpc::authed(channel, &token)
            .ok_or_else(|| anyhow::anyhow!("the token is not a header value"))?;
        clients.push(tokio::spawn(drive(client, channel, deadline)));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut failures = 0u64;
    for client in clients {
        let outcome = client.await??;
        latencies.extend(outcome.latencies);
        failures += outcome.failures;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    server.await??;

    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    let events = *store.head().borrow();
    anyhow::ensure!(!latencies.is_empty(), "no command succeeded");
    eprintln!(
        "{} commands ({failures} refused) in {elapsed:.2} s, {events} events; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        ms(p(0.5)),
        ms(p(0.99)),
        ms(p(1.0)),
    );
    anyhow::ensure!(
        failures == 0,
        "{failures} commands were refused; the workload is wrong"
    );
    super::result(
        &format!("grpc_commands_{connections}c"),
        latencies.len() as f64 / elapsed,
        "cmd/s",
    );
    super::result(
        &format!("grpc_commands_{connections}c_p99"),
        ms(p(0.99)),
        "ms",
    );
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

struct Outcome {
    latencies: Vec<Duration>,
    failures: u64,
}

fn id() -> String {
    Uuid::now_v7().to_string()
}

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

/// 2027-01-01T00:00:00Z: every bench date is after it.
const EPOCH: i64 = 1_798_761_600;
const DAY: i64 = 86_400;
/// Ten-minute jobs, one after another: 143 a day (the 144th would end at midnight,
/// outside its date), never more than one at a time.
const JOB: i64 = 600;

async fn drive(client: u64, channel: AuthedChannel, deadline: Instant) -> anyhow::Result<Outcome> {
    let mut workshop = WorkshopCommandsClient::new(channel.clone());
    let mut deliveries = DeliveryCommandsClient::new(channel);
    let mut outcome = Outcome {
        latencies: Vec::new(),
        failures: 0,
    };
    let mut job = 0i64;
    let mut delivery = DeliveryPath::new(client);
    while Instant::now() < deadline {
        let day = client as i64 + 1_000 * (job / 143);
        let start = EPOCH + day * DAY + (job % 143) * JOB;
        let planned = PlanMaintenanceJobRequest {
            planning_date: chrono::DateTime::from_timestamp(start, 0)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            job_id: id(),
            slot: Some(Timeslot {
                start: at(start),
                end: at(start + JOB),
            }),
            vehicle_license_number: format!("WS-{}-{}", client % 1000, job % 1000),
            customer_id: id(),
            service: MaintenanceService::BrakeSystem as i32,
            description: "brake fluid and pads".into(),
            technician: None,
            idempotency_key: None,
        };
        job += 1;
        timed(&mut outcome, workshop.plan_maintenance_job(planned)).await;
        timed(&mut outcome, delivery.step(&mut deliveries)).await;
    }
    Ok(outcome)
}

async fn timed<T>(outcome: &mut Outcome, call: impl Future<Output = Result<T, tonic::Status>>) {
    let started = Instant::now();
    match call.await {
        Ok(_) => outcome.latencies.push(started.elapsed()),
        Err(status) => {
            if outcome.failures == 0 {
                eprintln!("refused: {status}");
            }
            outcome.failures += 1;
        }
    }
}

/// One delivery's life, one command per `step`, then the next delivery.
struct DeliveryPath {
    client: u64,
    step: u32,
    route: String,
    delivery: String,
}

impl DeliveryPath {
    fn new(client: u64) -> Self {
        Self {
            client,
            step: 0,
            route: id(),
            delivery: id(),
        }
    }

    async fn step(
        &mut self,
        api: &mut DeliveryCommandsClient<AuthedChannel>,
    ) -> Result<CommandReply, tonic::Status> {
        let start = EPOCH + 9 * 3_600;
        let route_id = self.route.clone();
        let delivery_id = self.delivery.clone();
        let reply = match self.step {
            0 => {
                api.create_route(CreateRouteRequest {
                    route_id,
                    origin: "Depot".into(),
                    destination: "Centre".into(),
                    scheduled_start: at(start),
                    idempotency_key: None,
                })
                .await
            }
            1 | 2 => {
                let sequence = self.step;
                api.add_checkpoint(AddCheckpointRequest {
                    route_id,
                    sequence,
                    location: format!("Stop {sequence}"),
                    expected_at: at(start + 1_800 * sequence as i64),
                    idempotency_key: None,
                })
                .await
            }
            3 => {
                api.activate_route(ActivateRouteRequest {
                    route_id,
                    idempotency_key: None,
                })
                .await
            }
            4 => {
                api.create_delivery(CreateDeliveryRequest {
                    delivery_id,
                    route_id,
                    idempotency_key: None,
                })
                .await
            }
            5 => {
                api.assign_driver(AssignDriverRequest {
                    delivery_id,
                    driver_id: id(),
                    idempotency_key: None,
                })
                .await
            }
            6 => {
                api.assign_vehicle(AssignVehicleRequest {
                    delivery_id,
                    vehicle_license_number: format!("VN-{}-X", self.client % 1000),
                    idempotency_key: None,
                })
                .await
            }
            7 => {
                api.start_transit(StartTransitRequest {
                    delivery_id,
                    idempotency_key: None,
                })
                .await
            }
            8 | 9 => {
                let sequence = self.step - 7;
                api.reach_checkpoint(ReachCheckpointRequest {
                    delivery_id,
                    sequence,
                    location: format!("Stop {sequence}"),
                    idempotency_key: None,
                })
                .await
            }
            10 => {
                api.mark_out_for_delivery(MarkOutForDeliveryRequest {
                    delivery_id,
                    idempotency_key: None,
                })
                .await
            }
            _ => {
                api.capture_proof_of_delivery(CaptureProofOfDeliveryRequest {
                    delivery_id,
                    receiver_name: "Receiver".into(),
                    signature_reference: "sig://bench".into(),
                    idempotency_key: None,
                })
                .await
            }
        };
        if self.step == 11 {
            *self = Self::new(self.client);
        } else {
            self.step += 1;
        }
        reply.map(tonic::Response::into_inner)
    }
}
