//! `hotelcare sim`: the MiVB simulator on its own, for integration tests, demos and benchmarks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::execution::runtime;
use crate::cli::exit::Exit;
use crate::config::format_fingerprint;
use crate::sim::{self, Faults, Seed, Simulator};

/// The options of `hotelcare sim`.
#[derive(Clone, Debug)]
pub(crate) struct SimArguments {
    pub(crate) listen: SocketAddr,
    pub(crate) rooms: Option<PathBuf>,
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) cert_out: Option<PathBuf>,
    pub(crate) plain: bool,
    pub(crate) faults: Faults,
}

pub(crate) fn sim(arguments: SimArguments) -> Exit {
    if !arguments.listen.ip().is_loopback() {
        eprintln!(
            "warning: the simulator listens on {}, not on loopback; anyone who can reach it can change its rooms",
            arguments.listen
        );
    }
    let seed = match &arguments.rooms {
        Some(path) => match Seed::load(path) {
            Ok(seed) => seed,
            Err(message) => {
                eprintln!("error: {message}");
                return Exit::Usage;
            }
        },
        None => Seed::vendor_example(2),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    runtime.block_on(async move {
        let mut options = sim::Options::new(&arguments.user, &arguments.password);
        options.listen = arguments.listen;
        options.tls = !arguments.plain;
        options.seed = seed;
        options.faults = arguments.faults;
        options.session_ttl = Duration::from_secs(600);
        let simulator = match Simulator::start(options).await {
            Ok(simulator) => simulator,
            Err(error) => {
                eprintln!("error: cannot listen on {}: {error}", arguments.listen);
                return Exit::Usage;
            }
        };
        // The URL alone on the first line, so that scripts can read it.
        println!("{}", simulator.url());
        if let (Some(path), Some(pem)) = (&arguments.cert_out, simulator.certificate_pem()) {
            if let Err(error) = std::fs::write(path, pem) {
                eprintln!(
                    "error: cannot write the certificate to `{}`: {error}",
                    path.display()
                );
                return Exit::Usage;
            }
            println!(
                "certificate written to {} (use it as `ca_file`)",
                path.display()
            );
        }
        if let Some(fp) = simulator.fingerprint() {
            println!(
                "certificate SHA-256 {} (use it as `pin_sha256`)",
                format_fingerprint(&fp)
            );
        }
        let rooms: Vec<String> = simulator.records().keys().cloned().collect();
        println!(
            "MiXML user `{}`; rooms {}",
            arguments.user,
            rooms.join(", ")
        );
        println!(
            "test API: {0}/_sim/rooms, {0}/_sim/faults, {0}/_sim/stats; Ctrl-C stops",
            simulator.url()
        );
        let _ = tokio::signal::ctrl_c().await;
        simulator.stop().await;
        Exit::Done
    })
}
