//! The `LockManager` contract: one suite every lock backend runs, through
//! `lock_manager_contract_tests!(factory)` (an async fn returning a fresh manager and a
//! guard that must outlive it). A backend on a real server returns
//! `Option<LocksUnderTest>` instead: `None` (after `testing::servers::server_url` printed
//! why) skips the case on a machine without that server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::lock::{LockError, LockManager, acquire, acquire_all, release_all};

/// A fresh lock manager, and whatever must outlive it.
pub struct LocksUnderTest {
    pub locks: Arc<dyn LockManager>,
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

#[macro_export]
macro_rules! lock_manager_contract_tests {
    ($factory:path) => {
        $crate::__lock_manager_contract_cases!(
            $factory,
            a_held_lock_cannot_be_acquired_by_another,
            only_the_token_holder_can_release,
            an_expired_lock_can_be_taken_over_and_the_old_holder_cannot_release_it,
            fencing_numbers_strictly_increase_per_resource,
            waiting_acquires_a_lock_once_released_and_times_out_otherwise,
            of_two_racing_clients_only_one_holds_the_lock_at_a_time,
            acquiring_several_resources_is_all_or_nothing,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __lock_manager_contract_cases {
    ($factory:path, $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                // `LocksUnderTest` or `Option<LocksUnderTest>`: std's `From<T> for Option<T>`.
                let under_test: ::std::option::Option<$crate::testing::lock_contract::LocksUnderTest> =
                    ::std::convert::Into::into($factory().await);
                let ::std::option::Option::Some(under_test) = under_test else {
                    return;
                };
                $crate::testing::lock_contract::$case(under_test.locks.clone()).await;
                drop(under_test);
            }
        )+
    };
}

const TTL: Duration = Duration::from_secs(10);

pub async fn a_held_lock_cannot_be_acquired_by_another(locks: Arc<dyn LockManager>) {
    let lease = locks.try_acquire("driver:1", TTL).await.unwrap();
    assert!(lease.is_some());
    assert_eq!(locks.try_acquire("driver:1", TTL).await.unwrap(), None);
    assert!(
        locks.try_acquire("driver:2", TTL).await.unwrap().is_some(),
        "other resources are independent"
    );
}

pub async fn only_the_token_holder_can_release(locks: Arc<dyn LockManager>) {
    let lease = locks.try_acquire("van:1", TTL).await.unwrap().unwrap();
    let mut impostor = lease.clone();
    impostor.token = "not-the-token".into();
    assert!(!locks.release(&impostor).await.unwrap());
    assert_eq!(
        locks.try_acquire("van:1", TTL).await.unwrap(),
        None,
        "still held"
    );
    assert!(locks.release(&lease).await.unwrap());
    assert!(
        !locks.release(&lease).await.unwrap(),
        "a second release is a no-op"
    );
    assert!(locks.try_acquire("van:1", TTL).await.unwrap().is_some());
}

pub async fn an_expired_lock_can_be_taken_over_and_the_old_holder_cannot_release_it(
    locks: Arc<dyn LockManager>,
) {
    let old = locks
        .try_acquire("tech:1", Duration::from_millis(100))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let new = locks
        .try_acquire("tech:1", TTL)
        .await
        .unwrap()
        .expect("an expired lock is free");
    assert!(
        !locks.release(&old).await.unwrap(),
        "the old holder lost it"
    );
    assert_eq!(locks.try_acquire("tech:1", TTL).await.unwrap(), None);
    assert!(new.fencing > old.fencing);
}

pub async fn fencing_numbers_strictly_increase_per_resource(locks: Arc<dyn LockManager>) {
    let mut last = 0;
    for _ in 0..5 {
        let lease = locks.try_acquire("driver:9", TTL).await.unwrap().unwrap();
        assert!(lease.fencing > last, "{} after {last}", lease.fencing);
        last = lease.fencing;
        assert!(locks.release(&lease).await.unwrap());
    }
}

pub async fn waiting_acquires_a_lock_once_released_and_times_out_otherwise(
    locks: Arc<dyn LockManager>,
) {
    let held = locks.try_acquire("van:7", TTL).await.unwrap().unwrap();
    let error = acquire(locks.as_ref(), "van:7", TTL, Duration::from_millis(150))
        .await
        .expect_err("fails closed");
    assert_eq!(error, LockError::Timeout("van:7".into()));
    let releaser = {
        let locks = locks.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            locks.release(&held).await.unwrap()
        })
    };
    let lease = acquire(locks.as_ref(), "van:7", TTL, Duration::from_secs(5))
        .await
        .expect("acquired after release");
    assert!(releaser.await.unwrap());
    assert_eq!(lease.resource, "van:7");
}

pub async fn of_two_racing_clients_only_one_holds_the_lock_at_a_time(locks: Arc<dyn LockManager>) {
    let inside = Arc::new(AtomicBool::new(false));
    let clients = (0..2).map(|_| {
        let locks = locks.clone();
        let inside = inside.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                let lease = acquire(locks.as_ref(), "driver:race", TTL, Duration::from_secs(10))
                    .await
                    .expect("acquire");
                assert!(!inside.swap(true, Ordering::SeqCst), "two holders at once");
                tokio::time::sleep(Duration::from_millis(1)).await;
                inside.store(false, Ordering::SeqCst);
                assert!(locks.release(&lease).await.unwrap());
            }
        })
    });
    for client in futures::future::join_all(clients).await {
        client.expect("client ran without a double hold");
    }
}

pub async fn acquiring_several_resources_is_all_or_nothing(locks: Arc<dyn LockManager>) {
    let resources = vec![
        "van:2".to_owned(),
        "driver:2".to_owned(),
        "van:2".to_owned(),
    ];
    let leases = acquire_all(locks.as_ref(), &resources, TTL, Duration::from_secs(1))
        .await
        .expect("all free");
    let names: Vec<&str> = leases.iter().map(|l| l.resource.as_str()).collect();
    assert_eq!(names, vec!["driver:2", "van:2"], "sorted and deduplicated");

    let blocker = locks.try_acquire("van:3", TTL).await.unwrap().unwrap();
    let wanted = vec!["driver:3".to_owned(), "van:3".to_owned()];
    let error = acquire_all(locks.as_ref(), &wanted, TTL, Duration::from_millis(100))
        .await
        .expect_err("van:3 is held");
    assert_eq!(error, LockError::Timeout("van:3".into()));
    assert!(
        locks.try_acquire("driver:3", TTL).await.unwrap().is_some(),
        "driver:3 was released when van:3 could not be had"
    );
    release_all(locks.as_ref(), &leases).await;
    assert!(locks.release(&blocker).await.unwrap());
}
