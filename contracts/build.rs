//! Compiles the `.proto` files with protox (pure Rust), so building needs no system
//! `protoc`. Also writes the encoded descriptor set for gRPC server reflection.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTO_ROOT: &str = "proto";
const PROTOS: &[&str] = &[
    "pitlane/v1/common.proto",
    "pitlane/v1/enums.proto",
    "pitlane/v1/events.proto",
    "pitlane/v1/command.proto",
    "pitlane/v1/query.proto",
    "pitlane/v1/audit.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");

    // protox ships google/protobuf/*.proto itself and includes imports in the set,
    // so reflection clients can resolve google.protobuf.Timestamp too.
    let fds = protox::compile(PROTOS, [PROTO_ROOT])?;

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("pitlane_descriptor.bin"), fds.encode_to_vec())?;

    // Well-known types map to prost_types (prost-build's default extern path).
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // The report (with its witness check) is much larger than a progress update.
        .boxed(".pitlane.v1.VerifyUpdate.update.report")
        .compile_fds(fds)?;
    Ok(())
}
