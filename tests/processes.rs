//! The `pitlane` binary as operators run it, one process per service (issue 13): a
//! graceful stop ends open subscriptions within a bounded time, and a second platform
//! on a data directory in use exits at once naming the process that holds it.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use contracts::v1::SubscribeRequest;
use contracts::v1::event_stream_client::EventStreamClient;

mod support;

fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// Waits for `child` to exit, at most `limit`.
fn exited_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn terminate(child: &Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

async fn connect(address: &str) -> tonic::transport::Channel {
    for _ in 0..200 {
        if let Ok(channel) = tonic::transport::Channel::from_shared(format!("http://{address}"))
            .unwrap()
            .connect()
            .await
        {
            return channel;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing answers on {address}");
}

fn service_token(data: &Path) -> String {
    let auth = identity::AuthSettings::development(data)
        .open("process-test")
        .unwrap();
    let request = identity::TokenRequest::new("query-service", identity::Role::Service);
    auth.mint_with(&request).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_command_service_with_an_open_subscription_within_five_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let address = free_address();
    let mut command = support::pitlane()
        .arg("command")
        .env("PITLANE_COMMAND_ADDR", &address)
        .env("EVENT_STORE_URL", dir.path().join("events.db"))
        .env("PITLANE_DATA", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let channel = connect(&address).await;
    let channel = identity::grpc::authed(channel, &service_token(dir.path())).unwrap();
    let mut subscription = EventStreamClient::new(channel)
        .subscribe(SubscribeRequest::default())
        .await
        .expect("a subscription")
        .into_inner();

    terminate(&command);
    let status = exited_within(&mut command, Duration::from_secs(5));
    if status.is_none() {
        let _ = command.kill();
    }
    let status = status.expect("stopped within 5 s of SIGTERM, subscriber or not");
    assert!(status.success(), "{status:?}");
    // The subscriber learns the stream ended rather than hanging.
    let ended = tokio::time::timeout(Duration::from_secs(5), subscription.message()).await;
    assert!(matches!(ended, Ok(Ok(None)) | Ok(Err(_))), "{ended:?}");
}

#[test]
fn a_second_platform_on_a_data_directory_in_use_exits_naming_the_process_that_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let up = |rest: &str| {
        support::pitlane()
            .args(["up", "--data"])
            .arg(&data)
            .args([
                "--command-addr",
                "127.0.0.1:0",
                "--query-addr",
                "127.0.0.1:0",
            ])
            .args(["--rest-addr", rest])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first_rest = free_address();
    let mut first = up(&first_rest);
    // Ready once its REST API answers.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&first_rest).is_err() {
        assert!(
            Instant::now() < deadline,
            "the first platform did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let second = up(&free_address()).wait_with_output().unwrap();
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains(&format!("in use by process {}", first.id())),
        "{said}"
    );

    terminate(&first);
    let stopped = exited_within(&mut first, Duration::from_secs(10));
    if stopped.is_none() {
        let _ = first.kill();
    }
    let status = stopped.expect("the first stops on SIGTERM");
    if !status.success() {
        let mut said = String::new();
        if let Some(mut stderr) = first.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut stderr, &mut said);
        }
        panic!("the first did not stop cleanly ({status}): {said}");
    }
}

#[test]
fn a_bad_address_variable_is_named_once_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&[][..], &["up"][..]] {
        let output = support::pitlane()
            .args(args)
            .env("PITLANE_DATA", dir.path())
            .env("PITLANE_BFF_ADDR", "nonsense")
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {said}");
        assert_eq!(
            said.matches("PITLANE_BFF_ADDR").count(),
            1,
            "{args:?}: {said}"
        );
        assert_eq!(said.matches("error:").count(), 1, "{args:?}: {said}");
        assert!(
            said.contains("`nonsense` is not a socket address"),
            "{said}"
        );
    }
}

#[test]
fn each_service_s_help_lists_every_variable_it_reads() {
    let cases: [(&str, &[&str]); 3] = [
        (
            "command",
            &[
                "PITLANE_COMMAND_ADDR",
                "PITLANE_METRICS_ADDR",
                "EVENT_STORE_URL",
                "KAFKA_BROKERS",
                "PITLANE_HEADS_INTERVAL_MS",
                "AUTH_ISSUER",
                "PITLANE_TLS_CERT",
            ],
        ),
        (
            "query",
            &[
                "PITLANE_QUERY_ADDR",
                "PITLANE_LOG_FORMAT",
                "READ_STORE_URL",
                "KAFKA_BROKERS",
                "KEY_STORE_URL",
                "PITLANE_ON_DIVERGED",
                "AUTH_ROLES_CLAIM",
            ],
        ),
        (
            "bff",
            &[
                "PITLANE_BFF_ADDR",
                "PITLANE_LOG_FORMAT",
                "REDIS_URL",
                "PITLANE_RATE_LIMIT",
                "PITLANE_LOCK_TTL_MS",
                "AUTH_JWKS_URL",
            ],
        ),
    ];
    for (service, variables) in cases {
        let output = support::pitlane()
            .args([service, "--help"])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{service}: {said}");
        for variable in variables {
            assert!(
                said.lines()
                    .any(|line| line.trim_start().starts_with(&format!("{variable} "))),
                "{service} --help does not list {variable}:\n{said}"
            );
        }
    }
}

