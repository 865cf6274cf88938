# roster daemon image: build in the Rust image, run in a slim Debian as a non-root user.
#
#   docker build -t roster .
#   docker run -v roster-state:/state -v "$PWD/examples/acme:/manifests:ro" \
#     -e ROSTER_OPERATOR_TOKEN="$(openssl rand -hex 32)" \
#     -p 127.0.0.1:9464:9464 roster daemon /manifests
#
# The state folder (SQLite store, simulator) is the volume /state. The image listens on
# 0.0.0.0:9464: /healthz, /readyz, /metrics and /webhooks/zoom are open; /status, / and
# POST /reconcile need the operator token (ROSTER_OPERATOR_TOKEN, or a file named by
# ROSTER_OPERATOR_TOKEN_FILE) and answer 401 without one. See README, "Exposure", and
# examples/deploy/ for Kubernetes with a git-sync sidecar.

FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, so that a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY benches benches
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked --bin roster \
    && rm -rf src
COPY src src
# Make sure cargo sees the real sources as newer than the placeholder build.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin roster \
    && strip target/release/roster

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /state --shell /usr/sbin/nologin roster \
    && mkdir -p /state \
    && chown roster:roster /state
COPY --from=build /src/target/release/roster /usr/local/bin/roster
USER 10001:10001
ENV ROSTER_STATE=/state \
    ROSTER_LISTEN=0.0.0.0:9464
VOLUME ["/state"]
EXPOSE 9464
# Liveness of the HTTP side without shipping curl: bash's /dev/tcp.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9464 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/roster", "--log-format", "json"]
CMD ["daemon", "/manifests"]
