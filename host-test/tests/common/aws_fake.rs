//! A loopback fake of how AWS S3 answers by region, for the real
//! `https://...amazonaws.com` URLs.
//!
//! [`AwsFake`] serves HTTPS on 127.0.0.1 with certificates for
//! `s3.<region>.amazonaws.com` and `*.s3.<region>.amazonaws.com` (signed by
//! a test CA), and knows which region each bucket is in. A request reaches
//! it through `--connect-to ::127.0.0.1:<port>` with the URL, `host`
//! header, TLS name and signature unchanged. From the `host` (virtual
//! hosted `bucket.s3.<region>.amazonaws.com`, or path style
//! `s3.<region>.amazonaws.com/bucket`) and the signing region (the
//! `Authorization` header's credential scope, or a presigned URL's
//! `X-Amz-Credential`) it answers as S3 does:
//!
//! - a bucket in another region than the endpoint's: `301
//!   PermanentRedirect` with `x-amz-bucket-region`, and the `<Error>` body
//!   naming the endpoint (HEAD: the header only, no body);
//! - the bucket's own endpoint signed for another region: `400
//!   AuthorizationHeaderMalformed` (a presigned URL:
//!   `AuthorizationQueryParametersError`) with `<Region>` in the body (HEAD:
//!   no body, the region in `x-amz-bucket-region`);
//! - Get Bucket Location (`GET ?location`): answered from any region's
//!   endpoint, with the bucket's region;
//! - List Buckets (`GET /` on a service endpoint): answered from any region;
//! - otherwise the request is handed, bytes unchanged, to an in-process
//!   s3s-fs service (the local server's, with its canned ACLs) that parses
//!   virtual-hosted names under every `s3.<region>.amazonaws.com` and
//!   verifies the signature over the host and path the client signed.
//!
//! With [`Mode::GlobalEndpoint`] the us-east-1 endpoint behaves like S3's
//! legacy global one (`s3.amazonaws.com`): it routes every bucket to its
//! own region, where a signature for us-east-1 is refused with 400 and
//! `<Region>`, instead of a 301.
//!
//! Every request is logged ([`AwsFake::requests`]) so that tests can count
//! what went where.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use s3_connector_host::local_server::{create_bucket_dir, service_builder, KeyPair};
use s3_connector_host::wit::{Body, Header, Request};
use s3_connector_host::{ConnectTo, HttpConfig, Outgoing, UreqOutgoing};
use s3s::host::MultiDomain;
use s3s::service::S3Service;
use tempfile::TempDir;
use ureq::http;

use super::tls::{serve_tls, Received, Reply, TestCa, TestServer};

/// The region S3 calls global: where List Buckets goes.
pub const GLOBAL_REGION: &str = "us-east-1";

/// The largest response body the fake takes from s3s-fs.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// How the us-east-1 endpoint treats a bucket of another region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// As every regional endpoint: 301 with the bucket's region.
    Regional,
    /// As S3's legacy global endpoint: the request reaches the bucket's own
    /// region, which refuses the us-east-1 signature with 400 and `<Region>`.
    GlobalEndpoint,
}

/// One request the fake answered.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The `host` header, as sent.
    pub host: String,
    /// Path and query, as sent.
    pub target: String,
    /// The bucket addressed (from the host or the path), if any.
    pub bucket: Option<String>,
    /// The region of the endpoint addressed, if the host was an S3 one.
    pub endpoint_region: Option<String>,
    /// The region the request was signed for, if it was signed.
    pub signing_region: Option<String>,
    /// The `x-amz-content-sha256` header as sent (the payload hash signed,
    /// or `UNSIGNED-PAYLOAD`), if any.
    pub content_sha256: Option<String>,
    /// The `content-md5` header as sent, if any.
    pub content_md5: Option<String>,
    /// The status answered.
    pub status: u16,
}

/// The fake; it stops when dropped.
pub struct AwsFake {
    server: TestServer,
    inner: Arc<Inner>,
    ca_pem: PathBuf,
    ca: TestCa,
    keys: KeyPair,
    // Dropped last: s3s-fs's files, and the CA file.
    _dir: TempDir,
}

