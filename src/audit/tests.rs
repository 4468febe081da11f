use std::sync::Arc;

use es_core::{EventStore, SqliteEventStore};

use super::*;

/// A store file holding a small realistic log, closed again.
async fn store_file(dir: &Path) -> PathBuf {
    let path = dir.join("events.db");
    let store = Arc::new(SqliteEventStore::open(&path).unwrap());
    let appends = crate::bench::workload::appends(2).unwrap();
    crate::bench::workload::fill(store.clone(), appends)
        .await
        .unwrap();
    let Ok(store) = Arc::try_unwrap(store) else {
        panic!("the fill kept the store")
    };
    store.close().await;
    path
}

/// No token and a data directory without an issuer: a local store needs neither.
fn no_credentials() -> Credentials {
    Credentials {
        token: None,
        token_url: None,
        client_id: None,
        client_secret: None,
        data: PathBuf::from("/nonexistent"),
    }
}

fn at_store(path: &Path) -> LogArgs {
    LogArgs {
        store: Some(path.to_owned()),
        keys: None,
        command_url: String::new(),
        credentials: no_credentials(),
    }
}

fn as_role(platform: &crate::platform::Platform, role: identity::Role) -> String {
    platform
        .token(&identity::TokenRequest::new("kate", role))
        .unwrap()
}

fn at_platform(platform: &crate::platform::Platform) -> LogArgs {
    LogArgs {
        store: None,
        keys: None,
        command_url: format!("http://{}", platform.command_addr),
        credentials: Credentials {
            token: Some(as_role(platform, identity::Role::Auditor)),
            token_url: None,
            client_id: None,
            client_secret: None,
            data: PathBuf::from("/nonexistent"),
        },
    }
}

fn verify_args(log: LogArgs, stream: Option<&str>) -> VerifyArgs {
    VerifyArgs {
        stream: stream.map(str::to_owned),
        file: None,
        trusted_keys: None,
        heads: None,
        log,
    }
}

fn flip_one_payload_byte(path: &Path, position: i64) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    let (stream, payload): (String, String) = conn
        .query_row(
            "SELECT stream_id, payload FROM events WHERE position = ?1",
            [position],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let flipped = payload.replacen('"', "'", 1);
    conn.execute(
        "UPDATE events SET payload = ?1 WHERE position = ?2",
        rusqlite::params![flipped, position],
    )
    .unwrap();
    stream
}

#[tokio::test]
async fn verify_passes_on_an_untouched_store_and_names_the_stream_of_a_flipped_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path()).await;
    let verdict = verify(&verify_args(at_store(&path), None))
        .await
        .expect("an untouched log verifies");
    assert!(verdict.starts_with("intact"), "{verdict}");
    let stream = flip_one_payload_byte(&path, 7);
    let error = verify(&verify_args(at_store(&path), None))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&stream) && error.contains("(position 7)"),
        "{error}"
    );
}

#[tokio::test]
async fn an_export_verifies_offline_and_a_corrupted_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path()).await;
    let out = dir.path().join("export.ndjson");
    export(ExportArgs {
        stream: None,
        out: Some(out.clone()),
        filter: FilterArgs::default(),
        log: at_store(&path),
    })
    .await
    .unwrap();
    verify_file(&out, None).expect("a fresh export verifies");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen("\"version\":", "\"version\": 9", 1);
    std::fs::write(&out, lines.join("\n") + "\n").unwrap();
    let error = verify_file(&out, None).unwrap_err().to_string();
    assert!(error.contains("line 3"), "{error}");
}

#[tokio::test]
async fn a_whole_log_export_is_checked_offline_against_the_keys_the_auditor_trusts() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path()).await;
    // The heads the command service would have signed beside the store.
    let store = Arc::new(SqliteEventStore::open(&path).unwrap());
    let heads = es_core::heads::HeadsSettings::in_dir(dir.path());
    es_core::heads::HeadSigner::open(store.clone(), heads.clone())
        .unwrap()
        .run(async {})
        .await;
    let Ok(store) = Arc::try_unwrap(store) else {
        panic!("the signer kept the store")
    };
    store.close().await;
    let out = dir.path().join("export.ndjson");
    export(ExportArgs {
        stream: None,
        out: Some(out.clone()),
        filter: FilterArgs::default(),
        log: at_store(&path),
    })
    .await
    .unwrap();

    let verdict = verify_file(&out, Some(&heads.trusted)).expect("signed by a trusted key");
    assert!(verdict.contains("witnessed (key "), "{verdict}");
    let stranger = dir.path().join("stranger");
    let other = es_core::heads::HeadKey::load_or_create(&stranger.join("heads.key")).unwrap();
    es_core::heads::TrustedKeys::remember(&stranger.join("heads.pub"), &other.trusted()).unwrap();
    let error = verify_file(&out, Some(&stranger.join("heads.pub")))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("not vouched for by your trusted keys"),
        "{error}"
    );
}

