//! What the root tests share.

use std::process::Command;

/// The `pitlane` binary.
pub const PITLANE: &str = env!("CARGO_BIN_EXE_pitlane");

/// `program` as on a machine with no servers and no platform settings: none of the
/// platform's variables pass from the test's environment. `scripts/test-infra.sh env`
/// exports `REDIS_URL` and `KAFKA_BROKERS` for the suites that want its servers; a
/// platform started by a root test would otherwise take them up, and every such platform
/// would share one Redis (and its remembered consistency tokens) with the others
/// running at the same time.
pub fn clean(program: &str) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if is_platform_setting(name) {
            command.env_remove(name);
        }
    }
    command
}

/// `pitlane` on the embedded default (see [`clean`]).
pub fn pitlane() -> Command {
    clean(PITLANE)
}

fn is_platform_setting(name: &str) -> bool {
    const PREFIXES: [&str; 5] = ["PITLANE_", "AUTH_", "KAFKA_", "OTEL_", "RUST_LOG"];
    const NAMES: [&str; 5] = [
        "REDIS_URL",
        "EVENT_STORE_URL",
        "READ_STORE_URL",
        "KEY_STORE_URL",
        "MONGO_URL",
    ];
    PREFIXES.iter().any(|prefix| name.starts_with(prefix)) || NAMES.contains(&name)
}
