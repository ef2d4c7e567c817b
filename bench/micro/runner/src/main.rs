//! Times the hot paths: the bench component's exports in wasmtime (the
//! connector's signer and parser, rusty-s3's signer), and natively the
//! `aws-sigv4` crate's signer and quick-xml's serde deserialiser on the same
//! 1000-key ListObjectsV2 page. Prints one JSON object of median
//! nanoseconds per operation.
//!
//! ```text
//! s3-connector-bench-runner BENCH.wasm PAGE.xml [ROUNDS]
//! ```
//!
//! For profiles and instruction counts, two switches in the environment:
//! `MICRO_ONLY=NAME` makes one call of the bench component's export `NAME`
//! (`connector-sign-get`, `connector-sign-put`, `connector-presign-get`,
//! `rusty-presign-get`, `rusty-presign-put`, `connector-parse-list`) with
//! `MICRO_CALLS` rounds (default 1000) and prints nothing: the difference
//! between two counts (`valgrind --tool=callgrind`) over two numbers of
//! rounds is the instructions of one, without the compilation's. And
//! `MICRO_PERFMAP=1` writes wasmtime's perf map (`/tmp/perf-PID.map`), so
//! that `perf report` names the component's functions (of a build that
//! keeps its name section, see `bench/README.md`).

use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, Context as _, Result};
use serde::Deserialize;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({ world: "bench", path: "../component/wit" });

struct State {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

const SAMPLES: usize = 7;
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TIME: u64 = 1_700_000_000;

/// A wasmtime result as an anyhow one.
fn wasm<T>(result: wasmtime::Result<T>) -> Result<T> {
    result.map_err(|e| anyhow!("{e:?}"))
}

/// The median time per round of `f(rounds)`, after one warm-up call.
fn per_round(rounds: u32, mut f: impl FnMut(u32) -> Result<()>) -> Result<f64> {
    f(rounds.min(100))?;
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        f(rounds)?;
        samples.push(started.elapsed());
    }
    samples.sort();
    let median = samples.get(SAMPLES / 2).copied().unwrap_or(Duration::ZERO);
    Ok(median.as_secs_f64() * 1e9 / f64::from(rounds.max(1)))
}

/// How many turns each contender of a pair takes.
const TURNS: usize = 15;

/// Two contenders taking turns, `TURNS` samples of `rounds` each: `f(true,
/// n)` runs the first, `f(false, n)` the second, and which goes first
/// alternates. The median over turns of the first's time over the
/// second's: whatever else the machine does falls on both.
fn paired_ratio(rounds: u32, mut f: impl FnMut(bool, u32) -> Result<()>) -> Result<f64> {
    f(true, rounds.min(100))?;
    f(false, rounds.min(100))?;
    let mut ratios = Vec::with_capacity(TURNS);
    for turn in 0..TURNS {
        let mut time = |first: bool| -> Result<f64> {
            let started = Instant::now();
            f(first, rounds)?;
            Ok(started.elapsed().as_secs_f64())
        };
        let (a, b) = if turn % 2 == 0 {
            let a = time(true)?;
            (a, time(false)?)
        } else {
            let b = time(false)?;
            (time(true)?, b)
        };
        ratios.push(a / b.max(f64::MIN_POSITIVE));
    }
    ratios.sort_by(f64::total_cmp);
    Ok(ratios.get(TURNS / 2).copied().unwrap_or(f64::NAN))
}

/// aws-sigv4 signing an S3 request with headers, as the SDK does.
fn aws_sign(method: &str, body: &[u8]) -> Result<String> {
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode,
    };
    use aws_sigv4::sign::v4;
    let identity = aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "bench").into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(TIME))
        .settings(settings)
        .build()?
        .into();
    let request = SignableRequest::new(
        method,
        "https://examplebucket.s3.us-east-1.amazonaws.com/photos/2024/05/IMG_0001.jpg",
        std::iter::empty(),
        SignableBody::Bytes(body),
    )?;
    let (instructions, signature) = sign(request, &params)?.into_parts();
    let _ = instructions;
    Ok(signature)
}

