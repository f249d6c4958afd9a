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
#[allow(dead_code)] // Each benchmark uses a part of this module.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    runtime_of(2)
}

/// A runtime of `workers` threads for the simulators in the benchmark's process. A simulator
/// waits out the last 2 ms of each answer's latency by polling the clock (the timer's 1 ms
/// tick would make answers late), and that polling takes every worker it runs on: many
/// simulators on two workers take both cores from the client measured beside them.
#[allow(dead_code)] // Each benchmark uses a part of this module.
pub(crate) fn runtime_of(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The password of the benchmarks' simulators (given to the binary in the environment).
#[allow(dead_code)] // Each benchmark uses a part of this module.
pub(crate) const PASSWORD: &str = "bench";

/// A MiVB simulator with the rooms of `seed`, on `runtime`.
#[allow(dead_code)]
pub(crate) fn simulator(
    runtime: &tokio::runtime::Runtime,
    seed: hotelcare::sim::Seed,
) -> hotelcare::sim::Simulator {
    let mut options = hotelcare::sim::Options::new("hotelcare", PASSWORD);
    options.seed = seed;
    runtime
        .block_on(hotelcare::sim::Simulator::start(options))
        .expect("simulator")
}

/// Writes `simulator`'s certificate as `pem` in `dir`; the keys of a `[pbx]` table that trust
/// it (the password comes from `HOTELCARE_BENCH_PASSWORD`).
#[allow(dead_code)]
pub(crate) fn pbx_keys(
    dir: &std::path::Path,
    simulator: &hotelcare::sim::Simulator,
    pem: &str,
) -> String {
    std::fs::write(dir.join(pem), simulator.certificate_pem().expect("TLS")).expect("write");
    format!(
        "server = \"{}\"\nuser = \"hotelcare\"\npassword_env = \"HOTELCARE_BENCH_PASSWORD\"\ntimeout_secs = 10\nca_file = \"{pem}\"\n",
        simulator.address()
    )
}

/// The p50, p99 and maximum of `samples` in milliseconds (nearest rank; sorts them).
#[allow(dead_code)]
pub(crate) fn percentiles(samples: &mut [std::time::Duration]) -> [f64; 3] {
    samples.sort_unstable();
    let at = |percent: usize| {
        let index = ((samples.len() - 1) * percent).div_ceil(100);
        samples[index].as_secs_f64() * 1000.0
    };
    [at(50), at(99), at(100)]
}

/// `hotelcare --config CONFIG serve ARGS...` in `dir`, its output dropped; it and its API's
/// address once it has written `state/service.json`.
#[allow(dead_code)]
pub(crate) fn serve(
    dir: &std::path::Path,
    config: &std::path::Path,
    args: &[&str],
) -> (std::process::Child, std::net::SocketAddr) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hotelcare"))
        .current_dir(dir)
        .arg("--config")
        .arg(config)
        .arg("serve")
        .args(args)
        .env("HOTELCARE_BENCH_PASSWORD", PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("hotelcare serve");
    let info = dir.join("state/service.json");
    let started = std::time::Instant::now();
    while !info.exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the service did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&info).expect("read")).expect("json");
    let address = info["address"]
        .as_str()
        .expect("address")
        .parse()
        .expect("address");
    (child, address)
}
