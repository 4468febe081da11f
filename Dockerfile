# syntax=docker/dockerfile:1
#
# One image for the three services: `pitlane command`, `pitlane query`, `pitlane bff`
# (and `pitlane up`, the embedded platform). docker-compose.yaml runs one container per
# service. Needs BuildKit (the default builder of Docker 23+ and of `docker compose`).

# ---------------------------------------------------------------------------- builder
FROM rust:1-bookworm AS builder

# librdkafka is built from source by the rdkafka-sys crate (mklove build, default
# features `libz` + rdkafka's `tracing`): a C and a C++ compiler (it builds librdkafka++
# too), make, bash, pkg-config and zlib headers. No cmake, OpenSSL, SASL or zstd: those
# features are off. All already ship with rust:1-bookworm; listed to make them explicit.
# Versions are those of bookworm's archive (pinning exact ones breaks on its updates).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc g++ make pkg-config zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*

# The gRPC health probe for the command and query services' healthchecks (they serve the
# standard grpc.health.v1 protocol). Pinned version; the amd64 checksum is pinned too.
ARG GRPC_HEALTH_PROBE_VERSION=v0.4.37
ARG GRPC_HEALTH_PROBE_SHA256_AMD64=8302d54fc41d4ffbfea6871b6a04584265d5eabbe738aee2966f9a574b6f17d1
ARG TARGETARCH
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN arch="${TARGETARCH:-$(dpkg --print-architecture)}" \
    && curl -fsSL -o /usr/local/bin/grpc_health_probe \
        "https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/${GRPC_HEALTH_PROBE_VERSION}/grpc_health_probe-linux-${arch}" \
    && if [ "$arch" = amd64 ]; then \
        echo "${GRPC_HEALTH_PROBE_SHA256_AMD64}  /usr/local/bin/grpc_health_probe" | sha256sum -c -; \
    else \
        echo "warning: grpc_health_probe for ${arch} is not checksum-pinned"; \
    fi \
    && chmod 0755 /usr/local/bin/grpc_health_probe

WORKDIR /src

# Dependencies first: manifests and lock file only, with stub targets, so this layer
# (every crate downloaded) is rebuilt only when a manifest or Cargo.lock changes.
COPY Cargo.toml Cargo.lock ./
COPY es-core/Cargo.toml es-core/
COPY contracts/Cargo.toml contracts/
COPY command/Cargo.toml command/
COPY query/Cargo.toml query/
COPY bff/Cargo.toml bff/
COPY integration-tests/Cargo.toml integration-tests/
RUN for crate in . es-core contracts command query bff integration-tests; do \
        mkdir -p "$crate/src" && touch "$crate/src/lib.rs"; \
    done \
    && echo 'fn main() {}' > src/main.rs \
    && cargo fetch --locked

# Then the sources. The target folder is a build cache (kept between builds, not in
# the image), so a source change recompiles the workspace crates, not the dependencies.
COPY . .
RUN --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin pitlane \
    && install -m 0755 target/release/pitlane /usr/local/bin/pitlane

# ---------------------------------------------------------------------------- runtime
FROM debian:bookworm-slim AS runtime

# ca-certificates: trust roots for TLS connections to the servers, when their URLs ask
# for TLS; curl: the BFF's healthcheck. librdkafka is linked statically; the one shared
# library it needs besides libc, zlib (libz.so.1), is part of the base image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 pitlane \
    && useradd --system --uid 10001 --gid pitlane --home-dir /var/lib/pitlane --shell /usr/sbin/nologin pitlane \
    && mkdir -p /var/lib/pitlane/keys /var/lib/pitlane/data \
    && chown -R pitlane:pitlane /var/lib/pitlane

COPY --from=builder /usr/local/bin/grpc_health_probe /usr/local/bin/grpc_health_probe
COPY --from=builder /usr/local/bin/pitlane /usr/local/bin/pitlane

# Relative paths (the embedded default `data/…`) land here. keys/ and data/ are where
# compose mounts the command service's volumes (its key store, PITLANE_KEY_STORE, and
# its signed log heads); created here so a fresh named volume is owned by the non-root
# user.
WORKDIR /var/lib/pitlane
# Numeric, so runtimes that check for a non-root user (runAsNonRoot) can tell.
USER 10001:10001

ENV RUST_LOG=info
# REST (BFF), gRPC command service, gRPC query service.
EXPOSE 8080 50051 50052

# `docker run -p 8080:8080 IMAGE` runs the embedded platform (REST on all interfaces,
# gRPC on loopback); compose runs `command`, `query` and `bff` instead.
ENTRYPOINT ["pitlane"]
CMD ["up", "--rest-addr", "0.0.0.0:8080"]