/// The page as quick-xml's serde deserialiser reads it into structs.
#[derive(Deserialize)]
#[allow(dead_code)]
struct ListBucketResult {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "IsTruncated")]
    is_truncated: bool,
    #[serde(rename = "NextContinuationToken", default)]
    next_continuation_token: Option<String>,
    #[serde(rename = "Contents", default)]
    contents: Vec<Object>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Object {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "LastModified")]
    last_modified: String,
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "Size")]
    size: u64,
    #[serde(rename = "StorageClass")]
    storage_class: String,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (wasm_path, page_path) = match args.as_slice() {
        [wasm_path, page, ..] => (wasm_path, page),
        _ => {
            return Err(anyhow!(
                "usage: s3-connector-bench-runner BENCH.wasm PAGE.xml [ROUNDS]"
            ))
        }
    };
    let rounds: u32 = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(2000);
    let page = std::fs::read(page_path).with_context(|| format!("reading {page_path}"))?;
    let page_text = String::from_utf8(page.clone())?;
    let body = vec![b'x'; 1024];

    let mut config = Config::new();
    config.wasm_component_model(true);
    if std::env::var_os("MICRO_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let engine = wasm(Engine::new(&config))?;
    let component = wasm(Component::from_file(&engine, wasm_path))?;
    let mut linker = Linker::<State>::new(&engine);
    wasm(wasmtime_wasi::p2::add_to_linker_sync(&mut linker))?;
    let mut store = Store::new(
        &engine,
        State {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
        },
    );
    let bench = wasm(Bench::instantiate(&mut store, &component, &linker))?;

    if let Ok(only) = std::env::var("MICRO_ONLY") {
        let n: u32 = match std::env::var("MICRO_CALLS") {
            Ok(calls) => calls.parse().context("MICRO_CALLS is not a whole number")?,
            Err(_) => 1000,
        };
        return match only.as_str() {
            "connector-sign-get" => wasm(bench.call_connector_sign_get(&mut store, n)).map(drop),
            "connector-sign-put" => wasm(bench.call_connector_sign_put(&mut store, n, &body)).map(drop),
            "connector-presign-get" => wasm(bench.call_connector_presign_get(&mut store, n)).map(drop),
            "rusty-presign-get" => wasm(bench.call_rusty_presign_get(&mut store, n)).map(drop),
            "rusty-presign-put" => wasm(bench.call_rusty_presign_put(&mut store, n, &body)).map(drop),
            "connector-parse-list" => wasm(bench.call_connector_parse_list(&mut store, n, &page)).map(drop),
            other => Err(anyhow!(
                "MICRO_ONLY={other}: no such export of the bench component"
            )),
        };
    }
    let mut out = serde_json::Map::new();
    let mut record = |name: &str, ns: f64| {
        out.insert(name.to_owned(), serde_json::json!(ns));
    };
    record(
        "sign_get/connector",
        per_round(rounds, |n| {
            wasm(bench.call_connector_sign_get(&mut store, n)).map(drop)
        })?,
    );
    record(
        "sign_put/connector",
        per_round(rounds, |n| {
            wasm(bench.call_connector_sign_put(&mut store, n, &body)).map(drop)
        })?,
    );
    record(
        "presign_get/connector",
        per_round(rounds, |n| {
            wasm(bench.call_connector_presign_get(&mut store, n)).map(drop)
        })?,
    );
    record(
        "presign_get/rusty-s3",
        per_round(rounds, |n| {
            wasm(bench.call_rusty_presign_get(&mut store, n)).map(drop)
        })?,
    );
    record(
        "sign_put/rusty-s3",
        per_round(rounds, |n| {
            wasm(bench.call_rusty_presign_put(&mut store, n, &body)).map(drop)
        })?,
    );
    record(
        "sign_get/aws-sigv4 (native)",
        per_round(rounds, |n| {
            for _ in 0..n {
                aws_sign("GET", &[])?;
            }
            Ok(())
        })?,
    );
    record(
        "sign_put/aws-sigv4 (native)",
        per_round(rounds, |n| {
            for _ in 0..n {
                aws_sign("PUT", &body)?;
            }
            Ok(())
        })?,
    );
    let parse_rounds = (rounds / 50).max(5);
    let keys = wasm(bench.call_connector_parse_list(&mut store, 1, &page))?;
    record(
        "parse_list/connector",
        per_round(parse_rounds, |n| {
            wasm(bench.call_connector_parse_list(&mut store, n, &page)).map(drop)
        })?,
    );
    record(
        "parse_list/quick-xml serde (native)",
        per_round(parse_rounds, |n| {
            for _ in 0..n {
                let parsed: ListBucketResult = quick_xml::de::from_str(&page_text)?;
                if parsed.contents.len() != keys as usize {
                    return Err(anyhow!(
                        "serde read {} keys, the connector {keys}",
                        parsed.contents.len()
                    ));
                }
            }
            Ok(())
        })?,
    );
    // The ratios the targets name, measured taking turns.
    let mut paired = serde_json::Map::new();
    paired.insert(
        "sign_get/connector|presign_get/rusty-s3".into(),
        serde_json::json!(paired_ratio(rounds, |first, n| if first {
            wasm(bench.call_connector_sign_get(&mut store, n)).map(drop)
        } else {
            wasm(bench.call_rusty_presign_get(&mut store, n)).map(drop)
        })?),
    );
    paired.insert(
        "presign_get/connector|presign_get/rusty-s3".into(),
        serde_json::json!(paired_ratio(rounds, |first, n| if first {
            wasm(bench.call_connector_presign_get(&mut store, n)).map(drop)
        } else {
            wasm(bench.call_rusty_presign_get(&mut store, n)).map(drop)
        })?),
    );
    paired.insert(
        "sign_put/connector|sign_put/rusty-s3".into(),
        serde_json::json!(paired_ratio(rounds, |first, n| if first {
            wasm(bench.call_connector_sign_put(&mut store, n, &body)).map(drop)
        } else {
            wasm(bench.call_rusty_presign_put(&mut store, n, &body)).map(drop)
        })?),
    );
    paired.insert(
        "parse_list/connector|parse_list/quick-xml serde (native)".into(),
        serde_json::json!(paired_ratio(parse_rounds, |first, n| if first {
            wasm(bench.call_connector_parse_list(&mut store, n, &page)).map(drop)
        } else {
            for _ in 0..n {
                let parsed: ListBucketResult = quick_xml::de::from_str(&page_text)?;
                if parsed.contents.len() != keys as usize {
                    return Err(anyhow!(
                        "serde read {} keys, the connector {keys}",
                        parsed.contents.len()
                    ));
                }
            }
            Ok(())
        })?),
    );
    out.insert("paired".into(), serde_json::Value::Object(paired));
    out.insert("page_keys".into(), serde_json::json!(keys));
    out.insert("page_bytes".into(), serde_json::json!(page.len()));
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}
