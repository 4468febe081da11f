//! `kill -9` under load (issue 13): the platform runs in a child process (this test
//! binary again, running only `the_platform_of_a_kill_test`) while clients write; it is
//! killed without warning, and every write it acknowledged must be in the log exactly
//! once, every chain intact, and the next platform on the directory must start.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use contracts::v1::RegisterDriverRequest;
use contracts::v1::fleet_commands_client::FleetCommandsClient;
use es_core::audit::{self, NoProgress, Scope};
use pitlane::platform::{Platform, PlatformConfig};

/// Where the child says its command service listens.
const ADDRESS_FILE: &str = "command-address";
const CHILD_DATA: &str = "PITLANE_KILL_TEST_DATA";

/// The child: the whole platform on the directory the parent names, until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of `acknowledged_writes_survive_kill_9_under_load`, which runs it"]
async fn the_platform_of_a_kill_test() {
    let data = PathBuf::from(std::env::var(CHILD_DATA).expect("run by the kill test"));
    let platform = Platform::start(PlatformConfig::ephemeral(data.clone()))
        .await
        .expect("the platform starts");
    let written = data.join(format!("{ADDRESS_FILE}.tmp"));
    std::fs::write(&written, platform.command_addr.to_string()).unwrap();
    std::fs::rename(written, data.join(ADDRESS_FILE)).unwrap();
    std::future::pending::<()>().await;
}

fn start_child(data: &Path) -> Child {
    let _ = std::fs::remove_file(data.join(ADDRESS_FILE));
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_nine::the_platform_of_a_kill_test",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_DATA, data)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the child starts")
}

async fn command_address(data: &Path) -> String {
    for _ in 0..300 {
        if let Ok(address) = std::fs::read_to_string(data.join(ADDRESS_FILE)) {
            return address;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the child platform did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut child = start_child(&data);
    let address = command_address(&data).await;

    // The child's development issuer (its key is in the data directory) mints the token.
    let auth = identity::AuthSettings::development(&data)
        .open("kill-test")
        .unwrap();
    let mut request = identity::TokenRequest::new("dan", identity::Role::Dispatcher);
    request.roles = vec![identity::Role::Dispatcher];
    let token = auth.mint_with(&request).unwrap();
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let channel = identity::grpc::authed(channel, &token).unwrap();

    let killed = Arc::new(AtomicBool::new(false));
    let writers = (0..16).map(|writer| {
        let mut fleet = FleetCommandsClient::new(channel.clone());
        let killed = killed.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0.. {
                if killed.load(Ordering::Relaxed) {
                    break;
                }
                let id = uuid::Uuid::now_v7().to_string();
                let written = fleet
                    .register_driver(RegisterDriverRequest {
                        driver_id: id.clone(),
                        name: format!("Driver {writer}-{n}"),
                        driving_licence_number: format!("LIC{writer:02}{n:05}"),
                        idempotency_key: None,
                    })
                    .await;
                match written {
                    Ok(_) => acknowledged.push(id),
                    Err(_) => break,
                }
            }
            acknowledged
        })
    });
    let writers: Vec<_> = writers.collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // SIGKILL: no shutdown, no flush, no last head.
    child.kill().unwrap();
    child.wait().unwrap();
    killed.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(
        acknowledged.len() > 50,
        "the platform was under load: {}",
        acknowledged.len()
    );

    // The store as the killed process left it, read as stored.
    let events = data.join("events.db");
    let report = audit::verify(audit::Source::SqliteFile(&events), &Scope::All, NoProgress)
        .await
        .unwrap();
    assert!(report.is_intact(), "{report:?}");
    let platform = Platform::start(PlatformConfig::ephemeral(data.clone()))
        .await
        .expect("the next platform starts on the directory");
    let stored: Vec<String> = platform
        .store
        .read_all(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "driver.registered.v1")
        .map(|e| e.payload["driver_id"].as_str().unwrap().to_owned())
        .collect();
    let unique: std::collections::HashSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "no write is stored twice");
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !unique.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes are lost: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    platform.stop().await.unwrap();
}
