//! Buckets in several regions, at the real `https://...amazonaws.com` URLs:
//! every request is sent to a loopback fake of S3's regional answers
//! (`--connect-to ::127.0.0.1:<port>`, its test CA trusted), which
//! redirects a bucket addressed at the wrong region as S3 does and hands
//! the rest to s3s-fs, which verifies the signatures. Each test asserts
//! what a user sees (the operation works, `region` names the bucket's) and,
//! with the fake's request log, how many requests it took.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::aws_fake::{parse_address, service_host, AwsFake, Mode, Seen, GLOBAL_REGION};
use common::{runtime, wasm_path};
use s3_connector_host::wit::Connection;
use s3_connector_host::{Instance, InstanceOptions, UreqOutgoing};
use serde_json::{json, Value};

const EU: &str = "eu-west-1";
const AP: &str = "ap-southeast-2";

/// A bucket in each of three regions.
const BUCKETS: [(&str, &str); 3] = [
    ("regions-us-bucket", GLOBAL_REGION),
    ("regions-eu-bucket", EU),
    ("regions-ap-bucket", AP),
];

/// A bucket whose name has dots: addressed path style on AWS.
const DOTTED: (&str, &str) = ("logs.example.eu", EU);

fn fake() -> AwsFake {
    AwsFake::start(&[BUCKETS[0], BUCKETS[1], BUCKETS[2], DOTTED])
}

/// A connection to AWS itself (no endpoint) with `region`.
fn conn(fake: &AwsFake, region: &str) -> Connection {
    Connection {
        access_key: fake.access_key().to_owned(),
        secret_key: fake.secret_key().to_owned(),
        session_token: None,
        region: Some(region.to_owned()),
        endpoint: None,
        path_style: false,
        credentials_expire: None,
    }
}

/// A new instance whose requests reach the fake.
fn instance(fake: &AwsFake) -> Instance {
    runtime()
        .instance(InstanceOptions::new(UreqOutgoing::new(fake.http_config())))
        .unwrap()
}

/// Runs `operation` through the JSON face; its result and body.
fn invoke(
    instance: &mut Instance,
    conn: &Connection,
    operation: &str,
    input: &Value,
    body: Option<&[u8]>,
) -> (Value, Option<Vec<u8>>) {
    match instance.invoke(conn, operation, &input.to_string(), body) {
        Ok(output) => (serde_json::from_str(&output.json).unwrap(), output.body),
        Err(error) => panic!("{operation} {input} failed: {}", error.to_json_line()),
    }
}

/// The `(host, status)` of each request.
fn trail(seen: &[Seen]) -> Vec<(String, u16)> {
    seen.iter().map(|s| (s.host.clone(), s.status)).collect()
}

/// The host a bucket operation is addressed to in `region`.
fn bucket_host(bucket: &str, region: &str) -> String {
    format!("{bucket}.{}", service_host(region))
}

/// One operation of the every-operation test: its name, its input for
/// `bucket`, and how many requests it makes once the region is known.
fn operations(bucket: &str) -> Vec<(&'static str, Value, usize)> {
    vec![
        (
            "put-object-text",
            json!({"bucket_name": bucket, "object_path": "docs/a.txt", "content": "hello"}),
            1,
        ),
        (
            "put-object-file",
            json!({"bucket_name": bucket, "object_path": "b.bin", "file_name": "b.bin"}),
            1,
        ),
        ("list-objects", json!({"bucket_name": bucket}), 1),
        (
            "get-object",
            json!({"bucket_name": bucket, "object_path": "docs/a.txt"}),
            1,
        ),
        (
            "head-object",
            json!({"bucket_name": bucket, "object_path": "b.bin"}),
            1,
        ),
        // The one HEAD that finds the region; the URL is made locally.
        (
            "get-object-signed-url",
            json!({"bucket_name": bucket, "object_path": "docs/a.txt", "expires_seconds": 300}),
            1,
        ),
        (
            "put-object-acl",
            json!({"bucket_name": bucket, "object_path": "docs/a.txt", "acl": "public-read"}),
            1,
        ),
        (
            "delete-object",
            json!({"bucket_name": bucket, "object_path": "b.bin"}),
            1,
        ),
        (
            "delete-objects",
            json!({"bucket_name": bucket, "object_keys": [{"key": "docs/a.txt"}, {"key": "gone"}]}),
            1,
        ),
    ]
}

