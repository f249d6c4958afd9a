//! TLS trust for the PBX connection: the system's roots, a CA file, or one pinned certificate.
//! Never "accept anything": an untrusted certificate fails the connection with a message that
//! says how to configure trust.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_platform_verifier::BuilderVerifierExt;
use sha2::{Digest, Sha256};

use crate::config::Trust;
use crate::support::fingerprint::format as format_fingerprint;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Why the PBX's certificate cannot be checked as configured: sentences naming what to fix.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TrustError {
    #[error("TLS setup failed: {0}")]
    Setup(rustls::Error),
    #[error("cannot load the system's trusted certificates: {0}")]
    System(rustls::Error),
    #[error("cannot read `ca_file` {path}: {why}")]
    Unreadable { path: String, why: String },
    #[error("`ca_file` {path} is not a PEM certificate file: {why}")]
    NotPem { path: String, why: String },
    #[error("`ca_file` {0} holds no certificate")]
    NoCertificate(String),
    #[error("`ca_file` {path} holds a certificate rustls cannot use: {why}")]
    Unusable { path: String, why: String },
}

/// The rustls configuration for `trust`.
pub(crate) fn client_config(trust: &Trust) -> Result<ClientConfig, TrustError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TrustError::Setup)?;
    let config = match trust {
        Trust::System => builder
            .with_platform_verifier()
            .map_err(TrustError::System)?
            .with_no_client_auth(),
        Trust::CaFile(path) => builder
            .with_root_certificates(load_roots(path)?)
            .with_no_client_auth(),
        Trust::Pinned(fingerprint) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned {
                fingerprint: *fingerprint,
                provider: provider(),
            }))
            .with_no_client_auth(),
    };
    Ok(config)
}

fn load_roots(path: &Path) -> Result<RootCertStore, TrustError> {
    let shown = || path.display().to_string();
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| TrustError::Unreadable {
            path: shown(),
            why: e.to_string(),
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TrustError::NotPem {
            path: shown(),
            why: e.to_string(),
        })?;
    if certificates.is_empty() {
        return Err(TrustError::NoCertificate(shown()));
    }
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots.add(certificate).map_err(|e| TrustError::Unusable {
            path: shown(),
            why: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// SHA-256 of a certificate, as `AB:CD:...` (the form `pin_sha256` takes).
pub(crate) fn fingerprint(der: &[u8]) -> String {
    format_fingerprint(&Sha256::digest(der).into())
}

/// The certificate presented is not the pinned one; holds the fingerprint it has.
#[derive(Debug)]
struct PinMismatch(String);

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the certificate's SHA-256 fingerprint is {}, not the one in `pin_sha256`",
            self.0
        )
    }
}

impl std::error::Error for PinMismatch {}

/// Accepts exactly one certificate (by SHA-256), whatever its issuer or names; signatures of
/// the handshake are still verified, so only the holder of its key can use it.
#[derive(Debug)]
struct Pinned {
    fingerprint: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if presented == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch(
                    fingerprint(end_entity.as_ref()),
                )))),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
