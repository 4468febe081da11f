//! `bench lag`: how long after a command's reply its events are queryable, with the
//! command and query services running over loopback gRPC: the embedded shape (query
//! fed by the event stream), or with `--servers` the production shape on real servers
//! (MongoDB store → relay → Kafka → projections), which prints `e2e_lag_p99`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::path::Path;

use command::config::{Config as CommandConfig, KafkaSettings, KeyStoreLocation, StoreLocation};
use contracts::v1::customer_commands_client::CustomerCommandsClient;
use contracts::v1::fleet_commands_client::FleetCommandsClient;
use contracts::v1::{RegisterCustomerRequest, RegisterDriverRequest};
use es_core::{EventStore, SqliteEventStore};
use identity::grpc::AuthedChannel;
use query::config::{KafkaSource, KeyStoreAt, ReadStoreLocation};
use query::runtime::GrpcEventSource;
use query::store::sqlite::ReadModelDb;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::Channel;

type Pending = Arc<Mutex<BTreeMap<u64, Instant>>>;

/// Both services trust the development issuer of `dir`.
fn auth(dir: &Path) -> identity::AuthSettings {
    identity::AuthSettings::development(dir)
}

/// A channel to `url` calling as the benchmark's client.
async fn client(url: String, dir: &Path) -> anyhow::Result<AuthedChannel> {
    let mut request = identity::TokenRequest::new("bench", identity::Role::Planner);
    request.roles.push(identity::Role::Dispatcher);
    let token = auth(dir).open("bench")?.mint_with(&request)?;
    let channel = Channel::from_shared(url)?.connect().await?;
    identity::grpc::authed(channel, &token).ok_or_else(|| anyhow::anyhow!("bad token"))
}

/// The two services the benchmark drives, running until `stop`.
struct Services {
    /// The command service, called as a subject holding the planner's and the
    /// dispatcher's roles.
    channel: AuthedChannel,
    /// The live read models' progress.
    board: Arc<es_core::projection::StatusBoard>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

fn until(stopped: &watch::Receiver<bool>) -> impl std::future::Future<Output = ()> + use<> {
    let mut stopped = stopped.clone();
    async move {
        let _ = stopped.wait_for(|s| *s).await;
    }
}

/// The embedded shape: SQLite store, the query side fed by the command service's
/// event stream over gRPC.
async fn embedded(dir: &Path, stopped: &watch::Receiver<bool>) -> anyhow::Result<Services> {
    let command_config = CommandConfig {
        listen: "127.0.0.1:0".parse()?,
        store: StoreLocation::Sqlite(dir.join("events.db")),
        key_store: KeyStoreLocation::Sqlite(dir.join("keys.db")),
        snapshot_every: 100,
        max_retries: 3,
        aggregate_cache: 10_000,
        kafka: None,
        auth: auth(dir),
        tls: identity::tls::TlsSettings::default(),
        heads: es_core::heads::HeadsSettings::in_dir(dir),
    };
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(dir.join("events.db"))?);
    let command_app = command::startup::App::with_store(
        TcpListener::bind(command_config.listen).await?,
        store,
        &command_config,
    )
    .await?;
    let command_url = format!("http://{}", command_app.local_addr());
    let mut tasks = vec![tokio::spawn(command_app.run_until_stopped(until(stopped)))];
    let query_config = query::config::Config {
        listen: "127.0.0.1:0".parse()?,
        read_models: dir.join("read-models.db"),
        command_url: command_url.clone(),
        consistency_timeout: Duration::from_secs(5),
        kafka: None,
        auth: auth(dir),
        tls: identity::tls::TlsSettings::default(),
        on_diverged: query::config::OnDiverged::Wait,
    };
    let db = ReadModelDb::open(&query_config.read_models, query::startup::all_projections())?;
    let stream = Channel::from_shared(command_url.clone())?.connect().await?;
    let tokens = auth(dir).open("query-service")?.tokens;
    let query_app = query::startup::App::with_source(
        TcpListener::bind(query_config.listen).await?,
        db,
        Arc::new(GrpcEventSource::new(stream, tokens)),
        &query_config,
    )?;
    let channel = client(command_url, dir).await?;
    let board = query_app.status();
    tasks.push(tokio::spawn(query_app.run_until_stopped(until(stopped))));
    Ok(Services {
        channel,
        board,
        tasks,
    })
}

