//! What the benchmark binaries share: whether `cargo bench` asked for the run, sizes from the
//! environment, and the runtime the in-process simulators run on.

/// `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful: skip then.
pub(crate) fn requested() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A size from the environment variable `name` (for shorter runs), else `default`.
pub(crate) fn count<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A two-thread runtime for the simulator in the benchmark's process.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}
