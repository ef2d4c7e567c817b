//! The bench component: the connector's signer and listing parser, and
//! rusty-s3's signer, compiled to the same target and run by the same
//! wasmtime, each export repeating its work `rounds` times.

use std::time::Duration;

use s3_connector::connection::{Connection, Credentials, Region};
use s3_connector::http::{Body, HttpRequest, HttpResponse, Method, OpRequest};
use s3_connector::sigv4::key::SigningKeyCache;
use s3_connector::sigv4::{self, SigningContext};

wit_bindgen::generate!({ world: "bench", path: "wit" });

struct Bench;

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const BUCKET: &str = "examplebucket";
const KEY: &str = "photos/2024/05/IMG_0001.jpg";
const REGION: &str = "us-east-1";
/// 2023-11-14T22:13:20Z: a fixed signing time, so that no clock is read.
const TIME: i64 = 1_700_000_000;

fn time() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(TIME).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// What the connector signs with: these credentials, at the fixed time.
fn context(credentials: &Credentials) -> SigningContext<'_> {
    SigningContext {
        credentials,
        region: REGION,
        service: "s3",
        time: time(),
    }
}

/// The connection an instance holds: AWS, virtual-hosted addressing.
fn connection() -> Connection {
    Connection {
        credentials: Credentials::new(ACCESS_KEY, SECRET_KEY, None),
        region: Region::Named(REGION.to_owned()),
        endpoint: None,
        path_style: false,
    }
}

/// The request as an operation builds it and the client addresses it: an
/// [`OpRequest`] for the bucket and key, then [`Connection::address`] (the
/// host and the key encoded into the path).
fn request(connection: &Connection, method: Method, body: Body) -> HttpRequest {
    let mut op = OpRequest::new(method, Some(BUCKET), Some(KEY));
    op.body = body;
    connection.address(&op, REGION)
}

/// The connector's header signing, as an instance does it: the day's key
/// from its cache, the payload hashed.
fn connector_sign(rounds: u32, method: Method, body: &[u8]) -> String {
    let connection = connection();
    let ctx = context(&connection.credentials);
    let mut cache = SigningKeyCache::new();
    let mut last = String::new();
    // The body is owned once, as an operation's is; each request shares it.
    let body = Body::from(body);
    for _ in 0..rounds {
        let key = cache.key(&ctx);
        let mut signed = request(&connection, method, body.clone());
        sigv4::sign_with_key(&mut signed, &ctx, key);
        last = signed.header("authorization").unwrap_or_default().to_owned();
    }
    last
}

fn rusty_bucket() -> Option<rusty_s3::Bucket> {
    let url = format!("https://s3.{REGION}.amazonaws.com").parse().ok()?;
    rusty_s3::Bucket::new(url, rusty_s3::UrlStyle::VirtualHost, BUCKET, REGION).ok()
}

impl Guest for Bench {
    fn connector_sign_get(rounds: u32) -> String {
        connector_sign(rounds, Method::Get, &[])
    }

    fn connector_sign_put(rounds: u32, body: Vec<u8>) -> String {
        connector_sign(rounds, Method::Put, &body)
    }

    fn connector_presign_get(rounds: u32) -> String {
        let connection = connection();
        let ctx = context(&connection.credentials);
        let mut cache = SigningKeyCache::new();
        let mut last = String::new();
        for _ in 0..rounds {
            let key = cache.key(&ctx);
            let request = request(&connection, Method::Get, Body::empty());
            last = sigv4::presign::presign_url_with_key(&request, &ctx, key, 3600);
        }
        last
    }

    fn rusty_presign_get(rounds: u32) -> String {
        use rusty_s3::S3Action as _;
        let Some(bucket) = rusty_bucket() else {
            return String::new();
        };
        let credentials = rusty_s3::Credentials::new(ACCESS_KEY, SECRET_KEY);
        let at = jiff::Timestamp::from_second(TIME).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let mut last = String::new();
        for _ in 0..rounds {
            let action = rusty_s3::actions::GetObject::new(&bucket, Some(&credentials), KEY);
            last = action.sign_with_time(Duration::from_secs(3600), &at).to_string();
        }
        last
    }

    fn rusty_presign_put(rounds: u32, body: Vec<u8>) -> String {
        use rusty_s3::S3Action as _;
        let Some(bucket) = rusty_bucket() else {
            return String::new();
        };
        let credentials = rusty_s3::Credentials::new(ACCESS_KEY, SECRET_KEY);
        let at = jiff::Timestamp::from_second(TIME).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let mut last = String::new();
        for _ in 0..rounds {
            let hash = sigv4::sha256_hex(&body);
            let action = rusty_s3::actions::PutObject::new(&bucket, Some(&credentials), KEY);
            last = action.sign_with_time(Duration::from_secs(3600), &at).to_string();
            last.push_str(&hash[..8]);
        }
        last
    }

    fn connector_parse_list(rounds: u32, page: Vec<u8>) -> u32 {
        let response = HttpResponse {
            status: 200,
            headers: Default::default(),
            body: page,
        };
        let mut keys = 0;
        for _ in 0..rounds {
            keys = s3_connector::ops::list_objects::parse(&response).map_or(0, |p| p.objects.len());
        }
        u32::try_from(keys).unwrap_or(u32::MAX)
    }
}

export!(Bench);
