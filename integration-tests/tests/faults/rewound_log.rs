//! A log that goes back in time — the event store restored from an older backup, or a
//! tail cut off — while the read models remember more: the projections stop applying
//! and report it, instead of serving events the log no longer has with lag 0.

use std::path::Path;
use std::time::Duration;

use contracts::v1::ProjectionStatusRequest;
use contracts::v1::query_client::QueryClient;
use pitlane::platform::{Platform, PlatformConfig};

async fn register_drivers(platform: &Platform, count: usize) {
    use contracts::v1::RegisterDriverRequest;
    use contracts::v1::fleet_commands_client::FleetCommandsClient;
    let channel = platform
        .channel_as(platform.command_addr, "dan", identity::Role::Dispatcher)
        .await
        .unwrap();
    let mut fleet = FleetCommandsClient::new(channel);
    for n in 0..count {
        fleet
            .register_driver(RegisterDriverRequest {
                driver_id: uuid::Uuid::now_v7().to_string(),
                name: format!("Driver {n}"),
                driving_licence_number: format!("LIC{n:05}"),
                idempotency_key: None,
            })
            .await
            .unwrap();
    }
}

/// A consistent backup of the live store, as an operator takes one.
fn back_up(data: &Path, backup: &Path) {
    let conn = rusqlite::Connection::open(data.join("events.db")).unwrap();
    conn.execute("VACUUM INTO ?1", [backup.to_str().unwrap()])
        .unwrap();
}