/// One HTTP/1.1 exchange with `address`: the status and the raw answer.
fn http(address: &str, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// `pitlane up` on free loopback ports with `envs`, ready (its `/health/ready` answers
/// 200), its stderr piped; and a token of its development issuer.
struct Running {
    child: Child,
    rest: String,
    /// The query service's gRPC address.
    query: String,
    dir: tempfile::TempDir,
}

impl Running {
    fn start(envs: &[(&str, &str)]) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let rest = free_address();
        let query = free_address();
        let child = support::pitlane()
            .args(["up", "--data"])
            .arg(dir.path())
            .args(["--command-addr", "127.0.0.1:0", "--query-addr", &query])
            .args(["--rest-addr", &rest])
            .envs(envs.iter().copied())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let ready =
            format!("GET /health/ready HTTP/1.1\r\nHost: {rest}\r\nConnection: close\r\n\r\n");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&rest).is_err() || http(&rest, &ready).0 != 200 {
            assert!(Instant::now() < deadline, "the platform did not get ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        Running {
            child,
            rest,
            query,
            dir,
        }
    }

    /// A token of the platform's development issuer.
    fn token(&self, subject: &str, role: identity::Role) -> String {
        let auth = identity::AuthSettings::development(self.dir.path())
            .open("process-test")
            .unwrap();
        auth.mint_with(&identity::TokenRequest::new(subject, role))
            .unwrap()
    }

    /// Stops it with SIGTERM; its exit status (none if it had to be killed) and stderr.
    fn stop(mut self) -> (Option<ExitStatus>, String) {
        terminate(&self.child);
        let stopped = exited_within(&mut self.child, Duration::from_secs(15));
        if stopped.is_none() {
            let _ = self.child.kill();
        }
        let mut said = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            std::io::Read::read_to_string(&mut stderr, &mut said).unwrap();
        }
        (stopped, said)
    }
}

