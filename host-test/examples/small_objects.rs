//! Small objects end to end, timed: `N` PUTs, GETs, HEADs and DELETEs of
//! 1 KiB objects against one S3 server, either through the host library
//! (one instance, the typed calls) or as a raw HTTP client sending
//! presigned requests (the floor: no signing, no SDK).
//!
//! ```text
//! small_objects connector ENDPOINT ACCESS_KEY SECRET_KEY BUCKET N
//! small_objects raw REQUESTS.json
//! ```
//!
//! `REQUESTS.json` holds `{"put": [..], "get": [..], "head": [..], "delete":
//! [..]}`, one signed request (`{"url", "headers"}`) per object and operation,
//! signed before the clock starts. Each mode prints one JSON object: for each operation, the mean
//! time per call in µs over the N calls (after one untimed round of
//! warm-up on other keys). `bench/small_objects.py` runs both beside boto3.

use std::time::Instant;

use s3_connector_host::wit::{Connection, GetObjectInput, ObjectRef, PutObjectTextInput};
use s3_connector_host::{InstanceOptions, Runtime};
use serde_json::{json, Value};

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

fn per_call_us(started: Instant, calls: usize) -> f64 {
    started.elapsed().as_secs_f64() * 1e6 / calls.max(1) as f64
}

fn connector(endpoint: &str, access_key: &str, secret_key: &str, bucket: &str, n: usize) -> Fallible<Value> {
    let wasm = std::env::var_os("S3_CONNECTOR_WASM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(s3_connector_host::cli::default_wasm_path);
    let runtime = Runtime::load(&wasm)?;
    let mut instance = runtime.instance(InstanceOptions::default())?;
    let conn = Connection {
        access_key: access_key.to_owned(),
        secret_key: secret_key.to_owned(),
        session_token: None,
        region: Some("us-east-1".to_owned()),
        endpoint: Some(endpoint.to_owned()),
        path_style: true,
        credentials_expire: None,
    };
    let content = "x".repeat(1024);
    let object = |prefix: &str, i: usize| ObjectRef {
        bucket_name: bucket.to_owned(),
        object_path: format!("{prefix}/small-{i:05}.txt"),
        version_id: None,
    };
    let mut report = serde_json::Map::new();
    for (prefix, timed) in [("warm", false), ("timed", true)] {
        let rounds = if timed { n } else { n.min(50) };
        let started = Instant::now();
        for i in 0..rounds {
            let o = object(prefix, i);
            instance.put_object_text(
                &conn,
                &PutObjectTextInput {
                    bucket_name: o.bucket_name,
                    object_path: o.object_path,
                    content: content.clone(),
                    mime_type: None,
                    acl: None,
                    metadata: Vec::new(),
                },
            )?;
        }
        let put = per_call_us(started, rounds);
        let started = Instant::now();
        for i in 0..rounds {
            let o = object(prefix, i);
            let got = instance.get_object(
                &conn,
                &GetObjectInput {
                    bucket_name: o.bucket_name,
                    object_path: o.object_path,
                    version_id: None,
                    range: None,
                },
            )?;
            if got.body.len() != 1024 {
                return Err(format!("GET {i}: {} bytes", got.body.len()).into());
            }
        }
        let get = per_call_us(started, rounds);
        let started = Instant::now();
        for i in 0..rounds {
            instance.head_object(&conn, &object(prefix, i))?;
        }
        let head = per_call_us(started, rounds);
        let started = Instant::now();
        for i in 0..rounds {
            instance.delete_object(&conn, &object(prefix, i))?;
        }
        let delete = per_call_us(started, rounds);
        if timed {
            report.insert("PUT".into(), json!(put));
            report.insert("GET".into(), json!(get));
            report.insert("HEAD".into(), json!(head));
            report.insert("DELETE".into(), json!(delete));
        }
    }
    Ok(Value::Object(report))
}

fn raw(requests_file: &str) -> Fallible<Value> {
    let requests: Value = serde_json::from_slice(&std::fs::read(requests_file)?)?;
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let body = vec![b'x'; 1024];
    let mut report = serde_json::Map::new();
    for (op, method) in [
        ("put", "PUT"),
        ("get", "GET"),
        ("head", "HEAD"),
        ("delete", "DELETE"),
    ] {
        let list = requests[op].as_array().cloned().unwrap_or_default();
        let started = Instant::now();
        for request in &list {
            let url = request["url"].as_str().unwrap_or_default();
            let mut builder = ureq::http::Request::builder().method(method).uri(url);
            for (name, value) in request["headers"].as_object().into_iter().flatten() {
                // The client sets these itself.
                if !matches!(name.to_ascii_lowercase().as_str(), "content-length" | "host") {
                    builder = builder.header(name.as_str(), value.as_str().unwrap_or_default());
                }
            }
            let payload = if method == "PUT" { body.clone() } else { Vec::new() };
            let mut response = agent.run(builder.body(payload)?)?;
            let status = response.status();
            if method == "GET" {
                let got = response.body_mut().read_to_vec()?;
                if got.len() != 1024 {
                    return Err(format!("GET: {} bytes", got.len()).into());
                }
            }
            if !status.is_success() {
                return Err(format!("{method} {url}: {status}").into());
            }
        }
        report.insert(method.into(), json!(per_call_us(started, list.len())));
    }
    Ok(Value::Object(report))
}

fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let report = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["connector", endpoint, access_key, secret_key, bucket, n] => {
            connector(endpoint, access_key, secret_key, bucket, n.parse()?)?
        }
        ["raw", urls] => raw(urls)?,
        _ => return Err("usage: small_objects connector ENDPOINT AK SK BUCKET N | raw REQUESTS.json".into()),
    };
    println!("{report}");
    Ok(())
}