/// The backup put back in place of the store.
fn restore(backup: &Path, data: &Path) {
    for name in ["events.db-wal", "events.db-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    std::fs::copy(backup, data.join("events.db")).unwrap();
}

/// A platform that held `before + after` drivers' events, stopped, its store then
/// replaced by a backup taken after the first `before`: the read models stay ahead.
/// Returns the temporary directory and the data directory inside it.
async fn restored_older_log(
    before: usize,
    after: usize,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backup = dir.path().join("backup.db");
    let platform = Platform::start(PlatformConfig::ephemeral(data.clone()))
        .await
        .unwrap();
    register_drivers(&platform, before).await;
    back_up(&data, &backup);
    register_drivers(&platform, after).await;
    let all = (before + after) as u64;
    assert!(
        platform
            .read_models
            .wait_for(all, Duration::from_secs(10))
            .await,
        "the read models hold all {all} events"
    );
    platform.stop().await.unwrap();
    // The store's writer thread finishes after the services have stopped.
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The operator restores the older backup of the log; the read models stay.
    restore(&backup, &data);
    (dir, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_models_ahead_of_a_restored_older_log_stop_and_say_where_the_log_ends() {
    let (_dir, data) = restored_older_log(3, 4).await;

    let platform = Platform::start(PlatformConfig::ephemeral(data.clone()))
        .await
        .unwrap();
    let mut query = QueryClient::new(
        platform
            .channel_as(platform.query_addr, "olga", identity::Role::Auditor)
            .await
            .unwrap(),
    );
    let mut reported = None;
    for _ in 0..50 {
        let status = query
            .projection_status(ProjectionStatusRequest::default())
            .await
            .unwrap()
            .into_inner();
        let error = status.projectors[0].last_error.clone();
        if error.contains("the log ends at position 3") {
            reported = Some(error);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reported = reported.unwrap_or_else(|| {
        panic!(
            "not reported: {:?} {:?}",
            platform.read_models.snapshot(),
            platform.store.head().borrow().clone()
        )
    });
    assert!(reported.contains("up to position 7"), "{reported}");
    let snapshot = platform.read_models.snapshot();
    assert_eq!(
        snapshot.state,
        es_core::projection::RuntimeState::Diverged,
        "not ready while the log is behind them"
    );

    // The auditors' verify: every chain of the restored log holds, but the heads
    // signed before the restore say what is missing.
    let verdict = verify_all(&platform).await;
    assert!(verdict.first_break.is_none(), "{verdict:?}");
    let witness = verdict.witness.expect("checked against the signed heads");
    assert_eq!(witness.problem_kind, "missing", "{witness:?}");
    assert!(
        witness.problem.starts_with(&format!(
            "the log ends at position 3, but its head was signed at position 7 on {}: events 4 to 7 are missing",
            witness.newest_signed_at
        )),
        "{}",
        witness.problem
    );

    // The operator has seen it and rebuilds: the read models become the restored log's.
    let admin = platform
        .channel_as(platform.query_addr, "ada", identity::Role::Admin)
        .await
        .unwrap();
    QueryClient::new(admin)
        .rebuild_read_models(contracts::v1::RebuildReadModelsRequest::default())
        .await
        .expect("a rebuild starts");
    agree_with_the_log(&platform, 3).await;
    platform.stop().await.unwrap();
}

/// Waits until the live read models run again at `position` and list exactly the
/// drivers the log holds there.
async fn agree_with_the_log(platform: &Platform, drivers: u64) {
    use contracts::v1::ListDriversRequest;
    for _ in 0..100 {
        let snapshot = platform.read_models.snapshot();
        if snapshot.state == es_core::projection::RuntimeState::Running
            && snapshot.position == drivers
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let snapshot = platform.read_models.snapshot();
    assert_eq!(
        (
            snapshot.state,
            snapshot.position,
            snapshot.last_error.clone()
        ),
        (es_core::projection::RuntimeState::Running, drivers, None),
        "{snapshot:?}"
    );
    let channel = platform
        .channel_as(platform.query_addr, "dan", identity::Role::Dispatcher)
        .await
        .unwrap();
    let listed = QueryClient::new(channel)
        .list_drivers(ListDriversRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.page.map(|p| p.total),
        Some(drivers),
        "the read models hold the log's drivers, no more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_to_rebuild_the_read_models_become_the_restored_log_by_themselves() {
    let (_dir, data) = restored_older_log(2, 3).await;

    let config = PlatformConfig {
        on_diverged: query::config::OnDiverged::Rebuild,
        ..PlatformConfig::ephemeral(data.clone())
    };
    let platform = Platform::start(config).await.unwrap();

    agree_with_the_log(&platform, 2).await;
    platform.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_models_over_a_restored_log_written_past_their_checkpoint_stop_at_the_differing_event()
{
    let (_dir, data) = restored_older_log(3, 4).await;

    // Back up on the older log, which clients write to: it grows past position 7 with
    // events the read models have never seen at positions 4 to 7.
    let platform = Platform::start(PlatformConfig::ephemeral(data.clone()))
        .await
        .unwrap();
    register_drivers(&platform, 6).await;
    assert_eq!(*platform.store.head().borrow(), 9);

    let mut reported = None;
    for _ in 0..100 {
        let snapshot = platform.read_models.snapshot();
        if let Some(error) = snapshot.last_error.as_deref()
            && error.contains("event at position 7 is not the one the read models applied")
        {
            reported = Some(snapshot);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reported =
        reported.unwrap_or_else(|| panic!("not reported: {:?}", platform.read_models.snapshot()));
    assert_eq!(
        reported.position, 7,
        "nothing applied past the read models' event 7"
    );
    assert_ne!(reported.state, es_core::projection::RuntimeState::Running);
    platform.stop().await.unwrap();
}

/// `Audit.Verify` of `$all`, as `pitlane audit verify` asks it.
async fn verify_all(platform: &Platform) -> contracts::v1::VerifyReport {
    use contracts::v1::audit_client::AuditClient;
    use contracts::v1::{VerifyRequest, verify_update};
    let channel = platform
        .channel_as(platform.command_addr, "olga", identity::Role::Auditor)
        .await
        .unwrap();
    let mut updates = AuditClient::new(channel)
        .verify(VerifyRequest::default())
        .await
        .unwrap()
        .into_inner();
    while let Some(update) = updates.message().await.unwrap() {
        if let Some(verify_update::Update::Report(report)) = update.update {
            return *report;
        }
    }
    panic!("no report")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_is_verified_against_the_heads_signed_while_it_grew_and_on_stop() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let platform = Platform::start(PlatformConfig::ephemeral(data.clone()))
        .await
        .unwrap();
    register_drivers(&platform, 5).await;
    platform.stop().await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let platform = Platform::start(PlatformConfig::ephemeral(data.clone()))
        .await
        .unwrap();
    let verdict = verify_all(&platform).await;
    let witness = verdict.witness.expect("checked against the signed heads");
    assert_eq!(witness.problem, "", "{witness:?}");
    assert_eq!(
        witness.newest_position, 5,
        "the head signed on stop covers every write"
    );
    assert!(witness.heads_checked >= 1);
    platform.stop().await.unwrap();
}
