//! Small objects end to end, timed: `N` PUTs, GETs, HEADs and DELETEs of
//! 1 KiB objects against one S3 server, through the host library (one
//! instance, the typed calls), as a raw HTTP client sending requests signed
//! in advance (the floor: no signing, no SDK), or both taking turns.
//!
//! ```text
//! small_objects connector ENDPOINT ACCESS_KEY SECRET_KEY BUCKET N [OPS]
//! small_objects raw REQUESTS.json
//! small_objects paired ENDPOINT ACCESS_KEY SECRET_KEY BUCKET REQUESTS.json
//! ```
//!
//! `REQUESTS.json` holds `{"put": [..], "get": [..], "head": [..], "delete":
//! [..]}`, one signed request (`{"url", "headers"}`) per object and operation,
//! signed before the clock starts. `connector` and `raw` print, for each
//! operation, the mean time per call in µs over the N calls (after one
//! untimed round of warm-up); `OPS` (`put,get`, say) runs only those. `paired` runs both in blocks of 20 calls,
//! taking turns, and prints each one's mean and the median ratio of the
//! connector's time to raw's over the block pairs: what the rest of the
//! machine does falls on both. `paired` also gives each one's CPU time per
//! call (the calling thread's, where the host library, the component and
//! the HTTP client all run): what each spends itself, without the server's
//! time, which the ratios of end-to-end times carry. `bench/small_objects.py`
//! runs it beside boto3.
//!
//! With `SMALL_PERFMAP` set, the connector's runtime writes wasmtime's perf
//! map (`/tmp/perf-PID.map`), which names the component's compiled
//! functions: `bench/client_instructions.py` runs a names-kept build so
//! under callgrind to say where a call's instructions go.

use std::time::Instant;

use s3_connector_host::wit::{Connection, GetObjectInput, ObjectRef, PutObjectTextInput};
use s3_connector_host::{InstanceOptions, Runtime, RuntimeConfig};
use serde_json::{json, Value};

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

fn per_call_us(started: Instant, calls: usize) -> f64 {
    started.elapsed().as_secs_f64() * 1e6 / calls.max(1) as f64
}

/// The CPU time the calling thread has used, in seconds
/// (`CLOCK_THREAD_CPUTIME_ID`: the kernel's count of the time the thread
/// ran, in its own time and in system calls).
fn thread_cpu_s() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid `timespec` for the call to write.
    let read = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if read != 0 {
        return f64::NAN;
    }
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

/// The four operations, in the order they run.
const OPS: [(&str, &str); 4] = [
    ("put", "PUT"),
    ("get", "GET"),
    ("head", "HEAD"),
    ("delete", "DELETE"),
];

/// Calls per block: the contenders take turns block by block, so that both
/// see the same machine (a neighbour's burst of work falls on both).
const BLOCK: usize = 20;

/// One instance of the connector, calling the typed operations.
struct ConnectorClient {
    instance: s3_connector_host::Instance,
    conn: Connection,
    bucket: String,
    content: String,
}

impl ConnectorClient {
    fn new(endpoint: &str, access_key: &str, secret_key: &str, bucket: &str) -> Fallible<Self> {
        let wasm = std::env::var_os("S3_CONNECTOR_WASM")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(s3_connector_host::cli::default_wasm_path);
        let config = RuntimeConfig {
            perf_map: std::env::var_os("SMALL_PERFMAP").is_some(),
            ..RuntimeConfig::default()
        };
        let runtime = Runtime::load_with(&wasm, &config)?;
        let instance = runtime.instance(InstanceOptions::default())?;
        Ok(ConnectorClient {
            instance,
            conn: Connection {
                access_key: access_key.to_owned(),
                secret_key: secret_key.to_owned(),
                session_token: None,
                region: Some("us-east-1".to_owned()),
                endpoint: Some(endpoint.to_owned()),
                path_style: true,
                credentials_expire: None,
            },
            bucket: bucket.to_owned(),
            content: "x".repeat(1024),
        })
    }

    fn object(&self, prefix: &str, i: usize) -> ObjectRef {
        ObjectRef {
            bucket_name: self.bucket.clone(),
            object_path: format!("{prefix}/small-{i:05}.txt"),
            version_id: None,
        }
    }

