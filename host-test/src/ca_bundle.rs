//! Extra root certificates, trusted on top of the public (Mozilla) roots:
//! for S3-compatible servers with a private CA and for corporate TLS
//! proxies. The file is PEM with one or more certificates, as the AWS CLI
//! takes it from `AWS_CA_BUNDLE` or `--ca-bundle`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use ureq::tls::{Certificate, RootCerts};

/// Root certificates to trust besides the public ones.
#[derive(Clone)]
pub struct CaBundle {
    certs: Arc<Vec<CertificateDer<'static>>>,
    origin: String,
}

/// Why a CA bundle cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaBundleError {
    /// The file could not be read.
    #[error("cannot read the CA bundle {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The text is not PEM.
    #[error("the CA bundle {origin} is not valid PEM: {message}")]
    Pem {
        /// The file, or what the bundle came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// The PEM holds no `CERTIFICATE` section.
    #[error("the CA bundle {origin} holds no certificate (no -----BEGIN CERTIFICATE----- section)")]
    Empty {
        /// The file, or what the bundle came from.
        origin: String,
    },
    /// A certificate could not be parsed as a trust anchor.
    #[error("certificate {number} of the CA bundle {origin} is not usable as a root: {message}")]
    BadCertificate {
        /// The file, or what the bundle came from.
        origin: String,
        /// Its place in the file, counting from 1.
        number: usize,
        /// What is wrong.
        message: String,
    },
}

impl CaBundle {
    /// Reads a PEM file of one or more certificates.
    pub fn from_pem_file(path: &Path) -> Result<Self, CaBundleError> {
        let pem = std::fs::read(path).map_err(|source| CaBundleError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem(&pem, &path.display().to_string())
    }

    /// Parses PEM text of one or more certificates (other sections, such as
    /// comments between them, are skipped); `origin` names it in errors.
    /// Every certificate is checked up front, so that a bad bundle fails at
    /// start-up rather than as an obscure TLS error later.
    pub fn from_pem(pem: &[u8], origin: &str) -> Result<Self, CaBundleError> {
        let mut certs = Vec::new();
        for item in CertificateDer::pem_slice_iter(pem) {
            let cert = item.map_err(|e| CaBundleError::Pem {
                origin: origin.to_owned(),
                message: e.to_string(),
            })?;
            RootCertStore::empty()
                .add(cert.clone())
                .map_err(|e| CaBundleError::BadCertificate {
                    origin: origin.to_owned(),
                    number: certs.len() + 1,
                    message: e.to_string(),
                })?;
            certs.push(cert);
        }
        if certs.is_empty() {
            return Err(CaBundleError::Empty {
                origin: origin.to_owned(),
            });
        }
        Ok(Self {
            certs: Arc::new(certs),
            origin: origin.to_owned(),
        })
    }

    /// How many certificates it holds (at least one).
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Never true: an empty bundle is refused when read.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// The roots rustls verifies servers with for `serve`: the public
    /// webpki roots and, when given, `bundle`'s.
    pub fn root_store(bundle: Option<&CaBundle>) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        let public = webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned();
        let extra = bundle.into_iter().flat_map(|b| b.certs.iter().cloned());
        roots.add_parsable_certificates(public.chain(extra));
        roots
    }

    /// The roots ureq verifies servers with: the public webpki roots (the
    /// ones ureq uses by default) and these.
    pub(crate) fn root_certs(&self) -> RootCerts {
        let public = webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter();
        public
            .chain(self.certs.iter())
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect::<Vec<_>>()
            .into()
    }
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle")
            .field("origin", &self.origin)
            .field("certificates", &self.certs.len())
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A fresh self-signed CA certificate, as PEM.
    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "s3-connector test CA");
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn certificates_are_read_and_comments_skipped() {
        let pem = format!("# corporate proxy\n{}\nsome text\n{}", ca_pem(), ca_pem());
        let bundle = CaBundle::from_pem(pem.as_bytes(), "test").unwrap();
        assert_eq!(bundle.len(), 2);
        match bundle.root_certs() {
            RootCerts::Specific(certs) => {
                assert_eq!(certs.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() + 2);
            }
            _ => panic!("expected specific roots"),
        }
    }

    #[test]
    fn no_certificate_is_an_error_naming_the_origin() {
        let error = CaBundle::from_pem(b"", "bundle.pem").unwrap_err();
        assert!(matches!(error, CaBundleError::Empty { .. }), "{error}");
        assert!(error.to_string().contains("bundle.pem"), "{error}");
        let key_only = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let error = CaBundle::from_pem(key_only, "key.pem").unwrap_err();
        assert!(matches!(error, CaBundleError::Empty { .. }), "{error}");
    }

    #[test]
    fn broken_pem_or_certificate_is_an_error() {
        let cut = ca_pem().replace("-----END CERTIFICATE-----", "");
        let error = CaBundle::from_pem(cut.as_bytes(), "cut.pem").unwrap_err();
        assert!(matches!(error, CaBundleError::Pem { .. }), "{error}");
        let garbage = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
        let error = CaBundle::from_pem(format!("{}{garbage}", ca_pem()).as_bytes(), "bad.pem").unwrap_err();
        assert!(
            matches!(error, CaBundleError::BadCertificate { number: 2, .. }),
            "{error}"
        );
    }

    #[test]
    fn missing_file_is_a_read_error_naming_it() {
        let error = CaBundle::from_pem_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(matches!(error, CaBundleError::Read { .. }), "{error}");
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
    }
}
