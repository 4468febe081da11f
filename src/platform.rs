//! `pitlane up`: the whole platform in one process on the embedded default — the command
//! service, the query service and the BFF, wired over loopback gRPC exactly as they are
//! in production (the query side follows the command service's event stream; the BFF
//! calls both).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use es_core::{EventStore, SqliteEventStore};
use query::runtime::GrpcEventSource;
use query::store::sqlite::ReadModelDb;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::Channel;

/// Where the platform keeps its files and listens.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    pub data: PathBuf,
    pub command_addr: SocketAddr,
    pub query_addr: SocketAddr,
    /// The BFF's settings; its upstream URLs are filled in with the services started here.
    pub bff: bff::Config,
    /// `PITLANE_ON_DIVERGED`: what the projections do on a log that is not the history
    /// the read models hold.
    pub on_diverged: query::config::OnDiverged,
    /// The read models' projections: the platform's own ([`query::startup::all_projections`]);
    /// tests add test doubles beside them.
    pub projections: fn() -> Vec<Box<dyn query::projection::Projection>>,
}

impl PlatformConfig {
    /// Everything on port 0 under `data`, with the BFF's rate limit off (tests and
    /// benchmarks drive it from one address).
    pub fn ephemeral(data: PathBuf) -> Self {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut bff = bff::Config::local(String::new(), String::new());
        bff.rate_limit = None;
        bff.auth = identity::AuthSettings::development(&data);
        PlatformConfig {
            data,
            command_addr: any,
            query_addr: any,
            bff,
            on_diverged: query::config::OnDiverged::Wait,
            projections: query::startup::all_projections,
        }
    }
}

/// A running platform; dropping `stop` (or sending `true`) shuts it down.
pub struct Platform {
    pub command_addr: SocketAddr,
    pub query_addr: SocketAddr,
    /// The REST API (BFF), Swagger UI at `/docs`.
    pub rest_addr: SocketAddr,
    /// The web app, with the development login's secret (`#login=…`) when it offers one.
    pub app_url: String,
    pub store: Arc<dyn EventStore>,
    pub read_models: Arc<es_core::projection::StatusBoard>,
    /// The issuer every service trusts: the development issuer of the data directory
    /// (unless `AUTH_ISSUER` names another); it mints tokens for tests and tools.
    pub auth: identity::Auth,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Platform {
    pub async fn start(config: PlatformConfig) -> anyhow::Result<Platform> {
        es_core::files::create_private_dir_all(&config.data)
            .with_context(|| format!("cannot create {}", config.data.display()))?;
        let auth_settings = config.bff.auth.clone();
        let auth = auth_settings
            .open("pitlane-up")
            .context("cannot open the token issuer's keys")?;
        let events = config.data.join("events.db");
        let command_config = command::config::Config {
            listen: config.command_addr,
            store: command::config::StoreLocation::Sqlite(events.clone()),
            key_store: command::config::KeyStoreLocation::Sqlite(config.data.join("keys.db")),
            snapshot_every: 100,
            max_retries: 3,
            aggregate_cache: 10_000,
            kafka: None,
            auth: auth_settings.clone(),
            tls: identity::tls::TlsSettings::default(),
            heads: es_core::heads::HeadsSettings::in_dir(&config.data),
        };
        let store: Arc<dyn EventStore> = Arc::new(
            SqliteEventStore::open(&events)
                .with_context(|| format!("cannot open the event store {}", events.display()))?,
        );
        let listener = TcpListener::bind(config.command_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.command_addr))?;
        let command_app =
            command::startup::App::with_store(listener, store.clone(), &command_config).await?;
        let command_addr = command_app.local_addr();

        let (stop, stopped) = watch::channel(false);
        let until_stopped = |mut stopped: watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let mut tasks = vec![tokio::spawn(
            command_app.run_until_stopped(until_stopped(stopped.clone())),
        )];

        let command_url = format!("http://{command_addr}");
        let query_config = query::config::Config {
            listen: config.query_addr,
            read_models: config.data.join("read-models.db"),
            command_url: command_url.clone(),
            consistency_timeout: Duration::from_secs(5),
            kafka: None,
            auth: auth_settings.clone(),
            tls: identity::tls::TlsSettings::default(),
            on_diverged: config.on_diverged,
        };
        let db = ReadModelDb::open(&query_config.read_models, (config.projections)())
            .with_context(|| {
                format!(
                    "cannot open the read models {}",
                    query_config.read_models.display()
                )
            })?;
        let channel = Channel::from_shared(command_url)?.connect_lazy();
        let listener = TcpListener::bind(config.query_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.query_addr))?;
        // The query service follows the event stream as itself (role `service`).
        let query_identity = auth_settings.open("query-service")?;
        let query_app = query::startup::App::with_source(
            listener,
            db,
            Arc::new(GrpcEventSource::new(channel, query_identity.tokens)),
            &query_config,
        )?;
        let query_addr = query_app.local_addr();
        let read_models = query_app.status();
        tasks.push(tokio::spawn(
            query_app.run_until_stopped(until_stopped(stopped.clone())),
        ));