#[tokio::test]
async fn a_store_is_verified_against_heads_kept_elsewhere_with_the_keys_the_auditor_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path()).await;
    // Heads witnessed away from the store (as copied from the Kafka heads topic).
    let elsewhere = dir.path().join("from-kafka");
    let heads = es_core::heads::HeadsSettings::in_dir(&elsewhere);
    let store = Arc::new(SqliteEventStore::open(&path).unwrap());
    es_core::heads::HeadSigner::open(store.clone(), heads.clone())
        .unwrap()
        .run(async {})
        .await;
    let Ok(store) = Arc::try_unwrap(store) else {
        panic!("the signer kept the store")
    };
    store.close().await;
    let with = |witness: &Path, trusted: &Path| VerifyArgs {
        heads: Some(witness.to_owned()),
        trusted_keys: Some(trusted.to_owned()),
        ..verify_args(at_store(&path), None)
    };

    let beside = verify(&verify_args(at_store(&path), None)).await.unwrap();
    assert!(
        beside.contains("no signed head witnessed it yet"),
        "{beside}"
    );
    let verdict = verify(&with(&heads.witness, &heads.trusted)).await.unwrap();
    assert!(
        verdict.contains("the log is the one its signed heads witnessed"),
        "{verdict}"
    );
    let stranger = dir.path().join("stranger");
    let other = es_core::heads::HeadKey::load_or_create(&stranger.join("heads.key")).unwrap();
    es_core::heads::TrustedKeys::remember(&stranger.join("heads.pub"), &other.trusted()).unwrap();
    let error = verify(&with(&heads.witness, &stranger.join("heads.pub")))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the log is not the one witnessed"),
        "{error}"
    );
}

#[tokio::test]
async fn auditing_a_store_file_never_writes_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path()).await;
    let before = std::fs::read(&path).unwrap();
    let mut out = Vec::new();
    let args = HistoryArgs {
        stream: None,
        filter: FilterArgs::default(),
        after: 0,
        limit: 1000,
        all_pages: true,
        json: true,
        log: at_store(&path),
    };
    history(args, &mut out).await.unwrap();
    verify(&verify_args(at_store(&path), None)).await.unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is unchanged"
    );
    assert!(
        !path.with_file_name("keys.db").exists(),
        "no key store is created"
    );
}

#[tokio::test]
async fn an_unknown_stream_or_a_missing_store_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = verify(&verify_args(at_store(&dir.path().join("nope.db")), None))
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("no event store at"),
        "{missing}"
    );
    let path = store_file(dir.path()).await;
    let unknown = verify(&verify_args(at_store(&path), Some("customer-nobody")))
        .await
        .unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("unknown stream `customer-nobody`"),
        "{unknown}"
    );
    let no_platform = verify(&verify_args(
        LogArgs {
            store: None,
            keys: None,
            command_url: "http://127.0.0.1:9".into(),
            credentials: Credentials {
                token: Some("any".into()),
                token_url: None,
                client_id: None,
                client_secret: None,
                data: PathBuf::from("/nonexistent"),
            },
        },
        None,
    ))
    .await
    .unwrap_err();
    assert!(
        format!("{no_platform:#}").contains("no command service answers"),
        "{no_platform:#}"
    );
}

