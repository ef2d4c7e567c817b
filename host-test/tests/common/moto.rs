//! moto_server (an S3 and IAM emulator from PyPI) for the tests that need
//! more than s3s-fs: IAM permissions, canned ACLs, buckets in other regions,
//! keys a file system cannot hold.
//!
//! `make test` installs moto and sets `MOTO_SERVER` to its `moto_server`.
//! Without it the moto tests fail when `MOTO_REQUIRED=1` or `CI` is set,
//! and are skipped (with a note on stderr) otherwise.
//!
//! moto checks signatures and IAM policies only once authentication is on,
//! and then only for the access keys of IAM users it knows. So
//! [`Moto::start`] first creates an administrator while moto still answers
//! anyone (`INITIAL_NO_AUTH_ACTION_COUNT` unset: unlimited), then turns
//! authentication on by POSTing `0` to `/moto-api/reset-auth`. From then on
//! every S3 and IAM request is verified: the connector's, and those this
//! module signs as the administrator with its own small SigV4 signer
//! (independent of the component's).
//!
//! What moto's checks do not cover (moto 5.x): a presigned URL cannot be
//! fetched at all while authentication is on (moto looks for an
//! `Authorization` header and answers 500 without one); `x-amz-acl` on a
//! PUT is checked as `s3:PutObject` only; Delete Multiple Objects is checked
//! as `s3:DeleteObject` whatever the version ids, and a denial comes back as
//! per-key errors, not as a 403.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use s3_connector_host::wit::Connection;
use sha2::{Digest, Sha256};

/// How long moto may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How many ports [`Moto::start`] tries.
const START_ATTEMPTS: u32 = 3;

/// The region moto's IAM, and the administrator's S3 calls, are signed for.
pub const HOME_REGION: &str = "us-east-1";

/// Whether a missing moto must fail the test rather than skip it.
pub fn required() -> bool {
    let set = |name: &str| {
        std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
    };
    set("MOTO_REQUIRED") || set("CI")
}

/// The `moto_server` to run: `MOTO_SERVER`. `None` (with a note) when it is
/// not set and not [`required`]; a panic when it is required.
pub fn binary() -> Option<PathBuf> {
    match std::env::var_os("MOTO_SERVER") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ if required() => panic!(
            "MOTO_SERVER is not set, and the moto tests are required here (MOTO_REQUIRED=1 or CI): \
             run `make test`, or `make moto` and set MOTO_SERVER=$PWD/target/venv/bin/moto_server"
        ),
        _ => {
            eprintln!(
                "MOTO_SERVER is not set (`make test` sets it): the moto checks are skipped; \
                 set MOTO_REQUIRED=1 to make this a failure"
            );
            None
        }
    }
}

/// An access key pair of an IAM user of moto.
#[derive(Clone)]
pub struct Keys {
    /// The user's name.
    pub user: String,
    /// `AKIA...`.
    pub access_key: String,
    /// Its secret.
    pub secret_key: String,
}

/// A moto_server on 127.0.0.1 with authentication on, and its administrator.
///
/// It runs under a small `sh` watchdog that reads the test's end of a pipe:
/// when the test process ends, however it ends, the pipe closes and the
/// watchdog kills moto. Dropping a `Moto` stops it at once.
pub struct Moto {
    watchdog: Child,
    stdin: Option<ChildStdin>,
    endpoint: String,
    admin: Keys,
}