        let bff_config = bff::Config {
            command_url: format!("http://{command_addr}"),
            query_url: format!("http://{query_addr}"),
            ..config.bff
        };
        let bff_app = bff::build(bff_config)
            .await
            .context("cannot start the REST API (BFF)")?;
        let rest_addr = bff_app.local_addr();
        let app_url = bff_app.app_url();
        tasks.push(tokio::spawn(
            bff_app.run_until_stopped(until_stopped(stopped)),
        ));
        Ok(Platform {
            command_addr,
            query_addr,
            rest_addr,
            app_url,
            store,
            read_models,
            auth,
            stop,
            tasks,
        })
    }

    /// A token of the platform's development issuer (tests, benchmarks, the demo).
    pub fn token(&self, request: &identity::TokenRequest) -> anyhow::Result<String> {
        let issuer = self
            .auth
            .development
            .as_ref()
            .context("the platform trusts an external issuer: it mints no tokens")?;
        Ok(issuer.mint(request))
    }

    /// A gRPC channel to `address` calling as `subject` with `role`.
    pub async fn channel_as(
        &self,
        address: SocketAddr,
        subject: &str,
        role: identity::Role,
    ) -> anyhow::Result<identity::grpc::AuthedChannel> {
        let token = self.token(&identity::TokenRequest::new(subject, role))?;
        let channel = Channel::from_shared(format!("http://{address}"))?
            .connect()
            .await?;
        identity::grpc::authed(channel, &token).context("the token is not a header value")
    }

    /// Stops every service and waits for them.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.send_replace(true);
        for task in self.tasks {
            task.await??;
        }
        Ok(())
    }
}

/// A small realistic data set, made by the real domain: customers with cars, drivers,
/// vans, technicians, a day of workshop jobs, routes and deliveries run end to end.
/// Loaded only into an empty store.
pub async fn load_demo(platform: &Platform) -> anyhow::Result<u64> {
    if *platform.store.head().borrow() > 0 {
        return Ok(0);
    }
    let token = platform.token(&identity::TokenRequest::new("demo", identity::Role::Admin))?;
    let target = crate::http::Target {
        base: format!("http://{}", platform.rest_addr),
        authorization: format!("Bearer {token}"),
    };
    let commands = crate::demo::load(&target, chrono::Utc::now()).await?;
    let head = *platform.store.head().borrow();
    platform
        .read_models
        .wait_for(head, Duration::from_secs(30))
        .await;
    Ok(commands)
}

/// The benchmarks' data set (40 customers with the same car, every job finished and
/// every delivery delivered), appended straight to the store: events, not commands.
/// Returns how many events it appended.
pub async fn load_benchmark_data(platform: &Platform) -> anyhow::Result<u64> {
    if *platform.store.head().borrow() > 0 {
        return Ok(0);
    }
    let appends = tokio::task::spawn_blocking(|| crate::bench::workload::appends(40)).await??;
    let events = crate::bench::workload::fill(platform.store.clone(), appends).await?;
    platform
        .read_models
        .wait_for(events, Duration::from_secs(30))
        .await;
    Ok(events)
}