/// The first event of the log and its stream's length.
async fn first_stream(store: &dyn EventStore) -> (es_core::EventEnvelope, u64) {
    let first = store.read_all(0, 1).await.unwrap().remove(0);
    let length = store
        .read_stream(&first.stream_id, 1, 10_000)
        .await
        .unwrap()
        .len() as u64;
    (first, length)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_platform_and_its_store_file_give_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = crate::platform::PlatformConfig::ephemeral(data.clone());
    let platform = crate::platform::Platform::start(config).await.unwrap();
    crate::platform::load_benchmark_data(&platform)
        .await
        .unwrap();
    let (first, length) = first_stream(platform.store.as_ref()).await;
    let file = data.join("events.db");

    let mut answers = Vec::new();
    for log in [at_platform(&platform), at_store(&file)] {
        let mut out = Vec::new();
        let args = HistoryArgs {
            stream: Some(first.stream_id.clone()),
            filter: FilterArgs::default(),
            after: 0,
            limit: 1000,
            all_pages: false,
            json: true,
            log,
        };
        history(args, &mut out).await.unwrap();
        answers.push(String::from_utf8(out).unwrap());
    }
    assert_eq!(answers[0], answers[1]);
    let lines: Vec<serde_json::Value> = answers[0]
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, length);
    assert_eq!(lines[0]["event_id"], first.event_id.to_string());
    let keys: Vec<&str> = lines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(keys.contains(&"causation_id") && keys.contains(&"prev_hash"));
    platform.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_diff_and_trace_answer_from_a_running_platform() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::platform::PlatformConfig::ephemeral(dir.path().join("data"));
    let platform = crate::platform::Platform::start(config).await.unwrap();
    crate::platform::load_benchmark_data(&platform)
        .await
        .unwrap();
    let (first, length) = first_stream(platform.store.as_ref()).await;

    let mut out = Vec::new();
    let args = StateArgs {
        stream: first.stream_id.clone(),
        version: Some(1),
        at: None,
        json: true,
        log: at_platform(&platform),
    };
    state(args, &mut out).await.unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(answer["version"], 1);
    assert_eq!(answer["current_version"], length);
    assert!(answer["state"].is_object(), "{answer}");

    let mut out = Vec::new();
    let args = DiffArgs {
        stream: first.stream_id.clone(),
        from: 0,
        to: None,
        json: false,
        log: at_platform(&platform),
    };
    diff(args, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with(&format!("{} v0 → v{length}", first.stream_id)),
        "{text}"
    );

    let mut out = Vec::new();
    let args = TraceArgs {
        correlation_id: first.correlation_id.clone(),
        json: false,
        log: at_platform(&platform),
    };
    trace(args, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(&first.stream_id), "{text}");

    let bad = StateArgs {
        stream: first.stream_id.clone(),
        version: Some(length + 5),
        at: None,
        json: false,
        log: at_platform(&platform),
    };
    let refused = state(bad, &mut Vec::new()).await.unwrap_err().to_string();
    assert!(refused.starts_with("version:"), "{refused}");
    platform.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_started_from_the_cli_switches_to_a_new_generation() {
    use contracts::v1::ProjectionStatusRequest;
    use contracts::v1::query_client::QueryClient;

    let dir = tempfile::tempdir().unwrap();
    let config = crate::platform::PlatformConfig::ephemeral(dir.path().join("data"));
    let platform = crate::platform::Platform::start(config).await.unwrap();
    crate::platform::load_benchmark_data(&platform)
        .await
        .unwrap();
    let url = format!("http://{}", platform.query_addr);
    let client_as = |token: String| {
        let url = url.clone();
        async move {
            let channel = crate::token::endpoint(&url)
                .unwrap()
                .connect()
                .await
                .unwrap();
            QueryClient::new(identity::grpc::authed(channel, &token).unwrap())
        }
    };
    let auditor = as_role(&platform, identity::Role::Auditor);
    let refused = rebuild(client_as(auditor).await, vec!["customers".into()])
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("admits"), "{refused}");
    let admin = as_role(&platform, identity::Role::Admin);
    rebuild(client_as(admin.clone()).await, vec!["customers".into()])
        .await
        .expect("rebuilt");
    let mut query = QueryClient::new(
        platform
            .channel_as(platform.query_addr, "kate", identity::Role::Auditor)
            .await
            .unwrap(),
    );
    let status = query
        .projection_status(ProjectionStatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    let customers = status
        .projectors
        .iter()
        .find(|p| p.name == "customers")
        .unwrap();
    assert!(!customers.rebuilding);
    assert_eq!(customers.generation, 2);
    let unknown = rebuild(client_as(admin).await, vec!["no_such_model".into()])
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("refused"), "{unknown}");
    platform.stop().await.unwrap();
}

/// An identity provider's token endpoint for one test: answers every request with
/// `token` and hands back each request's form body.
async fn token_endpoint(token: String) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    let (bodies, received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let request = identity::testing::read_request(&mut socket).await;
            let body = request
                .split_once("\r\n\r\n")
                .unwrap_or_default()
                .1
                .to_owned();
            bodies.send(body).unwrap();
            let answer = serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": 300}).to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            socket.write_all(response.as_bytes()).await.unwrap();
        }
    });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_cli_signs_in_with_client_credentials_as_a_service_identity() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::platform::PlatformConfig::ephemeral(dir.path().join("data"));
    let platform = crate::platform::Platform::start(config).await.unwrap();
    crate::platform::load_benchmark_data(&platform)
        .await
        .unwrap();
    let (first, _) = first_stream(platform.store.as_ref()).await;
    // What the identity provider issues its `pitlane-audit` client's service account.
    let issued = platform
        .token(&identity::TokenRequest::new(
            "service-account-pitlane-audit",
            identity::Role::Auditor,
        ))
        .unwrap();
    let (token_url, mut bodies) = token_endpoint(issued).await;
    let mut log = at_platform(&platform);
    log.credentials = Credentials {
        token: None,
        token_url: Some(token_url),
        client_id: Some("pitlane-audit".into()),
        client_secret: Some("s3cret".into()),
        data: PathBuf::from("/nonexistent"),
    };
    assert!(!format!("{:?}", log.credentials).contains("s3cret"));

    let mut out = Vec::new();
    let args = HistoryArgs {
        stream: Some(first.stream_id.clone()),
        filter: FilterArgs::default(),
        after: 0,
        limit: 1000,
        all_pages: false,
        json: true,
        log,
    };
    history(args, &mut out)
        .await
        .expect("the history, as the client's service account");
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains(&first.event_id.to_string())
    );
    let form = bodies.recv().await.unwrap();
    for field in [
        "grant_type=client_credentials",
        "client_id=pitlane-audit",
        "client_secret=s3cret",
    ] {
        assert!(form.contains(field), "{form}");
    }
    platform.stop().await.unwrap();
}
