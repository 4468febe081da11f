//! `bench rest`: the REST API (BFF) of the embedded platform, as frontends use it.
//!
//! Phase 1, commands: every client registers a customer, updates its contact, registers
//! a driver, suspends and reinstates them — over and over, each client on its own
//! keep-alive connection. Phase 2, reads: the same clients read those customers and
//! drivers back by id. Each phase runs `duration` seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::http::{Client, Target};
use crate::platform::{Platform, PlatformConfig};

pub async fn run(connections: u64, duration: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let platform = Platform::start(PlatformConfig::ephemeral(dir.path().join("data"))).await?;
    // Every request carries a token the BFF and the services verify, as in production:
    // one subject holding the planner's and the dispatcher's roles.
    let mut request = identity::TokenRequest::new("bench", identity::Role::Planner);
    request.roles.push(identity::Role::Dispatcher);
    let base = Arc::new(Target {
        base: format!("http://{}", platform.rest_addr),
        authorization: format!("Bearer {}", platform.token(&request)?),
    });
    eprintln!(
        "{connections} clients, one keep-alive connection each, {duration} s of commands then {duration} s of reads against {base}"
    );

    let deadline = Instant::now() + Duration::from_secs(duration);
    let started = Instant::now();
    let clients: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(commands(base.clone(), deadline)))
        .collect();
    let mut latencies = Vec::new();
    let mut refused = 0;
    let mut ids = Vec::new();
    let mut last_token = String::new();
    for client in clients {
        let outcome = client.await??;
        latencies.extend(outcome.latencies);
        refused += outcome.refused;
        ids.extend(outcome.ids);
        last_token = outcome.last_token.unwrap_or(last_token);
    }
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        refused == 0,
        "{refused} commands were refused; the workload is wrong"
    );
    anyhow::ensure!(!latencies.is_empty(), "no command succeeded");
    let commands = latencies.len();
    let (p50, p99) = percentiles(&mut latencies);
    eprintln!("{commands} commands in {elapsed:.2} s; latency p50 {p50:.2} ms, p99 {p99:.2} ms");
    let command_rate = commands as f64 / elapsed;
    let command_p99 = p99;

    // Reads start once the read models hold every write.
    let caught_up = Client::connect(&base)
        .await?
        .send(
            hyper::Method::GET,
            &format!("/api/v1/customers?page_size=1&after={last_token}"),
            None,
        )
        .await?;
    anyhow::ensure!(
        caught_up.status.is_success(),
        "the read models did not catch up: {}",
        caught_up.status
    );
    let ids = Arc::new(ids);
    let deadline = Instant::now() + Duration::from_secs(duration);
    let started = Instant::now();
    let clients: Vec<_> = (0..connections)
        .map(|client| tokio::spawn(reads(base.clone(), ids.clone(), client as usize, deadline)))
        .collect();
    let mut read_latencies = Vec::new();
    for client in clients {
        read_latencies.extend(client.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let reads = read_latencies.len();
    let (p50, p99) = percentiles(&mut read_latencies);
    eprintln!("{reads} reads in {elapsed:.2} s; latency p50 {p50:.2} ms, p99 {p99:.2} ms");

    platform.stop().await?;
    super::result(
        &format!("rest_commands_{connections}c"),
        command_rate,
        "req/s",
    );
    super::result(
        &format!("rest_commands_{connections}c_p99"),
        command_p99,
        "ms",
    );
    super::result(
        &format!("rest_reads_{connections}c"),
        reads as f64 / elapsed,
        "req/s",
    );
    Ok(())
}

fn percentiles(latencies: &mut [Duration]) -> (f64, f64) {
    latencies.sort();
    let p = |q: f64| ms(latencies[((latencies.len() as f64 - 1.0) * q) as usize]);
    (p(0.5), p(0.99))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

struct Commands {
    latencies: Vec<Duration>,
    refused: u64,
    ids: Vec<(String, String)>,
    last_token: Option<String>,
}

async fn commands(base: Arc<Target>, deadline: Instant) -> anyhow::Result<Commands> {
    let mut http = Client::connect(&base).await?;
    let mut outcome = Commands {
        latencies: Vec::new(),
        refused: 0,
        ids: Vec::new(),
        last_token: None,
    };
    let contact = |name: &str| json!({"name": name, "telephone": "+44 20 7946 0000", "email": "bench@example.com"});
    while Instant::now() < deadline {
        let customer = uuid::Uuid::now_v7().to_string();
        let driver = uuid::Uuid::now_v7().to_string();
        let steps = [
            (hyper::Method::POST, "/api/v1/customers".to_owned(), {
                let mut body = contact("Bench Customer");
                body["customer_id"] = json!(customer);
                body
            }),
            (
                hyper::Method::PUT,
                format!("/api/v1/customers/{customer}/contact"),
                contact("Bench Customer II"),
            ),
            (
                hyper::Method::POST,
                "/api/v1/drivers".to_owned(),
                json!({"driver_id": driver, "name": "Bench Driver", "driving_licence_number": "BENCH1234567"}),
            ),
            (
                hyper::Method::POST,
                format!("/api/v1/drivers/{driver}/suspend"),
                json!({}),
            ),
            (
                hyper::Method::POST,
                format!("/api/v1/drivers/{driver}/reinstate"),
                json!({}),
            ),
        ];
        for (method, path, body) in steps {
            let started = Instant::now();
            let answer = http.send(method, &path, Some(&body)).await?;
            if answer.status.is_success() {
                outcome.latencies.push(started.elapsed());
                outcome.last_token = answer.token;
            } else {
                if outcome.refused == 0 {
                    let body = String::from_utf8_lossy(&answer.body);
                    eprintln!("refused: {} {body}", answer.status);
                }
                outcome.refused += 1;
            }
        }
        outcome.ids.push((customer, driver));
    }
    Ok(outcome)
}

async fn reads(
    base: Arc<Target>,
    ids: Arc<Vec<(String, String)>>,
    client_no: usize,
    deadline: Instant,
) -> anyhow::Result<Vec<Duration>> {
    let mut http = Client::connect(&base).await?;
    let mut latencies = Vec::new();
    let mut n = client_no;
    while Instant::now() < deadline {
        let (customer, driver) = &ids[n % ids.len()];
        let path = if n.is_multiple_of(2) {
            format!("/api/v1/customers/{customer}")
        } else {
            format!("/api/v1/drivers/{driver}")
        };
        let started = Instant::now();
        let answer = http.send(hyper::Method::GET, &path, None).await?;
        anyhow::ensure!(
            answer.status.is_success(),
            "a read failed: {}",
            answer.status
        );
        latencies.push(started.elapsed());
        n += 7;
    }
    Ok(latencies)
}
