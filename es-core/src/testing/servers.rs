//! Real servers for integration tests (issue 6): `scripts/test-infra.sh up` starts
//! Redis, a MongoDB-wire server and a Kafka-protocol broker on private ports and prints
//! their addresses as environment variables; tests read them through [`server_url`].
//!
//! A test that needs a server the environment does not name **fails** under `CI=true`
//! (CI starts every server, so a missing one is a broken CI, not a reason to pass) and
//! is skipped with a printed reason otherwise (a laptop without the servers).

/// The value of `variable` (e.g. `REDIS_URL`), or `None` after printing why the calling
/// test is skipped. Panics under `CI=true` when it is missing.
pub fn server_url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ if running_in_ci() => panic!(
            "{variable} is not set, and CI=true: CI must start the real servers \
             (`eval \"$(scripts/test-infra.sh env)\"` after `scripts/test-infra.sh up`)"
        ),
        _ => {
            eprintln!(
                "skipped: {variable} is not set (run `scripts/test-infra.sh up` and \
                 `eval \"$(scripts/test-infra.sh env)\"` to run this test on a real server)"
            );
            None
        }
    }
}

/// Like [`server_url`], for servers that cannot run on every machine (SQL Server):
/// skipped with a printed reason when missing, even under `CI=true`.
pub fn optional_server_url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => {
            eprintln!("skipped: {variable} is not set (no such server on this machine)");
            None
        }
    }
}

fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}
