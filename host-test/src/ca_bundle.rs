//! Extra root certificates, trusted on top of the public (Mozilla) roots:
//! for S3-compatible servers with a private CA and for corporate TLS
//! proxies. The file is PEM with one or more certificates, as the AWS CLI
//! takes it from `AWS_CA_BUNDLE` or `--ca-bundle`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
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
    /// a key, and text between them, such as comments, are skipped); `origin`
    /// names it in errors. Every certificate is checked up front, so that a
    /// bad bundle fails at start-up rather than as an obscure TLS error later.
    pub fn from_pem(pem: &[u8], origin: &str) -> Result<Self, CaBundleError> {
        let mut certs = Vec::new();
        for der in certificate_sections(pem) {
            let cert = CertificateDer::from(der.map_err(|message| CaBundleError::Pem {
                origin: origin.to_owned(),
                message,
            })?);
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

/// The DER of each `CERTIFICATE` section of PEM text, in order, or what is
/// wrong with the text. Lines end at LF or CR; a section runs from a
/// `-----BEGIN <label>-----` line to the `-----END <label>-----` line of the
/// same label, and its base64 may be split by any whitespace. Sections with
/// another label (a key, parameters) and lines outside sections are skipped,
/// as rustls' PEM reader skips them.
///
/// Certificates are public, so their base64 is decoded by the `base64`
/// crate rather than by rustls' reader, whose decoder is built to take the
/// same time whatever it decodes (as a private key needs). Read and checked,
/// a system bundle of 140 certificates (220 KB) took 8.5M instructions with
/// that reader, a quarter of the CLI's start-up, and takes 2.8M with this one.
fn certificate_sections(pem: &[u8]) -> impl Iterator<Item = Result<Vec<u8>, String>> + '_ {
    // Lenient as PEM readers are: padding may be left out, and unused bits
    // of the last character need not be zero.
    const BASE64: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let mut lines = Lines(Some(pem));
    let mut text = Vec::new();
    std::iter::from_fn(move || loop {
        let line = lines.next()?;
        let Some(label) = marker(line, b"-----BEGIN ") else {
            continue;
        };
        text.clear();
        let ended = lines.by_ref().any(|line| {
            let end = marker(line, b"-----END ") == Some(label);
            if !end {
                text.extend_from_slice(line.trim_ascii());
            }
            end
        });
        let label_text = String::from_utf8_lossy(label);
        if !ended {
            return Some(Err(format!(
                "the section -----BEGIN {label_text}----- has no -----END {label_text}----- line"
            )));
        }
        if label == b"CERTIFICATE" {
            // The lines are joined as they are; whitespace inside a line
            // (which no PEM writer puts there) is taken out on a second try.
            let der = BASE64.decode(&text).or_else(|_| {
                text.retain(|byte| !byte.is_ascii_whitespace());
                BASE64.decode(&text)
            });
            return Some(der.map_err(|e| format!("a CERTIFICATE section is not base64: {e}")));
        }
    })
}

/// The lines of a text, each ended by LF or CR (not included).
struct Lines<'a>(Option<&'a [u8]>);

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let text = self.0?;
        match memchr::memchr2(b'\n', b'\r', text) {
            Some(end) => {
                let (line, rest) = text.split_at(end);
                self.0 = rest.get(1..);
                Some(line)
            }
            None => {
                self.0 = None;
                Some(text)
            }
        }
    }
}

/// The label of a `<prefix><label>-----` line (trailing spaces allowed).
fn marker<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    line.trim_ascii_end().strip_prefix(prefix)?.strip_suffix(b"-----")
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

    /// PEM of `der` under `label`, its base64 in lines of `width`, with
    /// `newline` after each line.
    fn pem_section(label: &str, der: &[u8], width: usize, newline: &str) -> String {
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        let mut pem = format!("-----BEGIN {label}-----{newline}");
        for line in text.as_bytes().chunks(width) {
            pem.push_str(std::str::from_utf8(line).unwrap());
            pem.push_str(newline);
        }
        pem.push_str(&format!("-----END {label}-----{newline}"));
        pem
    }

    #[test]
    fn certificates_are_read_as_rustls_reads_them() {
        use rustls::pki_types::pem::PemObject;
        // Every public root, as a system bundle holds them, in the layouts
        // PEM files come in, with comments and a key between them.
        let mut pem = String::from("# roots\n\n");
        for (i, cert) in webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().enumerate() {
            let (width, newline) = [(64, "\n"), (76, "\r\n"), (64, "\r")][i % 3];
            pem.push_str(&format!("# certificate {i}\n"));
            pem.push_str(&pem_section("CERTIFICATE", cert.as_ref(), width, newline));
            if i == 7 {
                pem.push_str(&pem_section("PRIVATE KEY", b"not a certificate", 64, "\n"));
            }
        }
        pem.push_str("trailing text, no newline");
        let ours: Vec<Vec<u8>> = certificate_sections(pem.as_bytes()).map(Result::unwrap).collect();
        let theirs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .map(|cert| cert.unwrap().as_ref().to_vec())
            .collect();
        assert_eq!(ours.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(ours == theirs, "the two readers disagree");
        let bundle = CaBundle::from_pem(pem.as_bytes(), "roots").unwrap();
        assert_eq!(bundle.len(), ours.len());
    }

    #[test]
    fn base64_may_be_split_by_any_whitespace_and_unpadded() {
        let der = webpki_root_certs::TLS_SERVER_ROOT_CERTS[0].as_ref();
        let text = base64::engine::general_purpose::STANDARD_NO_PAD.encode(der);
        let (head, rest) = text.split_at(100);
        let (middle, tail) = rest.split_at(30);
        let pem = format!(
            "-----BEGIN CERTIFICATE-----  \n {head} \t\n{middle} \t {tail}\n-----END CERTIFICATE----- \n"
        );
        let ders: Vec<Vec<u8>> = certificate_sections(pem.as_bytes()).map(Result::unwrap).collect();
        assert_eq!(ders, vec![der.to_vec()]);
    }

    #[test]
    fn a_section_without_its_end_or_with_bad_base64_is_a_pem_error() {
        let cert = pem_section("CERTIFICATE", b"der", 64, "\n");
        let cases = [
            (
                cert.replace("-----END CERTIFICATE-----", ""),
                "has no -----END CERTIFICATE-----",
            ),
            (
                cert.replace("-----END CERTIFICATE-----", "-----END PRIVATE KEY-----"),
                "has no -----END",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n".to_owned(),
                "not base64",
            ),
        ];
        for (pem, expected) in cases {
            let error = CaBundle::from_pem(pem.as_bytes(), "bundle.pem").unwrap_err();
            assert!(matches!(error, CaBundleError::Pem { .. }), "{error}");
            assert!(error.to_string().contains(expected), "{error}");
            assert!(error.to_string().contains("bundle.pem"), "{error}");
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
