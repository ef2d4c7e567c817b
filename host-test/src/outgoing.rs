//! The host side of the `http-outgoing` import: the only way the component
//! reaches the network.
//!
//! [`Outgoing`] is the one-method seam; [`UreqOutgoing`] sends for real with
//! ureq 3 (rustls, webpki roots) and [`crate::dry_run::DryRun`] only prints.

use std::io::ErrorKind;
use std::time::Duration;

use ureq::config::AutoHeaderValue;
use ureq::http;

use crate::wit::{Body, Header, Request, Response, TransportError};

/// Sends one request built and signed by the component.
pub trait Outgoing: Send {
    /// Sends `request` and returns the whole response; any HTTP status is
    /// `Ok`, `Err` means no response was had.
    fn send(&mut self, request: Request) -> Result<Response, TransportError>;
}

/// Limits of [`UreqOutgoing`].
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// How long resolving the host name and connecting may take.
    pub connect_timeout: Duration,
    /// How long sending the request, and then receiving the response head
    /// and the response body, may each take.
    pub read_timeout: Duration,
    /// The largest response body accepted, in bytes; a larger one is
    /// `too-large`. The body is copied into the component's memory, which
    /// has its own limit, so this stays well below it.
    pub max_response_bytes: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Sends requests with ureq, as they are: no redirects followed, no
/// decompression, no headers added but `host` (derived from the URL, which
/// is what the component signed) and the body framing (`content-length`).
pub struct UreqOutgoing {
    agent: ureq::Agent,
    config: HttpConfig,
}

impl UreqOutgoing {
    /// An HTTP client with these limits.
    pub fn new(config: HttpConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            // S3 errors are answers the component parses, not transport failures.
            .http_status_as_error(false)
            // A 301 or 307 from S3 names another region: the component decides.
            .max_redirects(0)
            .max_redirects_will_error(false)
            // The component sends exactly what it signed; nothing is added.
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .accept_encoding(AutoHeaderValue::None)
            // Proxies from the environment would change where bytes go.
            .proxy(None)
            .timeout_resolve(Some(config.connect_timeout))
            .timeout_connect(Some(config.connect_timeout))
            .timeout_send_request(Some(config.read_timeout))
            .timeout_send_body(Some(config.read_timeout))
            .timeout_recv_response(Some(config.read_timeout))
            .timeout_recv_body(Some(config.read_timeout))
            .build()
            .new_agent();
        Self { agent, config }
    }
}

impl Default for UreqOutgoing {
    fn default() -> Self {
        Self::new(HttpConfig::default())
    }
}

