//! A TLS server identity read from PEM files (`--tls-cert`, `--tls-key`): the certificate chain
//! a `tls:` listen address presents (RFC 3261 26.2.1) and its private key (PKCS#8, PKCS#1 RSA
//! or SEC1 EC). Every way the files can be wrong is one line naming the file and the fault.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

/// Why a certificate or key file cannot serve TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// The certificate chain file (`--tls-cert`).
    #[error("certificate file {}: {what}", file.display())]
    Certificate { file: PathBuf, what: String },
    /// The private key file (`--tls-key`).
    #[error("key file {}: {what}", file.display())]
    Key { file: PathBuf, what: String },
}

impl TlsConfigError {
    /// The file at fault.
    pub fn file(&self) -> &Path {
        match self {
            TlsConfigError::Certificate { file, .. } | TlsConfigError::Key { file, .. } => file,
        }
    }

    /// What is wrong with it, in one line.
    pub fn what(&self) -> &str {
        match self {
            TlsConfigError::Certificate { what, .. } | TlsConfigError::Key { what, .. } => what,
        }
    }
}

/// What a PEM reading error means, in one line; `kind` names what was looked for.
fn pem_fault(e: pem::Error, kind: &str) -> String {
    let what = match e {
        pem::Error::Io(e) => format!("cannot read it: {e}"),
        pem::Error::NoItemsFound => format!("no {kind} in it"),
        e => format!("not valid PEM: {e}"),
    };
    what.replace(['\n', '\r'], " ")
}

/// The server configuration for `tls:` listen addresses: the chain in `cert` (PEM, the
/// server's certificate first) and the key in `key`, which must match it. Protocol versions
/// and cipher suites are rustls's safe defaults (TLS 1.2 and 1.3) on the `ring` provider; no
/// client certificate is asked for.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsConfigError> {
    let cert_fault = |what: String| TlsConfigError::Certificate { file: cert.to_path_buf(), what };
    let key_fault = |what: String| TlsConfigError::Key { file: key.to_path_buf(), what };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| cert_fault(pem_fault(e, "certificate (BEGIN CERTIFICATE)")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_fault(pem_fault(e, "certificate (BEGIN CERTIFICATE)")))?;
    if chain.is_empty() {
        return Err(cert_fault("no certificate (BEGIN CERTIFICATE) in it".into()));
    }
    let der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| key_fault(pem_fault(e, "private key (PKCS#8, RSA or EC PRIVATE KEY)")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| key_fault(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, der)
        .map_err(|e| match e {
            rustls::Error::InvalidCertificate(_) => cert_fault(format!("unusable certificate: {e}")),
            rustls::Error::InconsistentKeys(_) => key_fault("does not match the certificate's public key".into()),
            e => key_fault(format!("unusable key: {e}")),
        })?;
    Ok(Arc::new(config))
}
