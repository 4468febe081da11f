//! `bench rest`: the REST API (BFF) of the embedded platform, as frontends use it.
//!
//! Phase 1, commands: every client registers a customer, updates its contact, registers
//! a driver, suspends and reinstates them — over and over, each client on its own
//! keep-alive connection. Phase 2, reads: the same clients read those customers and
//! drivers back by id. Each phase runs `duration` seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::platform::{Platform, PlatformConfig};

pub async fn run(connections: u64, duration: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let platform = Platform::start(PlatformConfig::ephemeral(dir.path().join("data"))).await?;
    let base = Arc::new(format!("http://{}", platform.rest_addr));
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
    let http = reqwest::Client::new();
    http.get(format!(
        "{base}/api/v1/customers?page_size=1&after={last_token}"
    ))
    .send()
    .await?
    .error_for_status()?;
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

/// One client: a keep-alive connection of its own.
fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .build()?)
}

async fn commands(base: Arc<String>, deadline: Instant) -> anyhow::Result<Commands> {
    let http = client()?;
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
            (reqwest::Method::POST, "/api/v1/customers".to_owned(), {
                let mut body = contact("Bench Customer");
                body["customer_id"] = json!(customer);
                body
            }),
            (
                reqwest::Method::PUT,
                format!("/api/v1/customers/{customer}/contact"),
                contact("Bench Customer II"),
            ),
            (
                reqwest::Method::POST,
                "/api/v1/drivers".to_owned(),
                json!({"driver_id": driver, "name": "Bench Driver", "driving_licence_number": "BENCH1234567"}),
            ),
            (
                reqwest::Method::POST,
                format!("/api/v1/drivers/{driver}/suspend"),
                json!({}),
            ),
            (
                reqwest::Method::POST,
                format!("/api/v1/drivers/{driver}/reinstate"),
                json!({}),
            ),
        ];
        for (method, path, body) in steps {
            let started = Instant::now();
            let response = http
                .request(method, format!("{base}{path}"))
                .json(&body)
                .send()
                .await?;
            if response.status().is_success() {
                outcome.latencies.push(started.elapsed());
                outcome.last_token = response
                    .headers()
                    .get("x-consistency-token")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
            } else {
                if outcome.refused == 0 {
                    eprintln!(
                        "refused: {} {}",
                        response.status(),
                        response.text().await.unwrap_or_default()
                    );
                }
                outcome.refused += 1;
            }
        }
        outcome.ids.push((customer, driver));
    }
    Ok(outcome)
}

async fn reads(
    base: Arc<String>,
    ids: Arc<Vec<(String, String)>>,
    client_no: usize,
    deadline: Instant,
) -> anyhow::Result<Vec<Duration>> {
    let http = client()?;
    let mut latencies = Vec::new();
    let mut n = client_no;
    while Instant::now() < deadline {
        let (customer, driver) = &ids[n % ids.len()];
        let path = if n % 2 == 0 {
            format!("{base}/api/v1/customers/{customer}")
        } else {
            format!("{base}/api/v1/drivers/{driver}")
        };
        let started = Instant::now();
        let response = http.get(path).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "a read failed: {}",
            response.status()
        );
        response.bytes().await?;
        latencies.push(started.elapsed());
        n += 7;
    }
    Ok(latencies)
}