/// Runs every bucket operation on a fresh instance (nothing learnt yet)
/// with region `setting` against a bucket in each region, and checks that
/// it worked, that it names the bucket's region, and that it took one
/// redirect (`first_status` at the endpoint of us-east-1 for `auto`, else
/// of `setting`) when the bucket is elsewhere, and no more.
fn every_operation_finds_the_region(mode: Mode, setting: &str, first_status: u16) {
    let fake = AwsFake::start_with(&BUCKETS, mode);
    let first = if setting == "auto" { GLOBAL_REGION } else { setting };
    for (bucket, home) in BUCKETS {
        for (operation, input, direct) in operations(bucket) {
            if operation == "get-object-signed-url" && setting != "auto" {
                // An explicit region is trusted: see
                // `signed_url_with_a_wrong_explicit_region_works`.
                continue;
            }
            let from = fake.requests().len();
            let body = (operation == "put-object-file").then_some(&b"\x00binary\xff"[..]);
            let (output, content) = invoke(
                &mut instance(&fake),
                &conn(&fake, setting),
                operation,
                &input,
                body,
            );
            let seen = fake.requests_since(from);
            let what = format!("{operation} on {bucket} ({home}): {:?}", trail(&seen));
            assert_eq!(output["region"], home, "{what}: {output}");

            let (redirects, direct_requests) = if home == first {
                (&seen[..0], &seen[..])
            } else {
                seen.split_at(1)
            };
            for redirect in redirects {
                assert_eq!(redirect.status, first_status, "{what}");
                assert_eq!(redirect.endpoint_region.as_deref(), Some(first), "{what}");
            }
            if setting == "auto" && home == GLOBAL_REGION && operation == "get-object" {
                // The GET never learns us-east-1 (see
                // `batch_of_us_east_1_gets_needs_no_probe`), so the presigned
                // URL made with it probes with a HEAD.
                assert!(direct_requests.len() <= direct + 1, "{what}");
            } else {
                assert_eq!(direct_requests.len(), direct, "{what}");
            }
            for request in direct_requests {
                assert!((200..300).contains(&request.status), "{what}");
                assert_eq!(request.endpoint_region.as_deref(), Some(home), "{what}");
                assert_eq!(request.signing_region.as_deref(), Some(home), "{what}");
                assert_eq!(request.host, bucket_host(bucket, home), "{what}");
            }

            match operation {
                "list-objects" => {
                    let keys: Vec<&str> = output["objects"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| o["key"].as_str().unwrap())
                        .collect();
                    assert_eq!(keys, ["b.bin", "docs/a.txt"], "{what}");
                }
                "get-object" => {
                    assert_eq!(content.as_deref(), Some(&b"hello"[..]), "{what}");
                    let url = output["file"]["url"].as_str().unwrap();
                    assert!(
                        url.starts_with(&format!("https://{}/", bucket_host(bucket, home))),
                        "{url}"
                    );
                }
                "head-object" => assert_eq!(output["content_length"], 8, "{what}: {output}"),
                "get-object-signed-url" => {
                    let url = output["file"]["url"].as_str().unwrap();
                    assert!(
                        url.starts_with(&format!("https://{}/", bucket_host(bucket, home))),
                        "{url}"
                    );
                    assert_eq!(fake.fetch("GET", url), (200, "hello".to_owned()), "{url}");
                }
                "delete-objects" => assert_eq!(output["deleted"], 2, "{what}: {output}"),
                _ => {}
            }
        }
    }
}

#[test]
fn with_region_auto_every_operation_follows_the_301() {
    every_operation_finds_the_region(Mode::Regional, "auto", 301);
}

#[test]
fn with_region_auto_every_operation_follows_the_400_naming_the_region() {
    every_operation_finds_the_region(Mode::GlobalEndpoint, "auto", 400);
}

#[test]
fn with_a_wrong_explicit_region_every_operation_follows_the_301() {
    every_operation_finds_the_region(Mode::Regional, AP, 301);
}

