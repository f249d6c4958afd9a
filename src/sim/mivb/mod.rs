//! The MiVB simulator: a real HTTP(S) server on loopback that speaks hotelcare's MiXML model and
//! enforces the PBX's rules (credentials, sessions, unknown directory numbers, field limits, COR
//! range, DID uniqueness), with fault injection for tests and benchmarks (BRIEF §9).
//!
//! Input: MiXML requests over HTTP. Output: answers and faults. Reads requests with its own code
//! over `mixml::names`; never imports `client`, `lower` or `engine`, so that a bug on the client's
//! side cannot be mirrored here and hide itself.

pub(super) mod faults;
pub(super) mod pbx;
pub(super) mod record;
mod request;
mod response;
mod rules;
pub(super) mod seed;
mod server;

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

pub(crate) use faults::{FaultsError, NotAShare, check_rate};
pub(crate) use seed::SeedError;
use {crate::support::serving::Timeouts, faults::Faults, pbx::Stats, record::Record, seed::Seed};

use server::Shared;

/// How to start a simulator.
#[derive(Clone, Debug)]
pub struct Options {
    /// `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    /// HTTPS with a certificate generated at start; `false` for plain HTTP.
    pub tls: bool,
    pub user: String,
    pub password: String,
    pub seed: Seed,
    /// Records are loaded from and saved to this file (the embedded simulator keeps the rooms'
    /// state between runs this way).
    pub state_file: Option<PathBuf>,
    /// Idle sessions expire after this.
    pub session_ttl: Duration,
    pub faults: Faults,
    /// The TLS certificate and key to use; `None`: made at start.
    pub(crate) identity: Option<Identity>,
    /// Time limits of connections (handshake, headers, idle).
    pub timeouts: Timeouts,
    /// Serve the test API (`/_sim/...`: the rooms, faults, stats); off for the embedded
    /// simulator.
    pub test_api: bool,
}

/// A TLS certificate and its private key, as PEM.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub(crate) certificate_pem: String,
    pub(crate) key_pem: String,
}

impl Options {
    /// Loopback, TLS, the vendor example's rooms.
    pub fn new(user: &str, password: &str) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: true,
            user: user.to_owned(),
            password: password.to_owned(),
            seed: Seed::vendor_example(2),
            state_file: None,
            session_ttl: Duration::from_secs(600),
            faults: Faults::default(),
            identity: None,
            timeouts: Timeouts::default(),
            test_api: true,
        }
    }
}

/// A running simulator; stops when dropped or with `stop`.
pub struct Simulator {
    shared: Arc<Shared>,
    url: String,
    address: SocketAddr,
    /// The identity served and the certificate's SHA-256.
    certificate: Option<(Identity, [u8; 32])>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Serves the records of calls placed through the test API on `port`.
    pub(crate) fn attach_smdr(&self, port: Arc<crate::sim::smdr::SmdrPort>) {
        *self
            .shared
            .smdr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(port);
    }

    /// Binds, generates the certificate and starts serving on the current tokio runtime.
    pub async fn start(options: Options) -> io::Result<Self> {
        let listener = TcpListener::bind(options.listen).await?;
        let address = listener.local_addr()?;
        let mut pbx = pbx::Pbx::new(
            &options.seed,
            &options.user,
            &options.password,
            options.session_ttl,
        );
        let mut seeded = false;
        if let Some(path) = &options.state_file {
            match load_state(path)? {
                // The saved rooms are the simulator's rooms; the seed only fills a new state.
                Some(saved) => pbx.records = saved,
                None => seeded = true,
            }
        }
        let (tls, certificate) = if options.tls {
            let identity = match options.identity {
                Some(identity) => identity,
                None => self_signed()?,
            };
            let (acceptor, fingerprint) = acceptor(&identity)?;
            (Some(acceptor), Some((identity, fingerprint)))
        } else {
            (None, None)
        };
        let scheme = if options.tls { "https" } else { "http" };
        let url = format!("{scheme}://{address}");
        let shared = Arc::new(Shared::new(pbx, options.faults, options.state_file));
        if seeded {
            // Written at once, so that a restart without the seed file has the same rooms.
            let pbx = shared.pbx();
            shared.persist(&pbx.records);
        }
        let task = tokio::spawn(server::serve(
            Some(listener),
            address,
            tls,
            Arc::clone(&shared),
            options.timeouts,
            options.test_api,
        ));
        Ok(Self {
            shared,
            url,
            address,
            certificate,
            task: Some(task),
        })
    }

