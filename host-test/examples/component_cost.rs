//! What the component costs to ship and to load, measured: its size in
//! bytes, and compressed with DEFLATE at its highest level (what `gzip -9`
//! or an HTTP `Content-Encoding` would send, less their frames), the time
//! to compile it to machine code (no cache), the time to load it from the
//! compiled-code cache (what every run after the first pays), and the time
//! to link it and make its first instance.
//!
//! ```text
//! component_cost [WASM] [ROUNDS]   (default: the workspace's build, 5 rounds)
//! ```
//!
//! Prints one JSON object (medians, ms). `make bench-size` runs it beside
//! twiggy's list of the largest contributors.

use std::path::PathBuf;
use std::time::Instant;

use s3_connector_host::runtime::{CodeCache, Runtime, RuntimeConfig};
use s3_connector_host::InstanceOptions;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wasm = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(s3_connector_host::cli::default_wasm_path);
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let bytes = std::fs::read(&wasm)?;
    let deflated = miniz_oxide::deflate::compress_to_vec(&bytes, 10).len();
    let cache = std::env::temp_dir().join(format!("s3-connector-cost-{}", std::process::id()));
    let (mut compile, mut cached, mut first_instance) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        let runtime = Runtime::load_with(
            &wasm,
            &RuntimeConfig {
                cache: CodeCache::Off,
                ..RuntimeConfig::default()
            },
        )?;
        compile.push(t.elapsed().as_secs_f64() * 1e3);
        drop(runtime);
    }
    // Fill the cache once, then load from it.
    let with_cache = RuntimeConfig {
        cache: CodeCache::Dir(cache.clone()),
        ..RuntimeConfig::default()
    };
    drop(Runtime::load_with(&wasm, &with_cache)?);
    for _ in 0..rounds {
        let t = Instant::now();
        let runtime = Runtime::load_with(&wasm, &with_cache)?;
        cached.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        drop(runtime.instance(InstanceOptions::default())?);
        first_instance.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let _ = std::fs::remove_dir_all(&cache);
    let report = serde_json::json!({
        "wasm": wasm.display().to_string(),
        "size_bytes": bytes.len(),
        "deflated_bytes": deflated,
        "compile_ms": median(compile),
        "load_from_cache_ms": median(cached),
        "first_instance_ms": median(first_instance),
        "rounds": rounds,
    });
    println!("{report}");
    Ok(())
}