/// A presigned URL cannot follow a redirect, so even an explicit region is
/// checked (one HEAD) before the URL is signed.
#[test]
fn signed_url_with_a_wrong_explicit_region_works() {
    let fake = fake();
    let (bucket, home) = BUCKETS[1];
    let put = json!({"bucket_name": bucket, "object_path": "s.txt", "content": "s"});
    invoke(
        &mut instance(&fake),
        &conn(&fake, home),
        "put-object-text",
        &put,
        None,
    );
    let (output, _) = invoke(
        &mut instance(&fake),
        &conn(&fake, AP),
        "get-object-signed-url",
        &json!({"bucket_name": bucket, "object_path": "s.txt", "expires_seconds": 60}),
        None,
    );
    let url = output["file"]["url"].as_str().unwrap();
    assert_eq!(fake.fetch("GET", url), (200, "s".to_owned()), "{url}");
    assert_eq!(output["region"], home, "{output}");
}

#[test]
fn bucket_location_is_asked_of_us_east_1_for_any_bucket() {
    let fake = fake();
    for (bucket, home) in BUCKETS {
        let from = fake.requests().len();
        let (output, _) = invoke(
            &mut instance(&fake),
            &conn(&fake, "auto"),
            "get-bucket-location",
            &json!({"bucket_name": bucket}),
            None,
        );
        assert_eq!(output["result"], home, "{output}");
        let seen = fake.requests_since(from);
        assert_eq!(
            trail(&seen),
            [(bucket_host(bucket, GLOBAL_REGION), 200)],
            "answered where it was asked"
        );
    }
}

#[test]
fn list_buckets_goes_to_the_global_endpoint() {
    let fake = fake();
    let (output, _) = invoke(
        &mut instance(&fake),
        &conn(&fake, "auto"),
        "list-buckets",
        &json!({}),
        None,
    );
    let mut names: Vec<&str> = output["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "logs.example.eu",
            "regions-ap-bucket",
            "regions-eu-bucket",
            "regions-us-bucket"
        ]
    );
    let seen = fake.requests();
    assert_eq!(trail(&seen), [(service_host(GLOBAL_REGION), 200)]);
    assert_eq!(seen[0].signing_region.as_deref(), Some(GLOBAL_REGION));
}

// Through the CLI.

/// The binary with a clean environment, credentials for the fake, its CA in
/// AWS_CA_BUNDLE and every host sent to it.
fn command(fake: &AwsFake, flags: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3-connector"));
    command
        .env_clear()
        .env("S3_CONNECTOR_WASM", wasm_path())
        .env("AWS_ACCESS_KEY_ID", fake.access_key())
        .env("AWS_SECRET_ACCESS_KEY", fake.secret_key())
        .env("AWS_CA_BUNDLE", fake.ca_bundle_path())
        .args(["--connect-to", &fake.connect_to_text()])
        .args(flags);
    command
}

