//! Our gRPC errors as a client outside Rust reads them: Python's standard rich-error
//! decoder (`grpc_status.rpc_status.from_call`, `scripts/rich_errors.py`) against the
//! running platform, with no Pitlane stubs.

use contracts::v1::RegisterDriverRequest;
use pitlane::platform::{Platform, PlatformConfig};
use prost::Message;

/// What `scripts/rich_errors.py` printed for one call.
fn python_reads(
    python: &str,
    address: &str,
    method: &str,
    request: &[u8],
    token: &str,
) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/rich_errors.py");
    let hex: String = request.iter().map(|b| format!("{b:02x}")).collect();
    let output = std::process::Command::new(python)
        .args([script, address, method, &hex, token])
        .output()
        .expect("the Python client runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON report")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pythons_standard_decoder_reads_the_reason_and_the_field_of_a_refused_command() {
    let Some(python) = es_core::testing::servers::server_url("GRPC_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let platform = Platform::start(PlatformConfig::ephemeral(dir.path().join("data")))
        .await
        .unwrap();
    let token = platform
        .token(&identity::TokenRequest::new(
            "dan",
            identity::Role::Dispatcher,
        ))
        .unwrap();
    let request = RegisterDriverRequest {
        driver_id: uuid::Uuid::now_v7().to_string(),
        name: "  ".into(),
        driving_licence_number: "LIC00001".into(),
        idempotency_key: None,
    };
    let address = platform.command_addr.to_string();

    let report = tokio::task::spawn_blocking(move || {
        python_reads(
            &python,
            &address,
            "/pitlane.v1.FleetCommands/RegisterDriver",
            &request.encode_to_vec(),
            &token,
        )
    })
    .await
    .unwrap();

    assert_eq!(report["code"], "INVALID_ARGUMENT", "{report}");
    let details = report["details"].as_array().expect("details");
    assert_eq!(
        details[0]["ErrorInfo"]["reason"], "invalid_argument",
        "{report}"
    );
    assert_eq!(details[0]["ErrorInfo"]["domain"], "pitlane.v1", "{report}");
    assert_eq!(
        details[0]["ErrorInfo"]["metadata"]["field"], "name",
        "{report}"
    );
    assert_eq!(details[1]["BadRequest"][0]["field"], "name", "{report}");
    platform.stop().await.unwrap();
}
