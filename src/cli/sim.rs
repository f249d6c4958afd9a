//! `hotelcare sim`: the MiVB simulator on its own, for integration tests, demos and benchmarks.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::error::{Error, report};
use crate::cli::execution::{block_on_threads, usage};
use crate::cli::exit::Exit;
use crate::sim::{self, Faults, Identity, Seed, Simulator};
use crate::support::fingerprint::format as format_fingerprint;
use crate::support::output::errln;

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
    pub(crate) state_dir: Option<PathBuf>,
    pub(crate) timeouts: crate::sim::Timeouts,
    /// Serve SMDR call records here (`POST /_sim/calls` places a call).
    pub(crate) smdr_listen: Option<SocketAddr>,
}

const CERTIFICATE: &str = "simulator-cert.pem";
const KEY: &str = "simulator-key.pem";
const ROOMS: &str = "simulator.json";

pub(crate) fn sim(arguments: SimArguments) -> Exit {
    if !arguments.listen.ip().is_loopback() {
        errln!(
            "warning: the simulator listens on {}, not on loopback; anyone who can reach it can change its rooms",
            arguments.listen
        );
    }
    let seed = match &arguments.rooms {
        Some(path) => match Seed::load(path) {
            Ok(seed) => seed,
            Err(error) => return report(error),
        },
        None => Seed::vendor_example(2),
    };
    let mut options = sim::Options::new(&arguments.user, &arguments.password);
    options.listen = arguments.listen;
    options.tls = !arguments.plain;
    options.seed = seed;
    options.faults = arguments.faults.clone();
    options.session_ttl = Duration::from_secs(600);
    options.timeouts = arguments.timeouts;
    if let Err(problem) = options.faults.check() {
        return report(problem);
    }
    if let Some(dir) = &arguments.state_dir {
        if let Err(error) = crate::support::files::create_private_dir(dir) {
            return report(Error::Io {
                what: format!("cannot create `{}`", dir.display()),
                error,
            });
        }
        options.state_file = Some(dir.join(ROOMS));
        options.identity = load_identity(dir);
    }
    block_on_threads(async move {
        let simulator = Simulator::start(options).await.map_err(|error| {
            usage(format!(
                "cannot start the simulator on {}: {error}",
                arguments.listen
            ))
        })?;
        save(&arguments, &simulator).map_err(usage)?;
        let smdr = match arguments.smdr_listen {
            None => None,
            Some(listen) => {
                let port = crate::sim::smdr::SmdrPort::start(listen)
                    .await
                    .map_err(|error| {
                        usage(format!("cannot listen for SMDR on {listen}: {error}"))
                    })?;
                let port = std::sync::Arc::new(port);
                simulator.attach_smdr(std::sync::Arc::clone(&port));
                Some(port)
            }
        };
        // The URL alone on the first line, so that scripts can read it. Nothing here may fail
        // when nobody reads standard output any more.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{}", simulator.url());
        if let Some(fp) = simulator.fingerprint() {
            let _ = writeln!(
                out,
                "certificate SHA-256 {} (use it as `pin_sha256`)",
                format_fingerprint(&fp)
            );
        }
        if let Some(path) = &arguments.cert_out {
            let _ = writeln!(
                out,
                "certificate written to {} (use it as `ca_file`)",
                path.display()
            );
        }
        if let Some(port) = &smdr {
            let _ = writeln!(
                out,
                "SMDR records on {} (use it as `[smdr] server`; `POST /_sim/calls` places a call)",
                port.address()
            );
        }
        let rooms: Vec<String> = simulator.records().keys().cloned().collect();
        let _ = writeln!(
            out,
            "MiXML user `{}` with the password given by --password (default `hotelcare`); rooms {}",
            arguments.user,
            rooms.join(", ")
        );
        match &arguments.state_dir {
            Some(dir) => {
                let _ = writeln!(out, "rooms and certificate kept in {}", dir.display());
            }
            None => {
                let _ = writeln!(
                    out,
                    "rooms and certificate last until it stops (--state-dir DIR keeps them)"
                );
            }
        }
        let _ = writeln!(
            out,
            "test API: {0}/_sim/rooms, {0}/_sim/faults, {0}/_sim/stats; Ctrl-C stops",
            simulator.url()
        );
        let _ = out.flush();
        let _ = tokio::signal::ctrl_c().await;
        simulator.stop().await;
        Ok(Exit::Done)
    })
}