/// One operation through the binary; its result (it must succeed).
fn cli(fake: &AwsFake, flags: &[&str], operation: &str, input: &Value) -> Value {
    let output = command(fake, flags)
        .args([operation, "--input", &input.to_string()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{operation}: exit {:?}, stderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A batch through the binary: its output and each result line.
fn batch(fake: &AwsFake, flags: &[&str], lines: &[Value]) -> (Output, Vec<Value>) {
    let mut child = command(fake, flags)
        .arg("batch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for line in lines {
            let _ = writeln!(stdin, "{line}");
        }
    }
    let output = child.wait_with_output().unwrap();
    let results = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (output, results)
}

fn op(operation: &str, input: Value) -> Value {
    json!({"operation": operation, "input": input})
}

#[test]
fn wrong_explicit_region_is_corrected_and_the_real_one_reported() {
    let fake = fake();
    let (bucket, home) = BUCKETS[2];
    let put = cli(
        &fake,
        &["--region", EU],
        "put-object-text",
        &json!({"bucket_name": bucket, "object_path": "k.txt", "content": "v"}),
    );
    assert_eq!(put["region"], home, "{put}");
    assert_eq!(
        trail(&fake.requests()),
        [(bucket_host(bucket, EU), 301), (bucket_host(bucket, home), 200)]
    );

    // Signed for us-east-1 at an endpoint routing to the bucket: 400, the
    // region in the body (in the header only, for HEAD).
    let fake = AwsFake::start_with(&BUCKETS, Mode::GlobalEndpoint);
    let (bucket, home) = BUCKETS[1];
    let put = cli(
        &fake,
        &["--region", GLOBAL_REGION],
        "put-object-text",
        &json!({"bucket_name": bucket, "object_path": "k.txt", "content": "v"}),
    );
    assert_eq!(put["region"], home, "{put}");
    let head = cli(
        &fake,
        &["--region", GLOBAL_REGION],
        "head-object",
        &json!({"bucket_name": bucket, "object_path": "k.txt"}),
    );
    assert_eq!(head["region"], home, "{head}");
    let first = bucket_host(bucket, GLOBAL_REGION);
    let right = bucket_host(bucket, home);
    assert_eq!(
        trail(&fake.requests()),
        [
            (first.clone(), 400),
            (right.clone(), 200),
            (first, 400),
            (right, 200)
        ]
    );
}

#[test]
fn in_a_batch_the_second_call_to_a_bucket_goes_straight_to_its_region() {
    let fake = fake();
    let (eu, _) = BUCKETS[1];
    let (ap, _) = BUCKETS[2];
    let lines = [
        op(
            "put-object-text",
            json!({"bucket_name": eu, "object_path": "a.txt", "content": "one"}),
        ),
        op("get-object", json!({"bucket_name": eu, "object_path": "a.txt"})),
        op("list-objects", json!({"bucket_name": ap})),
        op("list-objects", json!({"bucket_name": ap})),
        op("head-object", json!({"bucket_name": eu, "object_path": "a.txt"})),
        op(
            "get-object-signed-url",
            json!({"bucket_name": ap, "object_path": "x", "expires_seconds": 60}),
        ),
        op("list-buckets", json!({})),
    ];
    let (output, results) = batch(&fake, &["--region", "auto"], &lines);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(results.len(), lines.len());
    assert_eq!(results[1]["content"], "one");
    for (i, home) in [(0, EU), (1, EU), (2, AP), (3, AP), (4, EU), (5, AP)] {
        assert_eq!(results[i]["region"], home, "line {i}: {}", results[i]);
    }

    let global = |bucket| bucket_host(bucket, GLOBAL_REGION);
    assert_eq!(
        trail(&fake.requests()),
        [
            (global(eu), 301),
            (bucket_host(eu, EU), 200),
            // The second call to each bucket: one request, at its region.
            (bucket_host(eu, EU), 200),
            (global(ap), 301),
            (bucket_host(ap, AP), 200),
            (bucket_host(ap, AP), 200),
            (bucket_host(eu, EU), 200),
            // The presigned URL needs no probe: the region is known.
            (service_host(GLOBAL_REGION), 200),
        ]
    );
    assert_eq!(fake.count_for_bucket(eu), 4);
    assert_eq!(fake.count_for_host(&service_host(GLOBAL_REGION)), 1);
}

#[test]
fn path_style_finds_the_region_too() {
    let fake = fake();
    let (bucket, home) = BUCKETS[2];
    let lines = [
        op(
            "put-object-text",
            json!({"bucket_name": bucket, "object_path": "dir/p.txt", "content": "path"}),
        ),
        op(
            "get-object",
            json!({"bucket_name": bucket, "object_path": "dir/p.txt"}),
        ),
        op("list-objects", json!({"bucket_name": bucket})),
        op(
            "get-object-signed-url",
            json!({"bucket_name": bucket, "object_path": "dir/p.txt", "expires_seconds": 60}),
        ),
    ];
    let (output, results) = batch(&fake, &["--path-style"], &lines);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(results[1]["content"], "path");
    let url = results[3]["file"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("https://{}/{bucket}/dir/p.txt?", service_host(home))),
        "{url}"
    );
    assert_eq!(fake.fetch("GET", url), (200, "path".to_owned()));
    let seen = fake.requests();
    assert_eq!(
        trail(&seen),
        [
            (service_host(GLOBAL_REGION), 301),
            (service_host(home), 200),
            (service_host(home), 200),
            (service_host(home), 200),
            (service_host(home), 200),
        ]
    );
    assert!(seen.iter().all(|s| s.target.starts_with(&format!("/{bucket}"))));
}

#[test]
fn dotted_bucket_is_addressed_path_style_in_its_region() {
    let fake = fake();
    let (bucket, home) = DOTTED;
    let lines = [
        op(
            "put-object-text",
            json!({"bucket_name": bucket, "object_path": "2024/log.txt", "content": "dots"}),
        ),
        op(
            "head-object",
            json!({"bucket_name": bucket, "object_path": "2024/log.txt"}),
        ),
        op(
            "get-object",
            json!({"bucket_name": bucket, "object_path": "2024/log.txt"}),
        ),
        op("list-objects", json!({"bucket_name": bucket, "prefix": "2024/"})),
        op(
            "delete-objects",
            json!({"bucket_name": bucket, "object_keys": [{"key": "2024/log.txt"}]}),
        ),
    ];
    let (output, results) = batch(&fake, &[], &lines);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(results[2]["content"], "dots");
    assert_eq!(results[3]["objects"][0]["key"], "2024/log.txt");
    assert_eq!(results[4]["deleted"], 1);
    assert!(results.iter().all(|r| r["region"] == home), "{results:?}");
    let seen = fake.requests();
    let mut expected = vec![(service_host(GLOBAL_REGION), 301)];
    expected.extend(std::iter::repeat_n((service_host(home), 200), 5));
    assert_eq!(
        trail(&seen),
        expected,
        "never bucket.s3...: a dot breaks the wildcard certificate"
    );
    assert!(seen.iter().all(|s| s.target.starts_with(&format!("/{bucket}"))));
}

#[test]
fn bodiless_head_redirect_is_followed_through_the_cli() {
    let fake = fake();
    let (bucket, home) = BUCKETS[1];
    cli(
        &fake,
        &["--region", home],
        "put-object-text",
        &json!({"bucket_name": bucket, "object_path": "h.txt", "content": "head"}),
    );
    let head = cli(
        &fake,
        &[],
        "head-object",
        &json!({"bucket_name": bucket, "object_path": "h.txt"}),
    );
    assert_eq!(head["content_length"], 4);
    assert_eq!(head["region"], home);
    let seen = fake.requests_since(1);
    assert_eq!(
        trail(&seen),
        [
            (bucket_host(bucket, GLOBAL_REGION), 301),
            (bucket_host(bucket, home), 200)
        ]
    );
    assert!(seen.iter().all(|s| s.method == "HEAD"));
}

#[test]
fn fake_reads_the_address_from_host_and_path() {
    let vhost = parse_address("bkt.s3.eu-west-1.amazonaws.com", "/key").unwrap();
    assert_eq!(
        (vhost.region.as_str(), vhost.bucket.as_deref()),
        (EU, Some("bkt"))
    );
    let path = parse_address("s3.eu-west-1.amazonaws.com:443", "/a.b.c/key").unwrap();
    assert_eq!(
        (path.region.as_str(), path.bucket.as_deref()),
        (EU, Some("a.b.c"))
    );
    assert_eq!(
        parse_address("s3.us-east-1.amazonaws.com", "/").unwrap().bucket,
        None
    );
    let named_s3 = parse_address("s3.s3.ap-southeast-2.amazonaws.com", "/").unwrap();
    assert_eq!(named_s3.bucket.as_deref(), Some("s3"));
    assert!(parse_address("example.com", "/").is_none());
}

/// With region `auto`, a us-east-1 bucket is answered at the first try and
/// S3 sends no `x-amz-bucket-region` on a successful GET: the region that
/// answered is learnt all the same, so Get Object's presigned URL needs no probe.
#[test]
fn batch_of_us_east_1_gets_needs_no_probe() {
    let fake = fake();
    let (bucket, _) = BUCKETS[0];
    let mut instance = instance(&fake);
    let conn = conn(&fake, "auto");
    let put = json!({"bucket_name": bucket, "object_path": "g.txt", "content": "g"});
    invoke(&mut instance, &conn, "put-object-text", &put, None);
    let from = fake.requests().len();
    let get = json!({"bucket_name": bucket, "object_path": "g.txt"});
    invoke(&mut instance, &conn, "get-object", &get, None);
    invoke(&mut instance, &conn, "get-object", &get, None);
    let methods: Vec<String> = fake.requests_since(from).into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["GET", "GET"]);
}

