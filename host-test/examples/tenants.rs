//! A host serving many tenants at once, measured: one compiled component,
//! instances from wasmtime's pooling allocator, one per tenant, each with
//! its own key pair, all alive together and calling one local S3 server.
//!
//! ```text
//! tenants [TENANTS] [THREADS]      (default 1000 tenants, 8 threads)
//! ```
//!
//! Prints one JSON object: the process's resident memory before the
//! instances and with all of them alive after a call each (and per
//! instance), the time to make an instance and run its first call (a PUT),
//! and the time of a warm call (a GET) (medians, µs; each tenant's object
//! is checked to be its own); and, with no network in the way, a fresh
//! instance plus one presigning call, and a warm presigning call.
//! `make bench-tenants` runs it.

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
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

    let conn = |keys: &KeyPair| Connection {
        access_key: keys.access_key.clone(),
        secret_key: keys.secret_key.clone(),
        session_token: None,
        region: Some("us-east-1".to_owned()),
        endpoint: Some(server.endpoint().to_owned()),
        path_style: true,
        credentials_expire: None,
    };
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
    let presign = r#"{"bucket_name":"tenants","object_path":"a.txt","expires_seconds":60}"#;
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
