//! Structured logs for every service this process runs: `RUST_LOG` filters (default
//! `info`), one line per event on stderr.

/// Installs the global subscriber; a second call (tests, the all-in-one launcher) is a
/// harmless no-op.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}