/// Over HTTPS a PUT from memory sends `UNSIGNED-PAYLOAD` with its
/// `Content-MD5`, as the AWS SDKs do, also when it is sent again to the
/// bucket's own region; the object then holds exactly the bytes sent.
#[test]
fn puts_over_https_send_an_unsigned_payload_with_its_md5() {
    let fake = fake();
    let (bucket, home) = BUCKETS[1];
    let mut instance = instance(&fake);
    let conn = conn(&fake, "auto");
    let content = "over TLS, checked by its MD5";
    let put = json!({"bucket_name": bucket, "object_path": "tls.txt", "content": content});
    invoke(&mut instance, &conn, "put-object-text", &put, None);
    let file = json!({"bucket_name": bucket, "object_path": "tls.bin", "file_name": "tls.bin"});
    invoke(
        &mut instance,
        &conn,
        "put-object-file",
        &file,
        Some(b"\x00\x01 bytes"),
    );
    let puts: Vec<Seen> = fake
        .requests()
        .into_iter()
        .filter(|s| s.method == "PUT")
        .collect();
    // The first PUT met the redirect to the bucket's region and went again.
    assert_eq!(
        trail(&puts),
        [
            (bucket_host(bucket, "us-east-1"), 301),
            (bucket_host(bucket, home), 200),
            (bucket_host(bucket, home), 200),
        ]
    );
    let md5s = [
        "9D8VzQnIQ0TgOunHrhaNyw==",
        "9D8VzQnIQ0TgOunHrhaNyw==",
        "YVL/ZEbNhOOZenEioh23kg==",
    ];
    for (seen, md5) in puts.iter().zip(md5s) {
        assert_eq!(
            seen.content_sha256.as_deref(),
            Some("UNSIGNED-PAYLOAD"),
            "{seen:?}"
        );
        assert_eq!(seen.content_md5.as_deref(), Some(md5), "{seen:?}");
    }
    let mut get = |key: &str| {
        let input = json!({"bucket_name": bucket, "object_path": key});
        invoke(&mut instance, &conn, "get-object", &input, None).1
    };
    assert_eq!(get("tls.txt").as_deref(), Some(content.as_bytes()));
    assert_eq!(get("tls.bin").as_deref(), Some(&b"\x00\x01 bytes"[..]));
}

