//! A host serving many tenants at once, measured: one compiled component,
//! instances from wasmtime's pooling allocator, one per tenant, each with
//! its own key pair, all alive together and calling one local S3 server.
//!
//! ```text
//! tenants [TENANTS] [THREADS]      (default 1000 tenants, 8 threads)
//! tenants ab A.wasm B.wasm         (two builds taking turns)
//! ```
//!
//! Prints one JSON object: the process's resident memory before the
//! instances and with all of them alive after a call each (and per
//! instance), the time to make an instance and run its first call (a PUT),
//! and the time of a warm call (a GET) (medians, µs; each tenant's object
//! is checked to be its own); and, with no network in the way, a fresh
//! instance plus one presigning call, and a warm presigning call.
//! `make bench-tenants` runs it.
//!
//! `ab` compares two builds of the component in one process, for a change
//! to what a fresh instance costs: each build's pooled runtime makes a
//! fresh instance and one presigning call (the instance dropped back to
//! the pool each time), blocks of 100 taking turns (B first in odd
//! blocks), 40 blocks after one untimed pair. Prints each build's median
//! µs per fresh instance plus call over the blocks, and the median of B's
//! over A's block by block. (Absolute times drift between runs on a shared
//! machine; the ratio holds.)

use std::sync::Mutex;
use std::time::{Duration, Instant};

use s3_connector_host::local_server::KeyPair;
use s3_connector_host::runtime::{Runtime, RuntimeConfig};
use s3_connector_host::wit::Connection;
use s3_connector_host::{Instance, InstanceOptions, LocalServer};

/// The process's resident set, from /proc (0 where there is none).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

