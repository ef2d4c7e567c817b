//! `--dry-run`: show what the component would send, send nothing.

use std::io::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::outgoing::Outgoing;
use crate::wit::{Body, Request, Response, TransportError};

/// The transport error every request gets in a dry run.
pub const NOT_SENT: &str = "dry run: not sent";

/// What replaces the value of a session token in printed requests.
pub use crate::redact::MASK;

/// One request as printed by a dry run, fields in this order.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DryRunLine {
    /// The method.
    pub method: String,
    /// The URL exactly as it would go on the wire.
    pub url: String,
    /// Every header, in order, `x-amz-security-token` masked.
    pub headers: Vec<(String, String)>,
    /// The hex SHA-256 of the body (of no bytes for an empty body).
    pub body_sha256: String,
    /// The body's length in bytes.
    pub body_len: usize,
}

impl DryRunLine {
    /// The line for `request`.
    pub fn new(request: &Request) -> Self {
        let body: &[u8] = match &request.body {
            Body::Empty => &[],
            Body::Bytes(bytes) => bytes,
        };
        let headers = request
            .headers
            .iter()
            .map(|h| {
                let value = if is_secret_header(&h.name) {
                    MASK.to_owned()
                } else {
                    h.value.clone()
                };
                (h.name.clone(), value)
            })
            .collect();
        Self {
            method: request.method.clone(),
            url: mask_token_in_url(&request.url),
            headers,
            body_sha256: hex(&Sha256::digest(body)),
            body_len: body.len(),
        }
    }

    /// The line as one line of JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings, numbers and string pairs always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// An [`Outgoing`] that writes one [`DryRunLine`] per request to `out` and
/// answers each with `other("dry run: not sent")`.
pub struct DryRun {
    out: Box<dyn Write + Send>,
}

impl DryRun {
    /// Prints to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self { out }
    }

    /// Whether `error` is the answer of a dry run.
    pub fn is_not_sent(error: &TransportError) -> bool {
        matches!(error, TransportError::Other(m) if m == NOT_SENT)
    }
}

impl DryRun {
    fn print(&mut self, line: &DryRunLine) -> Result<Response, TransportError> {
        writeln!(self.out, "{}", line.to_json())
            .and_then(|()| self.out.flush())
            .map_err(|e| TransportError::Other(format!("dry run: cannot print: {e}")))?;
        Err(TransportError::Other(NOT_SENT.to_owned()))
    }
}

impl Outgoing for DryRun {
    fn send(&mut self, request: Request) -> Result<Response, TransportError> {
        self.print(&DryRunLine::new(&request))
    }

    /// Prints the streamed body's hash and length, read from its source.
    fn send_from(
        &mut self,
        request: Request,
        body: &mut dyn std::io::Read,
        length: u64,
    ) -> Result<Response, TransportError> {
        let mut hasher = Sha256::new();
        let copied = std::io::copy(
            &mut std::io::Read::take(body, length),
            &mut HashWriter(&mut hasher),
        )
        .map_err(|e| TransportError::Other(format!("dry run: cannot read the body: {e}")))?;
        let mut line = DryRunLine::new(&request);
        line.body_sha256 = hex(&hasher.finalize());
        line.body_len = usize::try_from(copied).unwrap_or(usize::MAX);
        self.print(&line)
    }

    fn send_into(&mut self, request: Request, _sink: &mut dyn Write) -> Result<Response, TransportError> {
        self.print(&DryRunLine::new(&request))
    }
}

/// Feeds what is written to a hasher.
struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn is_secret_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("x-amz-security-token")
}

/// Masks an `X-Amz-Security-Token` query parameter's value, if any.
fn mask_token_in_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_header(name) => format!("{name}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::wit::Header;

    fn header(name: &str, value: &str) -> Header {
        Header {
            name: name.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn line_has_fields_in_order_and_hash_of_empty_body() {
        let request = Request {
            method: "GET".to_owned(),
            url: "https://b.s3.amazonaws.com/k?x-id=GetObject".to_owned(),
            headers: vec![header("host", "b.s3.amazonaws.com")],
            body: Body::Empty,
        };
        assert_eq!(
            DryRunLine::new(&request).to_json(),
            r#"{"method":"GET","url":"https://b.s3.amazonaws.com/k?x-id=GetObject","headers":[["host","b.s3.amazonaws.com"]],"body_sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","body_len":0}"#
        );
    }

    #[test]
    fn session_token_is_masked_in_headers_and_url() {
        let request = Request {
            method: "PUT".to_owned(),
            url: "https://h/k?a=1&X-Amz-Security-Token=SECRET&b=2".to_owned(),
            headers: vec![header("X-Amz-Security-Token", "SECRET")],
            body: Body::Bytes(b"abc".to_vec()),
        };
        let line = DryRunLine::new(&request);
        let json = line.to_json();
        assert!(!json.contains("SECRET"), "{json}");
        assert_eq!(line.url, "https://h/k?a=1&X-Amz-Security-Token=****&b=2");
        assert_eq!(line.body_len, 3);
        assert_eq!(
            line.body_sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn every_request_is_answered_not_sent() {
        let mut dry = DryRun::new(Box::new(std::io::sink()));
        let error = dry
            .send(Request {
                method: "GET".to_owned(),
                url: "https://h/".to_owned(),
                headers: vec![],
                body: Body::Empty,
            })
            .unwrap_err();
        assert!(DryRun::is_not_sent(&error));
    }
}