struct Inner {
    /// Bucket name -> its region.
    buckets: HashMap<String, String>,
    mode: Mode,
    service: S3Service,
    runtime: tokio::runtime::Runtime,
    log: Mutex<Vec<Seen>>,
}

impl AwsFake {
    /// A fake holding these `(bucket, region)` pairs, 301s everywhere.
    pub fn start(buckets: &[(&str, &str)]) -> Self {
        Self::start_with(buckets, Mode::Regional)
    }

    /// A fake holding these `(bucket, region)` pairs.
    pub fn start_with(buckets: &[(&str, &str)], mode: Mode) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("s3");
        std::fs::create_dir_all(&root).unwrap();
        for (bucket, _) in buckets {
            create_bucket_dir(&root, bucket).unwrap();
        }
        let regions: BTreeSet<&str> = buckets
            .iter()
            .map(|(_, region)| *region)
            .chain([GLOBAL_REGION])
            .collect();

        let root = root.canonicalize().unwrap();
        let keys = KeyPair::random().unwrap();
        let (mut builder, _) = service_builder(&root, &keys.access_key, &keys.secret_key).unwrap();
        let domains: Vec<String> = regions.iter().map(|r| service_host(r)).collect();
        builder.set_host(MultiDomain::new(&domains).unwrap());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let inner = Arc::new(Inner {
            buckets: buckets
                .iter()
                .map(|(b, r)| ((*b).to_owned(), (*r).to_owned()))
                .collect(),
            mode,
            service: builder.build(),
            runtime,
            log: Mutex::new(Vec::new()),
        });

        let ca = TestCa::new();
        let names: Vec<String> = regions
            .iter()
            .flat_map(|r| [service_host(r), format!("*.{}", service_host(r))])
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let handler = {
            let inner = Arc::clone(&inner);
            move |request: &Received| inner.answer(request)
        };
        let server = serve_tls(&ca, &names, handler);
        let ca_pem = ca.write_pem(dir.path());
        Self {
            server,
            inner,
            ca_pem,
            ca,
            keys,
            _dir: dir,
        }
    }

    /// The access key s3s-fs accepts.
    pub fn access_key(&self) -> &str {
        &self.keys.access_key
    }

    /// The secret key s3s-fs accepts.
    pub fn secret_key(&self) -> &str {
        &self.keys.secret_key
    }

    /// The `--connect-to` value sending every host and port here:
    /// `::127.0.0.1:<port>`.
    pub fn connect_to_text(&self) -> String {
        format!("::127.0.0.1:{}", self.server.port())
    }

    /// The test CA's certificate file, for AWS_CA_BUNDLE or `--ca-bundle`.
    pub fn ca_bundle_path(&self) -> &Path {
        &self.ca_pem
    }

    /// The host's HTTP settings that reach the fake: every host connected
    /// here, the test CA trusted.
    pub fn http_config(&self) -> HttpConfig {
        let rule: ConnectTo = self.connect_to_text().parse().unwrap();
        HttpConfig {
            connect_to: vec![rule],
            ca_bundle: Some(self.ca.bundle()),
            ..HttpConfig::default()
        }
    }

    /// Fetches `url` (a presigned URL) through the fake, as a browser would:
    /// the status and the body (as text, lossily).
    pub fn fetch(&self, method: &str, url: &str) -> (u16, String) {
        let mut outgoing = UreqOutgoing::new(self.http_config());
        let response = outgoing
            .send(Request {
                method: method.to_owned(),
                url: url.to_owned(),
                headers: Vec::<Header>::new(),
                body: Body::Empty,
            })
            .unwrap();
        let body = match response.body {
            Body::Empty => String::new(),
            Body::Bytes(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        };
        (response.status, body)
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.inner.log.lock().unwrap().clone()
    }

    /// The requests answered after the first `from`.
    pub fn requests_since(&self, from: usize) -> Vec<Seen> {
        self.requests().into_iter().skip(from).collect()
    }

    /// How many requests addressed `bucket`.
    pub fn count_for_bucket(&self, bucket: &str) -> usize {
        self.requests()
            .iter()
            .filter(|s| s.bucket.as_deref() == Some(bucket))
            .count()
    }

    /// How many requests had `host` as their host.
    pub fn count_for_host(&self, host: &str) -> usize {
        self.requests().iter().filter(|s| s.host == host).count()
    }

    /// The region the fake keeps `bucket` in.
    pub fn region_of(&self, bucket: &str) -> &str {
        self.inner.buckets.get(bucket).map(String::as_str).unwrap()
    }
}