#[test]
fn json_logs_are_one_object_a_line_and_a_refused_commands_lines_carry_the_callers_correlation_id() {
    let platform = Running::start(&[("PITLANE_LOG_FORMAT", "json")]);
    let (rest, token) = (
        platform.rest.clone(),
        platform.token("log-tester", identity::Role::Planner),
    );
    let refused = format!(
        "POST /api/v1/technicians/0190a4a0-0000-7000-8000-00000000dead/deactivate HTTP/1.1\r\n\
         Host: {rest}\r\nAuthorization: Bearer {token}\r\nX-Correlation-ID: log-test-7\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (status, answer) = http(&rest, &refused);
    assert_eq!(status, 404, "{answer}");
    let (_, said) = platform.stop();

    let lines: Vec<serde_json::Value> = said
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let of_the_request = |line: &&serde_json::Value| {
        line["spans"]
            .as_array()
            .is_some_and(|spans| spans.iter().any(|s| s["correlation_id"] == "log-test-7"))
    };
    let request_lines: Vec<_> = lines.iter().filter(of_the_request).collect();
    let message =
        |line: &serde_json::Value| line["fields"]["message"].as_str().unwrap_or("").to_owned();
    assert!(
        request_lines
            .iter()
            .any(|l| l["target"] == "command::bus" && message(l) == "command refused"),
        "no refusal line with the correlation id:\n{said}"
    );
    // One access line from the BFF and one from the command service, with the subject.
    let access: Vec<_> = request_lines
        .iter()
        .filter(|l| l["target"] == "pitlane::access")
        .collect();
    assert!(
        access.iter().any(|l| l["fields"]["status"] == 404
            && l["fields"]["route"] == "/api/v1/technicians/{technician_id}/deactivate"),
        "{access:#?}"
    );
    assert!(
        access.iter().any(|l| l["fields"]["code"] == "NotFound"),
        "{access:#?}"
    );
    assert!(
        access.iter().all(|l| l["spans"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["subject"] == "log-tester")),
        "{access:#?}"
    );
}

mod otlp {
    //! A minimal OTLP/gRPC trace receiver: what a collector (Jaeger) is to the platform.
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
        TraceService, TraceServiceServer,
    };
    use opentelemetry_proto::tonic::collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
    };
    use std::sync::{Arc, Mutex};

    /// (trace id in hex, span name, service name) of every span received.
    pub type Received = Arc<Mutex<Vec<(String, String, String)>>>;

    struct Receiver(Received);

    #[tonic::async_trait]
    impl TraceService for Receiver {
        async fn export(
            &self,
            request: tonic::Request<ExportTraceServiceRequest>,
        ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
            let mut received = self.0.lock().unwrap();
            for resource in request.into_inner().resource_spans {
                let service = resource
                    .resource
                    .iter()
                    .flat_map(|r| &r.attributes)
                    .find(|kv| kv.key == "service.name")
                    .and_then(|kv| kv.value.as_ref())
                    .map(|v| format!("{:?}", v.value))
                    .unwrap_or_default();
                for scope in resource.scope_spans {
                    for span in scope.spans {
                        let trace: String =
                            span.trace_id.iter().map(|b| format!("{b:02x}")).collect();
                        received.push((trace, span.name, service.clone()));
                    }
                }
            }
            Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
        }
    }

    /// Serves the receiver on a free port; returns its address and what it receives.
    pub async fn start() -> (std::net::SocketAddr, Received) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let received = Received::default();
        let service = TraceServiceServer::new(Receiver(received.clone()));
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        (address, received)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_otlp_endpoint_the_platform_exports_one_trace_per_request_across_its_services() {
    let (collector, received) = otlp::start().await;
    let endpoint = format!("http://{collector}");
    let platform = tokio::task::spawn_blocking(move || {
        Running::start(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            // Batches every 200 ms (standard variable; 5 s by default).
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ])
    })
    .await
    .unwrap();
    let (rest, token) = (
        platform.rest.clone(),
        platform.token("tracer", identity::Role::Planner),
    );
    let trace = "0af7651916cd43dd8448eb211c80319c";
    let body = r#"{"name":"Otto Lp","skills":["repairs"]}"#;
    let create = format!(
        "POST /api/v1/technicians HTTP/1.1\r\nHost: {rest}\r\nAuthorization: Bearer {token}\r\n\
         traceparent: 00-{trace}-b7ad6b7169203331-01\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, answer) = tokio::task::spawn_blocking({
        let rest = rest.clone();
        move || http(&rest, &create)
    })
    .await
    .unwrap();
    assert_eq!(status, 201, "{answer}");
    // Exported while the platform runs, not only when it stops.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !received
        .lock()
        .unwrap()
        .iter()
        .any(|(t, n, _)| t == trace && n == "command")
    {
        assert!(Instant::now() < deadline, "no span arrived while running");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (stopped, _) = tokio::task::spawn_blocking(move || platform.stop())
        .await
        .unwrap();
    assert!(stopped.is_some_and(|s| s.success()), "{stopped:?}");
    let received = received.lock().unwrap().clone();
    let ours: Vec<_> = received.iter().filter(|(t, ..)| t == trace).collect();
    for name in ["request", "grpc", "command"] {
        assert!(
            ours.iter().any(|(_, n, _)| n == name),
            "no `{name}` span of trace {trace} among {received:?}"
        );
    }
    assert!(
        ours.iter().all(|(.., service)| service.contains("pitlane")),
        "{ours:?}"
    );
}

/// `pitlane ops dead-letters …` against `platform`, as an operator minted from its
/// data directory (or with `token`): exit code, stdout, stderr.
fn ops(platform: &Running, args: &[&str], token: Option<&str>) -> (i32, String, String) {
    let mut command = support::pitlane();
    command
        .args(["ops", "dead-letters"])
        .args(args)
        .args([
            "--query-url",
            &format!("http://{}", platform.query),
            "--data",
        ])
        .arg(platform.dir.path());
    if let Some(token) = token {
        command.args(["--token", token]);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn pitlane_ops_dead_letters_asks_the_running_platform_as_an_operator() {
    let platform = Running::start(&[]);
    let (code, out, err) = ops(&platform, &["list"], None);
    assert_eq!((code, out.trim()), (0, "no dead letters"), "{err}");
    let (code, out, err) = ops(&platform, &["redrive", "customers"], None);
    assert_eq!(
        (code, out.trim()),
        (0, "0 redriven, 0 failed again"),
        "{err}"
    );
    let (code, _, err) = ops(
        &platform,
        &["discard", "customers", "7", "--reason", "x"],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("no parked event at position 7"), "{err}");
    let (code, _, err) = ops(&platform, &["show", "no-such-model", "7"], None);
    assert_ne!(code, 0);
    assert!(err.contains("no read model named `no-such-model`"), "{err}");
    let planner = platform.token("pat", identity::Role::Planner);
    let (code, _, err) = ops(&platform, &["redrive", "customers"], Some(&planner));
    assert_ne!(code, 0);
    assert!(err.contains("refused"), "{err}");
    platform.stop();
}