impl Moto {
    /// One moto per test binary, started on first use; `None` when moto
    /// tests are skipped. Never dropped: its watchdog stops it when the test
    /// binary exits.
    pub fn shared() -> Option<&'static Moto> {
        static SHARED: OnceLock<Option<Moto>> = OnceLock::new();
        SHARED.get_or_init(Moto::start).as_ref()
    }

    /// Starts a moto of its own; `None` when moto tests are skipped.
    ///
    /// Its port is found free and released before moto binds it, so another
    /// listener (a server a test of the same binary starts) can take it
    /// first: moto then exits, and a probe reaches the other listener. Each
    /// attempt checks that moto itself answers before it is used; a failed
    /// attempt is stopped and another port tried.
    pub fn start() -> Option<Self> {
        let binary = binary()?;
        let mut attempt = 1;
        let mut moto = loop {
            match Self::spawn(&binary) {
                Ok(moto) => break moto,
                Err(reason) if attempt < START_ATTEMPTS => {
                    eprintln!("moto, attempt {attempt}: {reason}; trying another port");
                    attempt += 1;
                }
                Err(reason) => panic!("{}: {reason} ({attempt} attempts)", binary.display()),
            }
        };
        moto.admin = moto.bootstrap_admin();
        moto.set_auth(true);
        Some(moto)
    }

    /// One attempt of [`Moto::start`]: moto on a free port, listening and
    /// answering its own API; why not, otherwise (it is stopped then).
    fn spawn(binary: &Path) -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // `read` returns when the test process closes its end of the pipe
        // (it never writes), which it does by exiting or by dropping `Moto`;
        // then moto is killed. The shell itself lives as long as moto, so
        // that a moto that dies early is seen at once.
        let script = r#"exec 3<&0