/// `s3.<region>.amazonaws.com`.
pub fn service_host(region: &str) -> String {
    format!("s3.{region}.amazonaws.com")
}

/// Where a request was addressed.
pub struct Address {
    /// The endpoint's region.
    pub region: String,
    /// The bucket, from the host or the path's first segment.
    pub bucket: Option<String>,
}

impl Inner {
    fn answer(&self, request: &Received) -> Reply {
        let host = request.header("host").unwrap_or_default().to_owned();
        let address = parse_address(&host, request.path());
        let signing_region = signing_region(request);
        let reply = match &address {
            None => Reply::s3_error(400, "InvalidRequest", &format!("not an S3 host: {host}")),
            Some(address) => self.route(request, address, signing_region.as_deref()),
        };
        self.log.lock().unwrap().push(Seen {
            method: request.method.clone(),
            host,
            target: request.target.clone(),
            bucket: address.as_ref().and_then(|a| a.bucket.clone()),
            endpoint_region: address.map(|a| a.region),
            signing_region,
            content_sha256: request.header("x-amz-content-sha256").map(str::to_owned),
            content_md5: request.header("content-md5").map(str::to_owned),
            status: reply.status,
        });
        reply
    }

    fn route(&self, request: &Received, address: &Address, signing: Option<&str>) -> Reply {
        let head = request.method.eq_ignore_ascii_case("HEAD");
        let wrong_signature = |expected: &str| signing.is_some_and(|s| s != expected);
        let Some(bucket) = &address.bucket else {
            // List Buckets: any region's endpoint answers, signed for itself.
            if wrong_signature(&address.region) {
                return malformed(request, &address.region, head);
            }
            return self.forward(request);
        };
        if is_location_request(request) {
            if wrong_signature(&address.region) {
                return malformed(request, &address.region, head);
            }
            let home = self.buckets.get(bucket).map(String::as_str);
            return with_location(self.forward(request), home);
        }
        let Some(home) = self.buckets.get(bucket) else {
            // s3s-fs answers NoSuchBucket.
            return self.forward(request);
        };
        let global_routes_here = self.mode == Mode::GlobalEndpoint && address.region == GLOBAL_REGION;
        if *home != address.region && !global_routes_here {
            return redirect(bucket, home, head);
        }
        if wrong_signature(home) {
            return malformed(request, home, head);
        }
        self.forward(request)
    }

    /// Hands the request, unchanged, to s3s-fs and returns its answer.
    fn forward(&self, request: &Received) -> Reply {
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(request.target.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let http_request = builder.body(s3s::Body::from(request.body.clone())).unwrap();
        let service = self.service.clone();
        let answered = self.runtime.block_on(async move {
            let response = service.call(http_request).await.map_err(|e| format!("{e:?}"))?;
            let (parts, mut body) = response.into_parts();
            let bytes = body
                .store_all_limited(MAX_BODY)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((parts, bytes.to_vec()))
        });
        let (parts, body) = match answered {
            Ok(answer) => answer,
            Err(message) => return Reply::s3_error(500, "InternalError", &message),
        };
        let mut reply = Reply::new(parts.status.as_u16());
        let mut length = None;
        for (name, value) in &parts.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            match name.as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                // The test server frames the body itself.
                "transfer-encoding" | "connection" => {}
                _ => reply = reply.header(name.as_str(), &value),
            }
        }
        reply.body = if request.method.eq_ignore_ascii_case("HEAD") {
            // The test server writes `content-length` from the body and
            // sends no body to a HEAD: a body of the object's length makes
            // the header say the object's size, as S3's does.
            vec![0; length.unwrap_or(0)]
        } else {
            body
        };
        reply
    }
}