#[test]
fn presigned_url_on_the_global_endpoint_is_signed_for_the_buckets_region() {
    let fake = AwsFake::start_with(&BUCKETS, Mode::GlobalEndpoint);
    let (bucket, home) = BUCKETS[1];
    let put = json!({"bucket_name": bucket, "object_path": "u.txt", "content": "u"});
    invoke(
        &mut instance(&fake),
        &conn(&fake, home),
        "put-object-text",
        &put,
        None,
    );
    // A fresh instance with the wrong explicit region: the probe meets the
    // old global endpoint's 400 naming the region, and the URL is signed for it.
    let (output, _) = invoke(
        &mut instance(&fake),
        &conn(&fake, GLOBAL_REGION),
        "get-object-signed-url",
        &json!({"bucket_name": bucket, "object_path": "u.txt", "expires_seconds": 60}),
        None,
    );
    let url = output["file"]["url"].as_str().unwrap();
    assert!(url.contains(&format!("%2F{home}%2Fs3%2Faws4_request")), "{url}");
    let (status, body) = fake.fetch("GET", url);
    assert_eq!((status, body.as_str()), (200, "u"));
}

/// Get Bucket Location's answer is remembered: its `region` names the
/// bucket's region, and the next call to the bucket goes straight there.
#[test]
fn bucket_location_is_remembered() {
    let fake = fake();
    let (bucket, home) = BUCKETS[1];
    let mut instance = instance(&fake);
    let conn = conn(&fake, "auto");
    let input = json!({"bucket_name": bucket});
    let (location, _) = invoke(&mut instance, &conn, "get-bucket-location", &input, None);
    assert_eq!(location["result"], home);
    let from = fake.requests().len();
    invoke(&mut instance, &conn, "list-objects", &input, None);
    assert_eq!(
        trail(&fake.requests_since(from)),
        [(bucket_host(bucket, home), 200)]
    );
    assert_eq!(location["region"], home, "{location}");
}

#[test]
fn signatures_are_verified_over_the_virtual_host() {
    let fake = fake();
    let (bucket, home) = BUCKETS[1];
    let mut wrong = conn(&fake, home);
    wrong.secret_key = "not/the/secret/key/of/the/fake/server/00".to_owned();
    let error = instance(&fake)
        .invoke(
            &wrong,
            "list-objects",
            &json!({"bucket_name": bucket}).to_string(),
            None,
        )
        .err()
        .unwrap();
    assert_eq!(error.service_code().as_deref(), Some("signature-does-not-match"));
    assert_eq!(trail(&fake.requests()), [(bucket_host(bucket, home), 403)]);
}

