//! Disk full (issue 13 §3): the whole platform on a small tmpfs that fills up. Commands
//! fail as unavailable (never as a bad request), readiness says the store does not
//! take appends, no event is parked as a dead letter, and once space is freed writes
//! and projections go on with nothing acknowledged lost. Mounting needs root (CI runs
//! as root); elsewhere the test is skipped with a printed reason.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use contracts::v1::fleet_commands_client::FleetCommandsClient;
use contracts::v1::query_client::QueryClient;
use contracts::v1::{ProjectionStatusRequest, RegisterDriverRequest};
use pitlane::platform::{Platform, PlatformConfig};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A tmpfs of `size` mounted on a temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(Tmpfs { dir }),
            Ok(output) => {
                eprintln!(
                    "skipped: cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                None
            }
            Err(error) => {
                eprintln!("skipped: cannot run mount: {error}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a thread of the stopped platform may still hold a file for a moment.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the file system of `dir` with one file until it is full.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    // Whatever fits in less than a chunk, too.
    while file.write_all(&[0u8; 512]).is_ok() {}
    let _ = file.sync_all();
    path
}

fn driver(n: usize) -> RegisterDriverRequest {
    RegisterDriverRequest {
        driver_id: uuid::Uuid::now_v7().to_string(),
        name: format!("Driver {n}"),
        driving_licence_number: format!("LIC{n:05}"),
        idempotency_key: None,
    }
}

async fn store_health(platform: &Platform) -> ServingStatus {
    let channel =
        tonic::transport::Channel::from_shared(format!("http://{}", platform.command_addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: contracts::EVENT_STORE_HEALTH.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status()
}

async fn eventually_health(platform: &Platform, wanted: ServingStatus) -> bool {
    for _ in 0..50 {
        if store_health(platform).await == wanted {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_as_unavailable_parks_nothing_and_recovers_when_space_is_freed() {
    let Some(tmpfs) = Tmpfs::mount("24m") else {
        return;
    };
    let data = tmpfs.path().join("data");
    let platform = Platform::start(PlatformConfig::ephemeral(data.clone()))
        .await
        .expect("the platform starts on the tmpfs");
    let mut fleet = FleetCommandsClient::new(
        platform
            .channel_as(platform.command_addr, "dan", identity::Role::Dispatcher)
            .await
            .unwrap(),
    );
    let mut acknowledged = 0;
    for n in 0..5 {
        fleet
            .register_driver(driver(n))
            .await
            .expect("room to write");
        acknowledged += 1;
    }

    let filler = fill(tmpfs.path());
    let mut refused = None;
    for n in 5..200 {
        match fleet.register_driver(driver(n)).await {
            Ok(_) => acknowledged += 1,
            Err(status) => {
                refused = Some(status);
                break;
            }
        }
    }
    let refused = refused.expect("a write fails once the disk is full");
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    assert!(
        eventually_health(&platform, ServingStatus::NotServing).await,
        "readiness says the store does not take appends"
    );

    std::fs::remove_file(filler).unwrap();
    fleet
        .register_driver(driver(1_000))
        .await
        .expect("writes go on once space is freed");
    acknowledged += 1;
    assert!(
        eventually_health(&platform, ServingStatus::Serving).await,
        "ready again after a successful append"
    );

    let head = *platform.store.head().borrow();
    assert!(
        platform
            .read_models
            .wait_for(head, Duration::from_secs(30))
            .await,
        "the read models catch up: {:?}",
        platform.read_models.snapshot()
    );
    let mut query = QueryClient::new(
        platform
            .channel_as(platform.query_addr, "olga", identity::Role::Auditor)
            .await
            .unwrap(),
    );
    let status = query
        .projection_status(ProjectionStatusRequest::default())
        .await
        .unwrap()
        .into_inner();
    for projector in &status.projectors {
        assert_eq!(
            projector.dead_letter_count, 0,
            "nothing parked: {projector:?}"
        );
        assert_eq!(projector.last_error, "", "no stale error: {projector:?}");
    }
    let registered = platform
        .store
        .read_all(0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_type == "driver.registered.v1")
        .count();
    assert_eq!(
        registered, acknowledged,
        "every acknowledged write is in the log"
    );
    platform.stop().await.unwrap();
}