/// The region and bucket a request addresses: `bucket.s3.<region>.amazonaws.com`
/// (virtual hosted) or `s3.<region>.amazonaws.com/bucket` (path style).
pub fn parse_address(host: &str, path: &str) -> Option<Address> {
    let host = host.split(':').next().unwrap_or_default().to_ascii_lowercase();
    let rest = host.strip_suffix(".amazonaws.com")?;
    if let Some(region) = rest.strip_prefix("s3.").filter(|r| !r.contains('.')) {
        let bucket = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .filter(|b| !b.is_empty())
            .map(str::to_owned);
        return Some(Address {
            region: region.to_owned(),
            bucket,
        });
    }
    let (bucket, region) = rest.rsplit_once(".s3.")?;
    (!region.contains('.') && !bucket.is_empty()).then(|| Address {
        region: region.to_owned(),
        bucket: Some(bucket.to_owned()),
    })
}

/// The region of the credential scope: `Credential=AK/DATE/REGION/s3/aws4_request`
/// in the `authorization` header, or `X-Amz-Credential` in the query.
fn signing_region(request: &Received) -> Option<String> {
    let credential = match request.header("authorization") {
        Some(auth) => auth.split("Credential=").nth(1)?.split(',').next()?.to_owned(),
        None => request
            .query()
            .split('&')
            .find_map(|pair| pair.strip_prefix("X-Amz-Credential="))?
            .replace("%2F", "/")
            .replace("%2f", "/"),
    };
    credential.split('/').nth(2).map(str::to_owned)
}

fn is_location_request(request: &Received) -> bool {
    request.method == "GET"
        && request
            .query()
            .split('&')
            .any(|p| p == "location" || p == "location=")
}

fn request_id() -> (&'static str, &'static str) {
    ("x-amz-request-id", "FAKEREQUESTID000")
}

/// S3's answer for a bucket addressed at another region's endpoint.
fn redirect(bucket: &str, home: &str, head: bool) -> Reply {
    let (id_name, id) = request_id();
    let reply = Reply::new(301)
        .header("x-amz-bucket-region", home)
        .header(id_name, id);
    if head {
        return reply;
    }
    reply.header("content-type", "application/xml").body(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code>\
         <Message>The bucket you are attempting to access must be addressed using the specified \
         endpoint. Please send all future requests to this endpoint.</Message>\
         <Endpoint>{bucket}.{}</Endpoint><Bucket>{bucket}</Bucket><RequestId>{id}</RequestId>\
         <HostId>fake</HostId></Error>",
        service_host(home)
    ))
}

/// S3's answer for a request signed for another region than the one that
/// holds the bucket. Only the body names the region (HEAD: the header).
fn malformed(request: &Received, expected: &str, head: bool) -> Reply {
    let (id_name, id) = request_id();
    if head {
        return Reply::new(400)
            .header("x-amz-bucket-region", expected)
            .header(id_name, id);
    }
    let signed = signing_region(request).unwrap_or_default();
    let (code, message) = if request.header("authorization").is_some() {
        (
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed",
        )
    } else {
        (
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter",
        )
    };
    Reply::xml(
        400,
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>{message}; the region '{signed}' is wrong; expecting '{expected}'</Message>\
             <Region>{expected}</Region><RequestId>{id}</RequestId><HostId>fake</HostId></Error>"
        ),
    )
    .header(id_name, id)
}

/// s3s-fs's Get Bucket Location answer with the bucket's region (it knows
/// none): empty for us-east-1, as S3 says it.
fn with_location(reply: Reply, home: Option<&str>) -> Reply {
    let (200, Some(home)) = (reply.status, home) else {
        return reply;
    };
    let constraint = if home == GLOBAL_REGION { "" } else { home };
    reply.body(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint \
         xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{constraint}</LocationConstraint>"
    ))
}