    /// Runs `op` on object `i` under `prefix`.
    fn call(&mut self, op: &str, prefix: &str, i: usize) -> Fallible<()> {
        let o = self.object(prefix, i);
        match op {
            "put" => {
                self.instance.put_object_text(
                    &self.conn,
                    &PutObjectTextInput {
                        bucket_name: o.bucket_name,
                        object_path: o.object_path,
                        content: self.content.clone(),
                        mime_type: None,
                        acl: None,
                        metadata: Vec::new(),
                    },
                )?;
            }
            "get" => {
                let got = self.instance.get_object(
                    &self.conn,
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
            "head" => {
                self.instance.head_object(&self.conn, &o)?;
            }
            _ => {
                self.instance.delete_object(&self.conn, &o)?;
            }
        }
        Ok(())
    }
}

/// A plain keep-alive client sending requests signed before the clock
/// starts.
struct RawClient {
    agent: ureq::Agent,
    requests: Value,
    body: Vec<u8>,
}

impl RawClient {
    fn new(requests_file: &str) -> Fallible<Self> {
        Ok(RawClient {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent(),
            requests: serde_json::from_slice(&std::fs::read(requests_file)?)?,
            body: vec![b'x'; 1024],
        })
    }

    fn len(&self, op: &str) -> usize {
        self.requests[op].as_array().map_or(0, Vec::len)
    }

    /// Sends the `i`th signed request of `op`.
    fn call(&self, op: &str, method: &str, i: usize) -> Fallible<()> {
        let request = &self.requests[op][i];
        let url = request["url"].as_str().unwrap_or_default();
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in request["headers"].as_object().into_iter().flatten() {
            // The client sets these itself.
            if !matches!(name.to_ascii_lowercase().as_str(), "content-length" | "host") {
                builder = builder.header(name.as_str(), value.as_str().unwrap_or_default());
            }
        }
        let payload = if method == "PUT" {
            self.body.clone()
        } else {
            Vec::new()
        };
        let mut response = self.agent.run(builder.body(payload)?)?;
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
        Ok(())
    }
}

fn connector(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
    bucket: &str,
    n: usize,
    only: Option<&str>,
) -> Fallible<Value> {
    let mut client = ConnectorClient::new(endpoint, access_key, secret_key, bucket)?;
    let mut report = serde_json::Map::new();
    let chosen = |op: &str| only.is_none_or(|list| list.split(',').any(|o| o == op));
    for (prefix, timed) in [("warm", false), ("timed", true)] {
        let rounds = if timed { n } else { n.min(50) };
        for (op, method) in OPS.into_iter().filter(|(op, _)| chosen(op)) {
            let started = Instant::now();
            for i in 0..rounds {
                client.call(op, prefix, i)?;
            }
            if timed {
                report.insert(method.into(), json!(per_call_us(started, rounds)));
            }
        }
    }
    Ok(Value::Object(report))
}

fn raw(requests_file: &str) -> Fallible<Value> {
    let client = RawClient::new(requests_file)?;
    let mut report = serde_json::Map::new();
    for (op, method) in OPS {
        let calls = client.len(op);
        let started = Instant::now();
        for i in 0..calls {
            client.call(op, method, i)?;
        }
        report.insert(method.into(), json!(per_call_us(started, calls)));
    }
    Ok(Value::Object(report))
}

/// Both contenders in one process, taking turns block by block on each
/// operation: for each, the mean µs per call of each contender, the
/// median over block pairs of the connector's time over raw's, and each
/// contender's mean CPU time per call (the thread's).
fn paired(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
    bucket: &str,
    requests_file: &str,
) -> Fallible<Value> {
    let mut connector = ConnectorClient::new(endpoint, access_key, secret_key, bucket)?;
    let raw = RawClient::new(requests_file)?;
    let n = raw.len("put");
    // Warm-up: the connector on keys of its own, raw on its first objects
    // (written again when timed).
    for (op, method) in OPS {
        for i in 0..n.min(50) {
            connector.call(op, "warm", i)?;
            if op != "delete" {
                raw.call(op, method, i)?;
            }
        }
    }
    let mut report = serde_json::Map::new();
    for (op, method) in OPS {
        let (mut connector_s, mut raw_s, mut ratios) = (0.0, 0.0, Vec::new());
        let (mut connector_cpu, mut raw_cpu) = (0.0, 0.0);
        for (b, start) in (0..n).step_by(BLOCK).enumerate() {
            let end = (start + BLOCK).min(n);
            // A block's wall time and the thread's CPU time in it.
            let timed = |first: bool, connector: &mut ConnectorClient| -> Fallible<(f64, f64)> {
                let (started, cpu) = (Instant::now(), thread_cpu_s());
                for i in start..end {
                    if first {
                        connector.call(op, "timed", i)?;
                    } else {
                        raw.call(op, method, i)?;
                    }
                }
                Ok((started.elapsed().as_secs_f64(), thread_cpu_s() - cpu))
            };
            // Turns alternate which contender goes first.
            let ((c, c_cpu), (r, r_cpu)) = if b % 2 == 0 {
                let c = timed(true, &mut connector)?;
                (c, timed(false, &mut connector)?)
            } else {
                let r = timed(false, &mut connector)?;
                (timed(true, &mut connector)?, r)
            };
            connector_s += c;
            raw_s += r;
            connector_cpu += c_cpu;
            raw_cpu += r_cpu;
            ratios.push(c / r.max(f64::MIN_POSITIVE));
        }
        ratios.sort_by(f64::total_cmp);
        let median = ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN);
        report.insert(
            method.into(),
            json!({
                "connector_us": connector_s * 1e6 / n.max(1) as f64,
                "raw_us": raw_s * 1e6 / n.max(1) as f64,
                "ratio": median,
                "connector_cpu_us": connector_cpu * 1e6 / n.max(1) as f64,
                "raw_cpu_us": raw_cpu * 1e6 / n.max(1) as f64,
            }),
        );
    }
    Ok(Value::Object(report))
}

fn main() -> Fallible<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let report = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["connector", endpoint, access_key, secret_key, bucket, n] => {
            connector(endpoint, access_key, secret_key, bucket, n.parse()?, None)?
        }
        ["connector", endpoint, access_key, secret_key, bucket, n, only] => {
            connector(endpoint, access_key, secret_key, bucket, n.parse()?, Some(only))?
        }
        ["raw", urls] => raw(urls)?,
        ["paired", endpoint, access_key, secret_key, bucket, urls] => {
            paired(endpoint, access_key, secret_key, bucket, urls)?
        }
        _ => {
            return Err(
                "usage: small_objects connector ENDPOINT AK SK BUCKET N [OPS] | raw REQUESTS.json | \
                 paired ENDPOINT AK SK BUCKET REQUESTS.json"
                    .into(),
            )
        }
    };
    println!("{report}");
    Ok(())
}