#[cfg(test)]
mod tests {
    use contracts::v1::ProjectionStatusRequest;
    use contracts::v1::query_client::QueryClient;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_platform_on_the_same_data_directory_refuses_to_start_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = Platform::start(PlatformConfig::ephemeral(data.clone()))
            .await
            .expect("the first platform starts");
        let second = Platform::start(PlatformConfig::ephemeral(data.clone())).await;
        let refused = format!("{:#}", second.err().expect("the second is refused"));
        assert!(
            refused.contains(&format!("in use by process {}", std::process::id())),
            "{refused}"
        );
        first.stop().await.unwrap();
        Platform::start(PlatformConfig::ephemeral(data))
            .await
            .expect("the directory is free once the first has stopped")
            .stop()
            .await
            .unwrap();
    }

    #[cfg(unix)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_data_directory_and_its_databases_and_keys_are_readable_by_their_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let platform = Platform::start(PlatformConfig::ephemeral(data.clone()))
            .await
            .expect("the platform starts");
        let mode = |name: &str| {
            let path = data.join(name);
            let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            meta.permissions().mode() & 0o777
        };
        assert_eq!(mode(""), 0o700, "the data directory");
        // Personal data in clear (read models), the keys that open the log's personal
        // data, the log itself, and the signing keys.
        for file in [
            "read-models.db",
            "keys.db",
            "events.db",
            "issuer.key",
            "heads.key",
        ] {
            assert_eq!(mode(file), 0o600, "{file}");
        }
        for wal in ["read-models.db-wal", "keys.db-wal", "events.db-wal"] {
            if data.join(wal).exists() {
                assert_eq!(mode(wal), 0o600, "{wal} takes its database's mode");
            }
        }
        platform.stop().await.unwrap();
    }

    /// GET `path` on the platform's REST API as an admin: the JSON body.
    async fn get(platform: &Platform, path: &str) -> serde_json::Value {
        let token = platform
            .token(&identity::TokenRequest::new(
                "reader",
                identity::Role::Admin,
            ))
            .unwrap();
        let target = crate::http::Target {
            base: format!("http://{}", platform.rest_addr),
            authorization: format!("Bearer {token}"),
        };
        let mut client = crate::http::Client::connect(&target).await.unwrap();
        let answer = client.send(hyper::Method::GET, path, None).await.unwrap();
        assert!(answer.status.is_success(), "{path}: {}", answer.status);
        serde_json::from_slice(&answer.body).unwrap()
    }

    /// The `status` of each item of the list `key` in `body`, sorted.
    fn statuses(body: &serde_json::Value, key: &str) -> Vec<String> {
        let mut found: Vec<String> = body[key]
            .as_array()
            .unwrap_or_else(|| panic!("a list {key}: {body}"))
            .iter()
            .map(|item| item["status"].as_str().unwrap_or_default().to_owned())
            .collect();
        found.sort();
        found
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_is_made_of_accepted_commands_and_fills_every_screen_around_today() {
        let dir = tempfile::tempdir().unwrap();
        let platform = Platform::start(PlatformConfig::ephemeral(dir.path().join("data")))
            .await
            .expect("the platform starts");
        let commands = load_demo(&platform)
            .await
            .expect("every demo command accepted");
        assert!(commands > 80, "{commands} demo commands");
        assert_eq!(
            load_demo(&platform).await.unwrap(),
            0,
            "demo data loads only into an empty store"
        );

        let customers = get(&platform, "/api/v1/customers?page_size=100").await;
        let names: std::collections::BTreeSet<&str> = customers["customers"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names.len(), 12, "twelve different customers: {names:?}");
        let vehicles = get(&platform, "/api/v1/vehicles?page_size=100").await;
        let brands: std::collections::BTreeSet<&str> = vehicles["vehicles"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["brand"].as_str())
            .collect();
        assert!(brands.len() >= 10, "a mix of EV brands: {brands:?}");

        let today = chrono::Utc::now().date_naive();
        let day = get(&platform, &format!("/api/v1/workshop/plannings/{today}")).await;
        let jobs = statuses(&day, "jobs");
        for status in ["cancelled", "finished", "planned"] {
            assert!(
                jobs.iter().any(|s| s == status),
                "a {status} job today: {jobs:?}"
            );
        }
        let routes = statuses(&get(&platform, "/api/v1/routes").await, "routes");
        assert_eq!(routes, ["active", "active", "cancelled", "planning"]);
        let deliveries = statuses(&get(&platform, "/api/v1/deliveries").await, "deliveries");
        assert_eq!(
            deliveries,
            [
                "delivered",
                "failed",
                "in_transit",
                "out_for_delivery",
                "picked_up"
            ]
        );
        let tracking = get(&platform, "/api/v1/views/live-tracking").await;
        assert!(
            tracking.to_string().contains("in_transit"),
            "live tracking shows the delivery in transit: {tracking}"
        );

        let head = *platform.store.head().borrow();
        let channel = platform
            .channel_as(platform.query_addr, "ada", identity::Role::Auditor)
            .await
            .unwrap();
        let status = QueryClient::new(channel)
            .projection_status(ProjectionStatusRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(
            status
                .projectors
                .iter()
                .all(|p| p.position == head && p.dead_letter_count == 0),
            "{status:?}"
        );
        platform.stop().await.expect("a clean stop");
    }
}