/// Certificate and key kept in `dir` by an earlier start, if both are there.
fn load_identity(dir: &Path) -> Option<Identity> {
    Some(Identity {
        certificate_pem: std::fs::read_to_string(dir.join(CERTIFICATE)).ok()?,
        key_pem: std::fs::read_to_string(dir.join(KEY)).ok()?,
    })
}

/// Writes the certificate for `--cert-out`, and certificate and key into `--state-dir`.
fn save(arguments: &SimArguments, simulator: &Simulator) -> Result<(), Error> {
    let Some(identity) = simulator.identity() else {
        return Ok(());
    };
    let unwritable = |path: &Path, error| Error::Io {
        what: format!("cannot write `{}`", path.display()),
        error,
    };
    let write =
        |path: &Path, text: &str| std::fs::write(path, text).map_err(|e| unwritable(path, e));
    if let Some(path) = &arguments.cert_out {
        write(path, &identity.certificate_pem)?;
    }
    if let Some(dir) = &arguments.state_dir {
        write(&dir.join(CERTIFICATE), &identity.certificate_pem)?;
        // The private key: owner-only.
        let key = dir.join(KEY);
        crate::support::files::write_atomic(&key, identity.key_pem.as_bytes())
            .map_err(|e| unwritable(&key, e))?;
    }
    Ok(())
}

/// `hotelcare sim --interface mitel-pms`: the PBX side of the Mitel PMS protocol on its own.
/// Prints its address, then every frame it applies, until Ctrl-C.
pub(crate) fn sim_mitel_pms(
    listen: SocketAddr,
    rooms: Option<&Path>,
    faults: crate::sim::mitel_pms::PmsFaults,
) -> Exit {
    let seed = match rooms {
        Some(path) => match Seed::load(path) {
            Ok(seed) => seed,
            Err(error) => return report(error),
        },
        None => Seed::vendor_example(2),
    };
    let rooms: Vec<String> = seed.rooms.iter().map(|r| r.extension.clone()).collect();
    block_on_threads(async {
        let simulator = crate::sim::mitel_pms::PmsSimulator::start(listen, &rooms, 5)
            .await
            .map_err(cannot_listen(listen))?;
        simulator.set_faults(faults);
        crate::support::output::outln!("{}", simulator.address());
        errln!(
            "Mitel PMS simulator on {} (rooms {}); point `[pbx] interface = \"mitel-pms\"`, `server = \"{}\"` at it; Ctrl-C stops",
            simulator.address(),
            rooms.join(", "),
            simulator.address()
        );
        show_until_stopped("applied", || simulator.applied()).await;
        simulator.stop();
        Ok(Exit::Done)
    })
}

/// `hotelcare sim --interface fias-pms`: a hotel PMS speaking FIAS, on its own. Prints its
/// address, sends the script's records once a link is up, and shows every frame it receives,
/// until Ctrl-C.
pub(crate) fn sim_fias_pms(listen: SocketAddr, script: Option<&Path>) -> Exit {
    let script = match script.map(std::fs::read_to_string).transpose() {
        Ok(script) => script,
        Err(error) => {
            return report(Error::Io {
                what: "cannot read the script".into(),
                error,
            });
        }
    };
    block_on_threads(async {
        let pms = crate::sim::fias_pms::FiasPms::start(listen)
            .await
            .map_err(cannot_listen(listen))?;
        if let Some(script) = &script {
            pms.send_script(script);
        }
        crate::support::output::outln!("{}", pms.address());
        errln!(
            "FIAS PMS simulator on {}; point `[fias] server = \"{}\"` at it and start `hotelcare serve`; Ctrl-C stops",
            pms.address(),
            pms.address()
        );
        show_until_stopped("received", || pms.received()).await;
        pms.stop();
        Ok(Exit::Done)
    })
}

/// Prints each new frame of `frames` (`what: frame`) every 200 ms, until Ctrl-C.
async fn show_until_stopped(what: &str, frames: impl Fn() -> Vec<String>) {
    let mut shown = 0;
    let stop = crate::cli::signals::stop_requested();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        let frames = frames();
        for frame in frames.iter().skip(shown) {
            errln!("{what}: {frame}");
        }
        shown = frames.len();
    }
}

/// What a simulator that cannot take its address says.
fn cannot_listen(listen: SocketAddr) -> impl FnOnce(std::io::Error) -> Exit {
    move |error| {
        usage(Error::Io {
            what: format!("cannot listen on {listen}"),
            error,
        })
    }
}