impl Outgoing for UreqOutgoing {
    fn send(&mut self, request: Request) -> Result<Response, TransportError> {
        check_scheme(&request.url)?;
        let is_head = request.method.eq_ignore_ascii_case("HEAD");
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(request.url.as_str());
        for Header { name, value } in &request.headers {
            // ureq derives `host` from the URL (the same value the component
            // signed: host, and port when not the scheme's default); giving
            // it twice would be refused.
            if name.eq_ignore_ascii_case("host") {
                continue;
            }
            builder = builder.header(name.as_str(), value.as_str());
        }
        let sent = match request.body {
            Body::Empty => builder.body(()).map(|r| self.agent.run(r)),
            Body::Bytes(bytes) => builder.body(bytes).map(|r| self.agent.run(r)),
        };
        let mut response = sent
            .map_err(|e| TransportError::InvalidRequest(e.to_string()))?
            .map_err(transport_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| Header {
                name: name.as_str().to_owned(),
                value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
            })
            .collect();
        let body = if is_head {
            Body::Empty
        } else {
            let bytes = response
                .body_mut()
                .with_config()
                .limit(self.config.max_response_bytes)
                .read_to_vec()
                .map_err(transport_error)?;
            Body::Bytes(bytes)
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Only `http` and `https` leave the host.
fn check_scheme(url: &str) -> Result<(), TransportError> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http" | "https") => Ok(()),
        Some(other) => Err(TransportError::Denied(format!(
            "scheme `{other}` is not allowed, only http and https"
        ))),
        None => Err(TransportError::InvalidRequest(format!(
            "not an absolute URL: {url}"
        ))),
    }
}

/// Maps ureq's error onto the WIT `transport-error` cases.
pub fn transport_error(error: ureq::Error) -> TransportError {
    use ureq::Error as E;
    match error {
        E::Timeout(_) => TransportError::Timeout,
        E::HostNotFound => TransportError::Dns("host name not found".to_owned()),
        E::BodyExceedsLimit(limit) => TransportError::TooLarge(limit),
        E::Tls(message) => TransportError::Tls(message.to_owned()),
        E::Rustls(e) => TransportError::Tls(e.to_string()),
        E::Pem(e) => TransportError::Tls(e.to_string()),
        E::TlsRequired => TransportError::Tls("the connection is not secured by TLS".to_owned()),
        E::BadUri(message) => TransportError::InvalidRequest(format!("bad URL: {message}")),
        E::Http(e) => TransportError::InvalidRequest(e.to_string()),
        E::ConnectionFailed => TransportError::Connection("connection failed".to_owned()),
        E::Io(e) => io_error(e),
        other => TransportError::Other(other.to_string()),
    }
}

fn io_error(error: std::io::Error) -> TransportError {
    // rustls reports a failed handshake as an `InvalidData` I/O error that
    // wraps its own error.
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return TransportError::Tls(tls.to_string());
    }
    let message = error.to_string();
    match error.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportError::Timeout,
        // std's resolver reports getaddrinfo failures with this text and no
        // kind of their own.
        _ if message.contains("failed to lookup address") => TransportError::Dns(message),
        ErrorKind::ConnectionRefused
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::NotConnected
        | ErrorKind::BrokenPipe
        | ErrorKind::UnexpectedEof
        | ErrorKind::AddrNotAvailable
        | ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable => TransportError::Connection(message),
        _ => TransportError::Other(message),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Body) -> Request {
        Request {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| Header {
                    name: (*n).to_owned(),
                    value: (*v).to_owned(),
                })
                .collect(),
            body,
        }
    }

    /// Serves one connection with `answer`, and returns what was received.
    fn serve_once(answer: &'static [u8]) -> (String, std::thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            socket.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
            let mut received = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = socket.read(&mut buf) {
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&buf[..n]);
            }
            socket.write_all(answer).unwrap();
            received
        });
        (url, handle)
    }

    #[test]
    fn request_goes_out_as_given_with_nothing_added() {
        let (url, server) = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        let host = url.trim_start_matches("http://").to_owned();
        let req = request(
            "PUT",
            &format!("{url}/bucket/a%20b?x-id=PutObject"),
            &[
                ("host", &host),
                ("x-amz-date", "20130524T000000Z"),
                ("Authorization", "AWS4-HMAC-SHA256 x"),
            ],
            Body::Bytes(b"hello".to_vec()),
        );
        let response = UreqOutgoing::default().send(req).unwrap();
        assert_eq!(response.status, 200);
        let received = String::from_utf8(server.join().unwrap()).unwrap();
        let (head, body) = received.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        assert_eq!(lines.next(), Some("PUT /bucket/a%20b?x-id=PutObject HTTP/1.1"));
        let mut names: Vec<String> = lines
            .map(|l| l.split(':').next().unwrap().to_ascii_lowercase())
            .collect();
        names.sort();
        assert_eq!(names, ["authorization", "content-length", "host", "x-amz-date"]);
        assert!(head.contains(&format!("host: {host}")));
        assert_eq!(body, "hello");
    }

    #[test]
    fn error_status_and_redirect_are_responses() {
        let (url, _server) =
            serve_once(b"HTTP/1.1 301 Moved\r\nlocation: http://elsewhere/\r\ncontent-length: 0\r\n\r\n");
        let response = UreqOutgoing::default()
            .send(request("GET", &format!("{url}/"), &[], Body::Empty))
            .unwrap();
        assert_eq!(response.status, 301);
        let (url, _server) = serve_once(
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 8\r\nx-amz-request-id: R1\r\n\r\n<Error/>",
        );
        let response = UreqOutgoing::default()
            .send(request("GET", &format!("{url}/"), &[], Body::Empty))
            .unwrap();
        assert_eq!(response.status, 404);
        assert!(response
            .headers
            .iter()
            .any(|h| h.name == "x-amz-request-id" && h.value == "R1"));
        assert!(matches!(response.body, Body::Bytes(b) if b == b"<Error/>"));
    }

    #[test]
    fn gzip_body_is_not_decompressed() {
        let (url, _server) =
            serve_once(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 3\r\n\r\n\x1f\x8b\x08");
        let response = UreqOutgoing::default()
            .send(request("GET", &format!("{url}/"), &[], Body::Empty))
            .unwrap();
        assert!(matches!(response.body, Body::Bytes(b) if b == b"\x1f\x8b\x08"));
    }

    #[test]
    fn body_over_the_cap_is_too_large() {
        let (url, _server) = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789");
        let mut outgoing = UreqOutgoing::new(HttpConfig {
            max_response_bytes: 4,
            ..HttpConfig::default()
        });
        let error = outgoing
            .send(request("GET", &format!("{url}/"), &[], Body::Empty))
            .unwrap_err();
        assert!(matches!(error, TransportError::TooLarge(4)), "{error:?}");
    }

    #[test]
    fn refused_connection_is_connection_error() {
        // Bind then drop: the port is very likely closed now.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let error = UreqOutgoing::default()
            .send(request(
                "GET",
                &format!("http://127.0.0.1:{port}/"),
                &[],
                Body::Empty,
            ))
            .unwrap_err();
        assert!(matches!(error, TransportError::Connection(_)), "{error:?}");
    }

    #[test]
    fn silent_server_is_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let mut outgoing = UreqOutgoing::new(HttpConfig {
            read_timeout: Duration::from_millis(200),
            ..HttpConfig::default()
        });
        let error = outgoing.send(request("GET", &url, &[], Body::Empty)).unwrap_err();
        drop(listener);
        assert!(matches!(error, TransportError::Timeout), "{error:?}");
    }

    #[test]
    fn resolver_failure_is_dns_error() {
        // What std answers when getaddrinfo fails (no lookup is made here).
        let error = std::io::Error::other("failed to lookup address information: Name or service not known");
        assert!(matches!(io_error(error), TransportError::Dns(_)));
        assert!(matches!(
            transport_error(ureq::Error::HostNotFound),
            TransportError::Dns(_)
        ));
    }

    #[test]
    fn other_scheme_is_denied_and_garbage_is_invalid() {
        let error = UreqOutgoing::default()
            .send(request("GET", "file:///etc/passwd", &[], Body::Empty))
            .unwrap_err();
        assert!(matches!(error, TransportError::Denied(_)), "{error:?}");
        let error = UreqOutgoing::default()
            .send(request("GET", "no url", &[], Body::Empty))
            .unwrap_err();
        assert!(matches!(error, TransportError::InvalidRequest(_)), "{error:?}");
    }
}