"$0" "$@" </dev/null >/dev/null 2>&1 &
moto=$!
{ read -r _ <&3; kill "$moto" 2>/dev/null; } &
wait "$moto""#;
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdin = watchdog.stdin.take();
        let mut moto = Self {
            watchdog,
            stdin,
            endpoint: format!("http://127.0.0.1:{port}"),
            admin: Keys {
                user: String::new(),
                access_key: String::new(),
                secret_key: String::new(),
            },
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.watchdog.try_wait() {
                return Err(format!("exited before listening on port {port} ({status})"));
            }
            if Instant::now() >= deadline {
                return Err(format!("did not listen on port {port} within {START_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whoever listens must answer moto's own API, and moto must still
        // be running (it exits when the port was taken from it).
        let answer = agent()
            .get(&format!("{}/moto-api/data.json", moto.endpoint))
            .call()
            .map(|response| response.status().as_u16());
        match (answer, moto.watchdog.try_wait()) {
            (Ok(200), Ok(None)) => Ok(moto),
            (answer, running) => Err(format!(
                "port {port} answered {answer:?} to moto's API, moto running: {running:?}"
            )),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The administrator (every action allowed).
    pub fn admin(&self) -> &Keys {
        &self.admin
    }

    /// A connection as `keys`, signed for `region`.
    pub fn conn(&self, keys: &Keys, region: &str) -> Connection {
        Connection {
            access_key: keys.access_key.clone(),
            secret_key: keys.secret_key.clone(),
            session_token: None,
            region: Some(region.to_owned()),
            endpoint: Some(self.endpoint.clone()),
            path_style: true,
            credentials_expire: None,
        }
    }

    /// The administrator's connection, signed for [`HOME_REGION`].
    pub fn admin_conn(&self) -> Connection {
        self.conn(&self.admin, HOME_REGION)
    }

    /// Turns moto's authentication on (every request verified from now on)
    /// or off (nothing verified). It is one switch for the whole server.
    pub fn set_auth(&self, on: bool) {
        let count = if on { "0" } else { "inf" };
        let mut response = agent()
            .post(&format!("{}/moto-api/reset-auth", self.endpoint))
            .header("content-type", "text/plain")
            .send(count)
            .unwrap();
        let body = response.body_mut().read_to_string().unwrap();
        assert_eq!(response.status().as_u16(), 200, "reset-auth {count}: {body}");
    }

    /// Creates the administrator while moto answers anyone. The request
    /// still needs an `Authorization` header: moto routes it to IAM by the
    /// service named in its credential scope.
    fn bootstrap_admin(&self) -> Keys {
        let routing = "AWS4-HMAC-SHA256 Credential=AKIAUNSIGNED/20240101/us-east-1/iam/aws4_request, \
                       SignedHeaders=host, Signature=0";
        let call = |params: &[(&str, &str)]| -> String {
            let mut response = agent()
                .post(&format!("{}/", self.endpoint))
                .header("authorization", routing)
                .header("content-type", "application/x-www-form-urlencoded")
                .send(form(params))
                .unwrap();
            let body = response.body_mut().read_to_string().unwrap();
            assert_eq!(response.status().as_u16(), 200, "{params:?}: {body}");
            body
        };
        let user = "admin";
        call(&[("Action", "CreateUser"), ("UserName", user)]);
        call(&[
            ("Action", "PutUserPolicy"),
            ("UserName", user),
            ("PolicyName", "everything"),
            ("PolicyDocument", &policy(&["*"])),
        ]);
        let created = call(&[("Action", "CreateAccessKey"), ("UserName", user)]);
        access_keys(user, &created)
    }

    /// Creates an IAM user whose only policy allows exactly `actions` (none:
    /// no policy at all), on every resource, and returns its access key.
    pub fn user_with(&self, actions: &[&str]) -> Keys {
        let document = (!actions.is_empty()).then(|| policy(actions));
        self.user_with_policy(document.as_deref())
    }

    /// Creates an IAM user whose only policy is `document` (none: no policy
    /// at all), and returns its access key.
    pub fn user_with_policy(&self, document: Option<&str>) -> Keys {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let user = format!("user{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.iam(&[("Action", "CreateUser"), ("UserName", &user)]);
        if let Some(document) = document {
            self.iam(&[
                ("Action", "PutUserPolicy"),
                ("UserName", &user),
                ("PolicyName", "exactly"),
                ("PolicyDocument", document),
            ]);
        }
        let created = self.iam(&[("Action", "CreateAccessKey"), ("UserName", &user)]);
        access_keys(&user, &created)
    }

    /// One IAM query-API call, signed as the administrator; the XML answer.
    fn iam(&self, params: &[(&str, &str)]) -> String {
        let (status, body) = self.signed(
            &Signed {
                method: "POST",
                path: "/",
                query: "",
                headers: &[("content-type", "application/x-www-form-urlencoded")],
                body: form(params).as_bytes(),
                service: "iam",
            },
            &self.admin,
        );
        assert_eq!(status, 200, "IAM {params:?}: {body}");
        body
    }

    /// One S3 request signed as the administrator: `path` already
    /// URI-encoded (`/bucket/a%20b`), `query` canonical (`acl=`).
    pub fn s3(&self, method: &str, path: &str, query: &str, body: &[u8]) -> (u16, String) {
        self.signed(
            &Signed {
                method,
                path,
                query,
                headers: &[],
                body,
                service: "s3",
            },
            &self.admin,
        )
    }

    /// Creates bucket `name` in `region` (`us-east-1`: no location constraint).
    pub fn create_bucket(&self, name: &str, region: &str) {
        let body = if region == HOME_REGION {
            String::new()
        } else {
            format!(
                "<CreateBucketConfiguration><LocationConstraint>{region}\
                 </LocationConstraint></CreateBucketConfiguration>"
            )
        };
        let (status, answer) = self.s3("PUT", &format!("/{name}"), "", body.as_bytes());
        assert_eq!(status, 200, "create bucket {name} in {region}: {answer}");
    }

    /// Turns versioning on for bucket `name`.
    pub fn enable_versioning(&self, name: &str) {
        let body = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
        let (status, answer) = self.s3("PUT", &format!("/{name}"), "versioning=", body.as_bytes());
        assert_eq!(status, 200, "versioning on {name}: {answer}");
    }

    /// The ACL of an object (Get Object ACL's XML).
    pub fn object_acl(&self, bucket: &str, key: &str) -> String {
        let path = format!("/{bucket}/{}", uri_encode(key, false));
        let (status, body) = self.s3("GET", &path, "acl=", b"");
        assert_eq!(status, 200, "acl of {bucket}/{key}: {body}");
        body
    }

    fn signed(&self, request: &Signed<'_>, keys: &Keys) -> (u16, String) {
        let url = if request.query.is_empty() {
            format!("{}{}", self.endpoint, request.path)
        } else {
            format!("{}{}?{}", self.endpoint, request.path, request.query)
        };
        let host = self.endpoint.trim_start_matches("http://");
        let headers = sign(request, keys, host, time::OffsetDateTime::now_utc());
        let mut builder = ureq::http::Request::builder()
            .method(request.method)
            .uri(url.as_str());
        for (name, value) in request.headers.iter().copied().chain(
            headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .filter(|(n, _)| *n != "host"),
        ) {
            builder = builder.header(name, value);
        }
        let mut response = agent().run(builder.body(request.body.to_vec()).unwrap()).unwrap();
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        (status, body)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Closing the pipe makes the watchdog kill moto and wait for it.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.watchdog.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

/// An HTTP client that returns 4xx and 5xx answers instead of failing.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

/// An IAM policy allowing `actions` on every resource.
fn policy(actions: &[&str]) -> String {
    let actions = serde_json::to_string(actions).unwrap();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":"*"}}]}}"#
    )
}

/// The key pair in a CreateAccessKey answer.
fn access_keys(user: &str, xml: &str) -> Keys {
    Keys {
        user: user.to_owned(),
        access_key: xml_text(xml, "AccessKeyId").unwrap_or_else(|| panic!("no AccessKeyId in {xml}")),
        secret_key: xml_text(xml, "SecretAccessKey").unwrap_or_else(|| panic!("no SecretAccessKey in {xml}")),
    }
}

/// The text of the first `<tag>` element of `xml` (no entities expected).
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml.get(start..)?.find(&format!("</{tag}>"))? + start;
    xml.get(start..end).map(str::to_owned)
}

/// `application/x-www-form-urlencoded`, IAM's query API with version.
fn form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .chain(&[("Version", "2010-05-08")])
        .map(|(k, v)| format!("{}={}", uri_encode(k, true), uri_encode(v, true)))
        .collect::<Vec<_>>()
        .join("&")
}

/// SigV4's URI encoding: everything but `A-Za-z0-9-._~` percent-encoded,
/// and `/` too when `encode_slash`.
pub fn uri_encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::new();
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (b == b'/' && !encode_slash) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A request for [`sign`].
struct Signed<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
    service: &'a str,
}

/// The headers that sign `request` (AWS Signature Version 4, header form):
/// `host`, `x-amz-date`, `x-amz-content-sha256`, `authorization`. `query`
/// must already be canonical (sorted, encoded, `name=` for bare names).
fn sign(request: &Signed<'_>, keys: &Keys, host: &str, now: time::OffsetDateTime) -> Vec<(String, String)> {
    let date = format!("{:04}{:02}{:02}", now.year(), u8::from(now.month()), now.day());
    let stamp = format!("{date}T{:02}{:02}{:02}Z", now.hour(), now.minute(), now.second());
    let payload = hex(&Sha256::digest(request.body));
    let signed_headers = "host;x-amz-content-sha256;x-amz-date";
    let canonical = format!(
        "{}\n{}\n{}\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{stamp}\n\n{signed_headers}\n{payload}",
        request.method, request.path, request.query
    );
    let scope = format!("{date}/{HOME_REGION}/{}/aws4_request", request.service);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{}", keys.secret_key).as_bytes(), date.as_bytes());
    for part in [HOME_REGION, request.service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, to_sign.as_bytes()));
    vec![
        ("host".to_owned(), host.to_owned()),
        ("x-amz-date".to_owned(), stamp),
        ("x-amz-content-sha256".to_owned(), payload),
        (
            "authorization".to_owned(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                keys.access_key
            ),
        ),
    ]
}

/// HMAC-SHA256 (RFC 2104).
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