fn median(mut values: Vec<Duration>) -> f64 {
    values.sort();
    values
        .get(values.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

/// A tenant's connection to the server at `endpoint`, with its own keys.
fn connection(keys: &KeyPair, endpoint: &str) -> Connection {
    Connection {
        access_key: keys.access_key.clone(),
        secret_key: keys.secret_key.clone(),
        session_token: None,
        region: Some("us-east-1".to_owned()),
        endpoint: Some(endpoint.to_owned()),
        path_style: true,
        credentials_expire: None,
    }
}

/// A presigning call: no network, so the instance's own cost.
const PRESIGN: &str = r#"{"bucket_name":"tenants","object_path":"a.txt","expires_seconds":60}"#;

/// `tenants ab A.wasm B.wasm`: see the module docs.
fn ab(a: &str, b: &str) -> Result<(), Box<dyn std::error::Error>> {
    const BLOCK: u32 = 100;
    const BLOCKS: usize = 40;
    let config = RuntimeConfig {
        pooled_instances: Some(16),
        ..RuntimeConfig::default()
    };
    let builds = [
        Runtime::load_with(std::path::Path::new(a), &config)?,
        Runtime::load_with(std::path::Path::new(b), &config)?,
    ];
    // No request is sent: any endpoint will do.
    let tenant = connection(&KeyPair::random()?, "http://127.0.0.1:9");
    let block = |runtime: &Runtime| -> Result<Duration, Box<dyn std::error::Error>> {
        let t = Instant::now();
        for _ in 0..BLOCK {
            let mut instance = runtime.instance(InstanceOptions::default())?;
            instance.invoke(&tenant, "get-object-signed-url", PRESIGN, None)?;
        }
        Ok(t.elapsed() / BLOCK)
    };
    let (mut times, mut ratios) = ([Vec::new(), Vec::new()], Vec::new());
    for n in 0..=BLOCKS {
        let order = if n % 2 == 0 { [0, 1] } else { [1, 0] };
        let mut took = [Duration::ZERO; 2];
        for build in order {
            took[build] = block(&builds[build])?;
        }
        // The first pair warms both up.
        if n > 0 {
            ratios.push(took[1].as_secs_f64() / took[0].as_secs_f64().max(f64::MIN_POSITIVE));
            for (all, one) in times.iter_mut().zip(took) {
                all.push(one);
            }
        }
    }
    ratios.sort_by(f64::total_cmp);
    let [times_a, times_b] = times;
    let report = serde_json::json!({
        "a": a,
        "b": b,
        "blocks": BLOCKS,
        "calls_per_block": BLOCK,
        "a_fresh_instance_and_presign_median_us": median(times_a),
        "b_fresh_instance_and_presign_median_us": median(times_b),
        "b_over_a_median": ratios.get(ratios.len() / 2),
    });
    println!("{report}");
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let words: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, a, b] = words.as_slice() {
        if mode == "ab" {
            return ab(a, b);
        }
    }
    let args: Vec<usize> = words.iter().filter_map(|a| a.parse().ok()).collect();
    let tenants = args.first().copied().unwrap_or(1000);
    let threads = args.get(1).copied().unwrap_or(8).max(1);
    let dir = std::env::temp_dir().join(format!("s3-connector-tenants-{}", std::process::id()));
    let keys: Vec<KeyPair> = (0..tenants)
        .map(|_| KeyPair::random())
        .collect::<Result<_, _>>()?;
    let server = LocalServer::start_with_keys(&dir, &keys)?;
    server.create_bucket("tenants")?;
    let wasm = std::env::var_os("S3_CONNECTOR_WASM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(s3_connector_host::cli::default_wasm_path);
    let config = RuntimeConfig {
        pooled_instances: Some(u32::try_from(tenants)?),
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::load_with(&wasm, &config)?;
    // Compiled and warm before measuring.
    drop(runtime.instance(InstanceOptions::default())?);

    let conn = |keys: &KeyPair| connection(keys, server.endpoint());
    let before = rss_bytes();
    let first_calls = Mutex::new(Vec::with_capacity(tenants));
    let warm_calls = Mutex::new(Vec::with_capacity(tenants));
    let alive: Mutex<Vec<Instance>> = Mutex::new(Vec::with_capacity(tenants));
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..threads {
            let (keys, conn, runtime) = (&keys, &conn, &runtime);
            let (first_calls, warm_calls, alive, failures) = (&first_calls, &warm_calls, &alive, &failures);
            scope.spawn(move || {
                for (n, pair) in keys.iter().enumerate().skip(worker).step_by(threads) {
                    let conn = conn(pair);
                    let key = format!("tenant-{n:05}.txt");
                    let put = format!(
                        r#"{{"bucket_name":"tenants","object_path":"{key}","content":"tenant {n}"}}"#
                    );
                    let get = format!(r#"{{"bucket_name":"tenants","object_path":"{key}"}}"#);
                    let t = Instant::now();
                    let result = runtime
                        .instance(InstanceOptions::default())
                        .map_err(|e| e.to_string())
                        .and_then(|mut instance| {
                            instance
                                .invoke(&conn, "put-object-text", &put, None)
                                .map_err(|e| e.to_string())?;
                            let first = t.elapsed();
                            let t = Instant::now();
                            let answer = instance
                                .invoke(&conn, "get-object", &get, None)
                                .map_err(|e| e.to_string())?;
                            let warm = t.elapsed();
                            let body = answer.body.unwrap_or_default();
                            if body != format!("tenant {n}").as_bytes() {
                                return Err(format!("tenant {n} read another's object"));
                            }
                            Ok((instance, first, warm))
                        });
                    match result {
                        Ok((instance, first, warm)) => {
                            first_calls.lock().map(|mut v| v.push(first)).ok();
                            warm_calls.lock().map(|mut v| v.push(warm)).ok();
                            // Kept alive: every tenant's instance at once.
                            alive.lock().map(|mut v| v.push(instance)).ok();
                        }
                        Err(error) => {
                            failures.lock().map(|mut v| v.push(error)).ok();
                        }
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let with_all = rss_bytes();
    // Every tenant's instance goes (back to the pool).
    let alive = alive.into_inner().map(|v| v.len()).unwrap_or(0);

    // A call that needs no network (a presigned URL), to time the instance
    // itself: a fresh one with its first call, and a warm call.
    let presign = PRESIGN;
    let tenant = conn(&keys[0]);
    let (mut fresh, mut created, mut warm) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..200 {
        let t = Instant::now();
        let mut instance = runtime.instance(InstanceOptions::default())?;
        created.push(t.elapsed());
        instance.invoke(&tenant, "get-object-signed-url", presign, None)?;
        fresh.push(t.elapsed());
        let t = Instant::now();
        instance.invoke(&tenant, "get-object-signed-url", presign, None)?;
        warm.push(t.elapsed());
    }
    let failures = failures.into_inner().unwrap_or_default();
    let per_instance = with_all.saturating_sub(before) / (alive.max(1) as u64);
    let report = serde_json::json!({
        "tenants": tenants,
        "threads": threads,
        "alive_instances": alive,
        "failures": failures.len(),
        "first_failure": failures.first(),
        "rss_before_bytes": before,
        "rss_with_all_bytes": with_all,
        "rss_per_instance_bytes": per_instance,
        "instance_and_first_call_median_us": median(first_calls.into_inner().unwrap_or_default()),
        "warm_call_median_us": median(warm_calls.into_inner().unwrap_or_default()),
        "fresh_instance_and_presign_median_us": median(fresh),
        "fresh_instance_alone_median_us": median(created),
        "warm_presign_median_us": median(warm),
        "seconds": elapsed.as_secs_f64(),
    });
    println!("{report}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} tenants failed", failures.len()).into())
    }
}