/// Two tenants on one compiled component, one instance each: what one
/// instance learns (a bucket's region) or caches (the day's signing key) is
/// never seen by the other. Tenant B, whose secret key is wrong, is refused
/// even right after tenant A signed for the same day, region and access key
/// (a shared signing-key cache would sign B's request with A's key); and B
/// finds the bucket's region by itself, with the same first, wrongly
/// addressed request A made.
#[test]
fn instances_share_no_state_between_tenants() {
    let fake = fake();
    let (bucket, region) = BUCKETS[1];
    let input = json!({"bucket_name": bucket});
    let mut tenant_a = instance(&fake);
    let mut tenant_b = instance(&fake);

    let before = fake.requests().len();
    invoke(&mut tenant_a, &conn(&fake, "auto"), "list-objects", &input, None);
    let first_a = trail(&fake.requests_since(before));
    assert_eq!(first_a.len(), 2, "A is redirected once: {first_a:?}");
    let before = fake.requests().len();
    invoke(&mut tenant_a, &conn(&fake, "auto"), "list-objects", &input, None);
    assert_eq!(
        trail(&fake.requests_since(before)).len(),
        1,
        "A remembers the region"
    );

    // B, on the same runtime, starts from nothing: the same redirect.
    let before = fake.requests().len();
    let (listing, _) = invoke(&mut tenant_b, &conn(&fake, "auto"), "list-objects", &input, None);
    assert_eq!(listing["region"], region);
    assert_eq!(
        trail(&fake.requests_since(before)),
        first_a,
        "B learns the region itself"
    );

    // B with a wrong secret, right after A signed the same day and region.
    let mut wrong = conn(&fake, region);
    wrong.secret_key = "wrong/secret/key/000000000000000000000000".to_owned();
    invoke(&mut tenant_a, &conn(&fake, region), "list-objects", &input, None);
    let refused = tenant_b.invoke(&wrong, "list-objects", &input.to_string(), None);
    assert!(
        refused.as_ref().err().and_then(|e| e.service_code()).is_some(),
        "B's wrong key must be refused: {:?}",
        refused.map(|o| o.json)
    );
    // Within one instance too, the cached key is the secret's own.
    let refused = tenant_a.invoke(&wrong, "list-objects", &input.to_string(), None);
    assert!(refused.as_ref().err().and_then(|e| e.service_code()).is_some());
    // And A still signs with its own.
    invoke(&mut tenant_a, &conn(&fake, region), "list-objects", &input, None);
}

/// The same when the tenants follow one another in one slot of a pooled
/// runtime: a slot holds one instance at a time, and the pages the first
/// wrote are put back in place for the next (not unmapped), which must then
/// start from the component's initial memory, not from what A left there.
#[test]
fn a_pooled_slot_passes_nothing_to_its_next_tenant() {
    let fake = fake();
    let (bucket, region) = BUCKETS[1];
    let input = json!({"bucket_name": bucket});
    let config = s3_connector_host::RuntimeConfig {
        pooled_instances: Some(1),
        ..s3_connector_host::RuntimeConfig::default()
    };
    let pooled = s3_connector_host::Runtime::load_with(&wasm_path(), &config).unwrap();
    let instance = || {
        pooled
            .instance(InstanceOptions::new(UreqOutgoing::new(fake.http_config())))
            .unwrap()
    };

    let mut tenant_a = instance();
    let before = fake.requests().len();
    invoke(&mut tenant_a, &conn(&fake, "auto"), "list-objects", &input, None);
    let first_a = trail(&fake.requests_since(before));
    assert_eq!(first_a.len(), 2, "A is redirected once: {first_a:?}");
    invoke(&mut tenant_a, &conn(&fake, region), "list-objects", &input, None);
    drop(tenant_a);

    // B takes A's slot (the pool holds one) and starts from nothing.
    let mut tenant_b = instance();
    let before = fake.requests().len();
    let (listing, _) = invoke(&mut tenant_b, &conn(&fake, "auto"), "list-objects", &input, None);
    assert_eq!(listing["region"], region);
    assert_eq!(
        trail(&fake.requests_since(before)),
        first_a,
        "B learns the region itself"
    );
    drop(tenant_b);

    // C, with a wrong secret, right after A and B signed the same day and
    // region in this slot: refused, so no signing key was left behind.
    let mut tenant_c = instance();
    let mut wrong = conn(&fake, region);
    wrong.secret_key = "wrong/secret/key/000000000000000000000000".to_owned();
    let refused = tenant_c.invoke(&wrong, "list-objects", &input.to_string(), None);
    assert!(
        refused.as_ref().err().and_then(|e| e.service_code()).is_some(),
        "C's wrong key must be refused: {:?}",
        refused.map(|o| o.json)
    );
}