/// The production shape on real servers: the command service on MongoDB (`MONGO_URL`)
/// with its relay to Kafka (`KAFKA_BROKERS`), the query side fed by Kafka.
async fn on_servers(dir: &Path, stopped: &watch::Receiver<bool>) -> anyhow::Result<Services> {
    let mongo = super::relay::required("MONGO_URL")?;
    let brokers = super::relay::required("KAFKA_BROKERS")?;
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let database = format!("pitlane_bench_{unique}");
    let prefix = format!("bench-{unique}");
    let command_app = command::startup::build(CommandConfig {
        listen: "127.0.0.1:0".parse()?,
        store: StoreLocation::Mongo {
            url: mongo.clone(),
            database: database.clone(),
        },
        key_store: KeyStoreLocation::BesideMongo,
        snapshot_every: 100,
        max_retries: 3,
        aggregate_cache: 10_000,
        kafka: Some(KafkaSettings {
            brokers: brokers.clone(),
            partitions: 6,
            replication: 1,
            topic_prefix: prefix.clone(),
            properties: Vec::new(),
        }),
        auth: auth(dir),
        tls: identity::tls::TlsSettings::default(),
        heads: es_core::heads::HeadsSettings::in_dir(dir),
    })
    .await?;
    let command_url = format!("http://{}", command_app.local_addr());
    let mut tasks = vec![tokio::spawn(command_app.run_until_stopped(until(stopped)))];
    let query_config = query::config::Config {
        listen: "127.0.0.1:0".parse()?,
        read_models: dir.join("read-models.db"),
        command_url: command_url.clone(),
        consistency_timeout: Duration::from_secs(5),
        kafka: Some(KafkaSource {
            brokers,
            group_id: prefix.clone(),
            keys: KeyStoreAt::Mongo {
                url: mongo,
                database,
            },
            topic_prefix: prefix,
            properties: Vec::new(),
        }),
        auth: auth(dir),
        tls: identity::tls::TlsSettings::default(),
        on_diverged: query::config::OnDiverged::Wait,
    };
    let location = ReadStoreLocation::Sqlite(query_config.read_models.clone());
    let query_app = query::startup::build_on(query_config, &location).await?;
    let board = query_app.status();
    tasks.push(tokio::spawn(query_app.run_until_stopped(until(stopped))));
    let channel = client(command_url, dir).await?;
    Ok(Services {
        channel,
        board,
        tasks,
    })
}

pub async fn run_bench(rate: u64, duration: u64, servers: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (stop, stopped) = watch::channel(false);
    let Services {
        channel,
        board,
        tasks,
    } = if servers {
        on_servers(dir.path(), &stopped).await?
    } else {
        embedded(dir.path(), &stopped).await?
    };
    warm_up(&channel, &board).await?;

    let pending: Pending = Arc::default();
    let lags: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let watcher = {
        let (pending, lags, mut position) = (pending.clone(), lags.clone(), board.watch());
        tokio::spawn(async move {
            while position.changed().await.is_ok() {
                let reached = *position.borrow_and_update();
                settle(&pending, &lags, reached);
            }
        })
    };

    eprintln!("{rate} commands/s for {duration} s; lag = reply → read models reflect it");
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = rate * duration;
    let mut calls = Vec::with_capacity(total as usize);
    for n in 0..total {
        ticker.tick().await;
        let (channel, pending, lags, board) = (
            channel.clone(),
            pending.clone(),
            lags.clone(),
            board.clone(),
        );
        calls.push(tokio::spawn(async move {
            let id = uuid::Uuid::now_v7().to_string();
            let reply = if n % 2 == 0 {
                CustomerCommandsClient::new(channel)
                    .register_customer(RegisterCustomerRequest {
                        customer_id: id,
                        name: format!("Customer {n}"),
                        address: String::new(),
                        postal_code: String::new(),
                        city: "Utrecht".into(),
                        telephone: "+31 30 555 0101".into(),
                        email: format!("c{n}@example.com"),
                        idempotency_key: None,
                    })
                    .await
            } else {
                FleetCommandsClient::new(channel)
                    .register_driver(RegisterDriverRequest {
                        driver_id: id,
                        name: format!("Driver {n}"),
                        driving_licence_number: format!("DL{n}"),
                        idempotency_key: None,
                    })
                    .await
            }?;
            let position = reply.into_inner().token.map_or(0, |t| t.position);
            pending
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .insert(position, Instant::now());
            // The projection may already be past it: settle against where it is now.
            settle(&pending, &lags, board.position());
            anyhow::Ok(())
        }));
    }
    for call in calls {
        call.await??;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pending
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .is_empty()
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send_replace(true);
    watcher.abort();
    for task in tasks {
        task.await??;
    }

    let mut lags = lags
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    anyhow::ensure!(
        lags.len() as u64 == total,
        "{} of {total} commands were reflected",
        lags.len()
    );
    lags.sort();
    let p = |q: f64| lags[((lags.len() - 1) as f64 * q) as usize].as_secs_f64() * 1_000.0;
    eprintln!(
        "lag p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        p(0.5),
        p(0.99),
        p(1.0)
    );
    let name = if servers {
        "e2e_lag_p99"
    } else {
        "projection_lag_p99"
    };
    super::result(name, p(0.99), "ms");
    Ok(())
}

/// One command all the way through before the clock starts: connections made, topics
/// created, the consumer group joined (a steady-state lag, not a start-up time).
async fn warm_up(
    channel: &AuthedChannel,
    board: &es_core::projection::StatusBoard,
) -> anyhow::Result<()> {
    let reply = FleetCommandsClient::new(channel.clone())
        .register_driver(RegisterDriverRequest {
            driver_id: uuid::Uuid::now_v7().to_string(),
            name: "Warm Up".into(),
            driving_licence_number: "WARMUP1".into(),
            idempotency_key: None,
        })
        .await?;
    let position = reply.into_inner().token.map_or(0, |t| t.position);
    let started = Instant::now();
    anyhow::ensure!(
        board.wait_for(position, Duration::from_secs(120)).await,
        "the read models did not reflect the warm-up command"
    );
    eprintln!(
        "warm-up command reflected after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Records the lag of every command whose position the read models have reached.
fn settle(pending: &Pending, lags: &Mutex<Vec<Duration>>, reached: u64) {
    let now = Instant::now();
    let (Ok(mut pending), Ok(mut lags)) = (pending.lock(), lags.lock()) else {
        return;
    };
    let still_waiting = pending.split_off(&(reached + 1));
    lags.extend(pending.values().map(|sent| now.duration_since(*sent)));
    *pending = still_waiting;
}