    /// `https://127.0.0.1:PORT` (no path).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The certificate as PEM, to trust it with `ca_file`.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate
            .as_ref()
            .map(|(identity, _)| identity.certificate_pem.as_str())
    }

    /// Certificate and key, to serve them again after a restart.
    pub(crate) fn identity(&self) -> Option<&Identity> {
        self.certificate.as_ref().map(|(identity, _)| identity)
    }

    /// The certificate's SHA-256.
    pub(crate) fn fingerprint(&self) -> Option<[u8; 32]> {
        self.certificate.as_ref().map(|(_, fp)| *fp)
    }

    /// The certificate's SHA-256 as `pin_sha256` takes it (`AB:CD:...`).
    pub fn pin_sha256(&self) -> Option<String> {
        self.fingerprint()
            .map(|fp| crate::support::fingerprint::format(&fp))
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    pub fn record(&self, dn: &str) -> Option<Record> {
        self.shared.pbx().records.get(dn).cloned()
    }

    /// Changes a room behind hotelcare's back (`PUT /_sim/rooms/{dn}` does the same).
    pub fn set_record(&self, dn: &str, record: Record) {
        self.shared.set_record(dn, record);
    }

    pub fn records(&self) -> BTreeMap<String, Record> {
        self.shared.pbx().records.clone()
    }

    pub fn stats(&self) -> Stats {
        self.shared.pbx().stats.clone()
    }

    /// Ends every session, as a PBX does after a restart.
    #[cfg(test)]
    pub(crate) fn expire_sessions(&self) {
        self.shared.pbx().expire_sessions();
    }

    /// Stops serving and closes every connection.
    pub async fn stop(mut self) {
        self.shared.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
    }
}

/// The rooms saved in `path` (or, when a kill came between the two renames of a save, in its
/// backup); `None` when neither exists. A file that cannot be read is an error that says how
/// to recover, and nothing is overwritten.
fn load_state(path: &std::path::Path) -> io::Result<Option<BTreeMap<String, Record>>> {
    let backup = crate::support::files::backup_of(path);
    let (file, text) = match std::fs::read_to_string(path) {
        Ok(text) => (path, text),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            match std::fs::read_to_string(&backup) {
                Ok(text) => (backup.as_path(), text),
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(error) => return Err(error),
            }
        }
        Err(error) => return Err(error),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the simulator's rooms file {} is damaged ({e}); the previous good copy is {}: copy it over the damaged file, or delete both to start again from the seed rooms",
                file.display(),
                backup.display()
            ),
        )
    })
}

/// A certificate for `localhost`, `127.0.0.1` and `::1`, made now.
fn self_signed() -> io::Result<Identity> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| io::Error::other(format!("simulator certificate: {e}")))?;
    Ok(Identity {
        certificate_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
    })
}

/// The TLS acceptor serving `identity`, and its certificate's SHA-256.
fn acceptor(identity: &Identity) -> io::Result<(TlsAcceptor, [u8; 32])> {
    let invalid = |e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("simulator certificate: {e}"),
        )
    };
    let certificate = CertificateDer::from_pem_slice(identity.certificate_pem.as_bytes())
        .map_err(|e| invalid(&e))?;
    let key =
        PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).map_err(|e| invalid(&e))?;
    let fingerprint: [u8; 32] = Sha256::digest(certificate.as_ref()).into();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| invalid(&e))?
    .with_no_client_auth()
    .with_single_cert(vec![certificate], key)
    .map_err(|e| invalid(&e))?;
    Ok((TlsAcceptor::from(Arc::new(config)), fingerprint))
}
