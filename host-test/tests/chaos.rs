//! Faults at scale lose nothing: a mixed workload through the component,
//! against the local SigV4-checking server behind a proxy that faults about
//! a third of all requests (503 SlowDown, 500, a reset before the answer or
//! in the middle of the request body, a body cut short, an answer lost after
//! the server acted on the request, a stall).
//!
//! A model keeps, for each key, the contents it may hold. After every call:
//! - a read that succeeds returns one of them, byte for byte (never a mix,
//!   never a stale object after a confirmed write);
//! - a write that succeeds leaves exactly its content; one that fails fails
//!   with a typed error and leaves the key as it was or as written, never
//!   anything else (a failure whose answer was lost may have taken effect);
//! - no error reports more than 3 attempts, the README's retry budget, and
//!   no request is sent more than 3 times in a row; a backoff never waits
//!   longer than its ceiling (200 ms, doubling, capped at 5 s) by much;
//! - no call traps or times out, and the one instance serves the whole run.
//!
//! At the end every key is read back without faults and checked against the
//! model, every multipart upload left by a failed call is aborted, no part
//! is left stored, and an upload is left over only where a
//! CreateMultipartUpload answer was lost and the clean-up of its orphan (by
//! the retry that succeeded) was itself faulted.
//!
//! `CHAOS_OPS` operations (default 300, a short run for `make test`; `make
//! chaos` runs 4000) from `CHAOS_SEED` (default 1; the faults depend on
//! timing too, since multipart parts go in parallel).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use common::fault_proxy::{Fault, FaultPlan, FaultProxy};
use common::{runtime, Local, BUCKET};
use s3_connector_host::bodies::{BodySink, BodySource, BytesSource, SharedBytesSink};
use s3_connector_host::wit::Connection;
use s3_connector_host::{CallError, Instance, InstanceOptions};
use serde_json::{json, Value};

/// A small, seeded generator (SplitMix64): the same seed, the same workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The fault for request `index`: one request in three, of every kind.
fn fault_for(seed: u64, index: usize) -> Fault {
    let roll = mix(seed ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    if roll % 3 != 0 {
        return Fault::None;
    }
    match (roll / 3) % 7 {
        0 => Fault::Status(503),
        1 => Fault::Status(500),
        2 => Fault::ResetBeforeAnswer,
        3 => Fault::ResetDuringRequestBody,
        4 => Fault::TruncateResponseBody,
        5 => Fault::LoseAnswer,
        _ => Fault::Stall(Duration::from_millis(20)),
    }
}

/// What a key may hold: each possibility is a content, or `None` (absent).
type Possible = Vec<Option<Vec<u8>>>;

struct Model {
    keys: BTreeMap<String, Possible>,
}

impl Model {
    fn possible(&self, key: &str) -> &Possible {
        &self.keys[key]
    }

    /// A confirmed state.
    fn set(&mut self, key: &str, state: Option<Vec<u8>>) {
        self.keys.insert(key.to_owned(), vec![state]);
    }

    /// A write that may or may not have happened.
    fn maybe(&mut self, key: &str, state: Option<Vec<u8>>) {
        let possible = self.keys.get_mut(key).unwrap();
        if !possible.contains(&state) {
            possible.push(state);
        }
    }

    /// A read saw `state`: it must be possible, and is now known.
    fn saw(&mut self, key: &str, state: Option<Vec<u8>>, what: &str) {
        let possible = &self.keys[key];
        assert!(
            possible.contains(&state),
            "{what}: `{key}` held {} bytes, which the model does not allow ({} possible: {:?})",
            state.as_ref().map_or(-1, |s| s.len() as i64),
            possible.len(),
            possible
                .iter()
                .map(|p| p.as_ref().map(Vec::len))
                .collect::<Vec<_>>()
        );
        self.set(key, state);
    }
}

/// The kind of a failed call; a host error (trap, timeout) fails the test.
fn kind(error: &CallError, what: &str) -> String {
    let json = error.to_json();
    let kind = json["error"]["kind"].as_str().unwrap_or("?").to_owned();
    assert!(
        matches!(
            kind.as_str(),
            "service" | "transport" | "upload-incomplete" | "invalid-response"
        ),
        "{what}: an untyped or host error: {json}"
    );
    if let Some(attempts) = json["error"]["attempts"].as_u64() {
        assert!(
            attempts <= 3,
            "{what}: {attempts} attempts, more than the 3 promised: {json}"
        );
    }
    kind
}

fn service_code(error: &CallError) -> Option<String> {
    error.service_code()
}

fn content(rng: &mut Rng, len: usize) -> Vec<u8> {
    let salt = rng.next();
    (0..len).map(|i| (mix(salt ^ i as u64) & 0xff) as u8).collect()
}

/// The workload's state: the instance behind the proxy, and counters.
struct Run {
    instance: Instance,
    conn: Connection,
    model: Model,
    kinds: BTreeMap<String, usize>,
    calls: BTreeMap<&'static str, (usize, usize)>,
}

impl Run {
    fn call(&mut self, operation: &str, input: &Value) -> Result<(Value, Option<Vec<u8>>), CallError> {
        self.instance
            .invoke(&self.conn, operation, &input.to_string(), None)
            .map(|answer| (serde_json::from_str(&answer.json).unwrap(), answer.body))
    }

    fn count(&mut self, operation: &'static str, result: &Result<impl Sized, CallError>) {
        let entry = self.calls.entry(operation).or_default();
        entry.0 += 1;
        if let Err(error) = result {
            entry.1 += 1;
            let kind = kind(error, operation);
            *self.kinds.entry(kind).or_default() += 1;
        }
    }

    fn put_text(&mut self, key: &str, text: String) {
        let input = json!({"bucket_name": BUCKET, "object_path": key, "content": text});
        let result = self.call("put-object-text", &input);
        self.count("put-object-text", &result);
        match result {
            Ok(_) => self.model.set(key, Some(text.into_bytes())),
            Err(_) => self.model.maybe(key, Some(text.into_bytes())),
        }
    }

    /// A streamed upload: one PUT, or a multipart upload above 5 MiB, resumed
    /// once with its upload id when it stops, then aborted if it still fails.
    fn put_file(&mut self, key: &str, bytes: Vec<u8>) {
        let name = if bytes.len() > 5 << 20 {
            "put-object-file (multipart)"
        } else {
            "put-object-file"
        };
        let mut input = json!({"bucket_name": BUCKET, "object_path": key, "file_name": "f.bin",
            "multipart_threshold": 5 << 20, "part_size": 5 << 20});
        let mut result = self.put_stream(&input, &bytes);
        self.count(name, &result);
        if let Err(error) = &result {
            let failure = error.to_json()["error"].clone();
            if failure["kind"] == "upload-incomplete" && failure["aborted"] == false {
                input["upload_id"] = failure["upload_id"].clone();
                result = self.put_stream(&input, &bytes);
                self.count("put-object-file (resumed)", &result);
                if result.is_err() {
                    self.abort(key, failure["upload_id"].as_str().unwrap());
                }
            }
        }
        match result {
            Ok(_) => self.model.set(key, Some(bytes)),
            Err(_) => self.model.maybe(key, Some(bytes)),
        }
    }

    fn put_stream(&mut self, input: &Value, bytes: &[u8]) -> Result<Value, CallError> {
        let source: Box<dyn BodySource> = Box::new(BytesSource(bytes.to_vec()));
        self.instance
            .invoke_streamed(
                &self.conn,
                "put-object-file",
                &input.to_string(),
                Some(source),
                None,
            )
            .map(|answer| serde_json::from_str(&answer.json).unwrap())
    }

    /// Aborts an upload a failed call left, retrying through the faults as a
    /// workflow would.
    fn abort(&mut self, key: &str, upload_id: &str) {
        let input = json!({"bucket_name": BUCKET, "object_path": key, "upload_id": upload_id});
        for _ in 0..20 {
            match self.call("abort-multipart-upload", &input) {
                Ok(_) => return,
                Err(error) if service_code(&error).as_deref() == Some("no-such-upload") => return,
                Err(error) => {
                    kind(&error, "abort-multipart-upload");
                }
            }
        }
        panic!("abort-multipart-upload of {upload_id} failed 20 times");
    }

    fn get(&mut self, key: &str, streamed: bool) {
        let input = json!({"bucket_name": BUCKET, "object_path": key});
        let result = if streamed {
            let sink = SharedBytesSink::default();
            let boxed: Box<dyn BodySink> = Box::new(sink.clone());
            self.instance
                .invoke_streamed(&self.conn, "get-object", &input.to_string(), None, Some(boxed))
                .map(|_| sink.bytes())
        } else {
            self.call("get-object", &input)
                .map(|(_, body)| body.unwrap_or_default())
        };
        let name = if streamed {
            "get-object (streamed)"
        } else {
            "get-object"
        };
        self.count(name, &result);
        match result {
            Ok(bytes) => self.model.saw(key, Some(bytes), name),
            Err(error) if service_code(&error).as_deref() == Some("no-such-key") => {
                self.model.saw(key, None, name)
            }
            Err(_) => {}
        }
    }

    fn head(&mut self, key: &str) {
        let input = json!({"bucket_name": BUCKET, "object_path": key});
        let result = self.call("head-object", &input);
        self.count("head-object", &result);
        match result {
            Ok((metadata, _)) => {
                let length = metadata["content_length"].as_u64().unwrap() as usize;
                let possible = self.model.possible(key);
                assert!(
                    possible.iter().any(|p| p.as_ref().map(Vec::len) == Some(length)),
                    "head-object: `{key}` is {length} bytes, which the model does not allow"
                );
            }
            Err(error) if service_code(&error).as_deref() == Some("no-such-key") => {
                // A HEAD's 404 carries no code: the status says it.
                self.model.saw(key, None, "head-object");
            }
            Err(_) => {}
        }
    }

    fn delete(&mut self, key: &str) {
        let input = json!({"bucket_name": BUCKET, "object_path": key});
        let result = self.call("delete-object", &input);
        self.count("delete-object", &result);
        match result {
            Ok(_) => self.model.set(key, None),
            Err(_) => self.model.maybe(key, None),
        }
    }

    fn delete_many(&mut self, keys: &[String]) {
        let objects: Vec<Value> = keys.iter().map(|k| json!({"key": k})).collect();
        let input = json!({"bucket_name": BUCKET, "object_keys": objects});
        let result = self.call("delete-objects", &input);
        self.count("delete-objects", &result);
        let deleted: Vec<String> = match &result {
            Ok((output, _)) => output["deleted"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .filter_map(|o| o["key"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        for key in keys {
            if deleted.contains(key) {
                self.model.set(key, None);
            } else {
                self.model.maybe(key, None);
            }
        }
    }

    fn list(&mut self) {
        let input = json!({"bucket_name": BUCKET, "fetch_all": true, "max_keys": 7});
        let result = self.call("list-objects", &input);
        self.count("list-objects", &result);
        if let Ok((listing, _)) = result {
            let listed: HashMap<String, u64> = listing["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| (o["key"].as_str().unwrap().to_owned(), o["size"].as_u64().unwrap()))
                .collect();
            for (key, possible) in &self.model.keys {
                let seen = listed.get(key).map(|size| *size as usize);
                assert!(
                    possible.iter().any(|p| p.as_ref().map(Vec::len) == seen),
                    "list-objects: `{key}` listed as {seen:?}, which the model does not allow"
                );
            }
        }
    }
}

#[test]
fn a_third_of_requests_faulted_loses_nothing() {
    let operations: usize = std::env::var("CHAOS_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let local = Local::new();
    let proxy = FaultProxy::start(
        local.server.endpoint(),
        FaultPlan::new(move |info| fault_for(seed, info.index)),
    );
    let mut conn = local.conn();
    conn.endpoint = Some(proxy.endpoint());
    let keys: Vec<String> = (0..24)
        .map(|n| format!("chaos/{}/key-{n:02}.bin", n % 3))
        .collect();
    let mut run = Run {
        instance: runtime().instance(InstanceOptions::default()).unwrap(),
        conn,
        model: Model {
            keys: keys.iter().map(|k| (k.clone(), vec![None])).collect(),
        },
        kinds: BTreeMap::new(),
        calls: BTreeMap::new(),
    };
    let mut rng = Rng(seed);
    let started = Instant::now();
    // At least one multipart upload, whatever the dice say.
    let first = content(&mut rng, (10 << 20) + 12_345);
    run.put_file(&keys[0], first);
    let mut multipart = 1;
    for n in 0..operations {
        let key = keys[rng.below(keys.len() as u64) as usize].clone();
        let before = proxy.requests();
        let single_request = match rng.below(100) {
            0..=21 => {
                let len = 1 + rng.below(2000) as usize;
                let text: String = content(&mut rng, len)
                    .iter()
                    .map(|b| char::from(b'a' + b % 26))
                    .collect();
                run.put_text(&key, text);
                true
            }
            22..=36 => {
                let len = rng.below(300_000) as usize;
                run.put_file(&key, content(&mut rng, len));
                false
            }
            37..=39 => {
                multipart += 1;
                let len = (10 << 20) + 1 + rng.below(1 << 20) as usize;
                run.put_file(&key, content(&mut rng, len));
                false
            }
            40..=59 => {
                run.get(&key, false);
                true
            }
            60..=67 => {
                run.get(&key, true);
                false
            }
            68..=77 => {
                run.head(&key);
                true
            }
            78..=89 => {
                run.delete(&key);
                true
            }
            90..=94 => {
                let mut many: Vec<String> = (0..3)
                    .map(|_| keys[rng.below(keys.len() as u64) as usize].clone())
                    .collect();
                many.sort();
                many.dedup();
                run.delete_many(&many);
                true
            }
            _ => {
                run.list();
                false
            }
        };
        if single_request {
            check_retries(&proxy.log()[before..], n);
        }
    }
    let elapsed = started.elapsed();

    // Every key, read without faults, holds what the model allows.
    let mut direct = Run {
        instance: runtime().instance(InstanceOptions::default()).unwrap(),
        conn: local.conn(),
        model: run.model,
        kinds: BTreeMap::new(),
        calls: BTreeMap::new(),
    };
    for key in &keys {
        direct.get(key, false);
        assert_eq!(
            direct.model.possible(key).len(),
            1,
            "`{key}` read back without faults"
        );
    }
    // Uploads left: only those whose creation's answer was lost; no parts.
    let (uploads, _) = direct
        .call("list-multipart-uploads", &json!({"bucket_name": BUCKET}))
        .unwrap();
    let left = uploads["uploads"].as_array().unwrap().len();
    let lost_creations = proxy
        .log()
        .iter()
        .filter(|e| e.method == "POST" && e.target.contains("?uploads"))
        .filter(|e| matches!(e.fault, Fault::LoseAnswer | Fault::TruncateResponseBody))
        .count();
    assert!(
        left <= lost_creations,
        "{left} uploads left over, but only {lost_creations} creations lost their answer"
    );
    let parts: Vec<_> = std::fs::read_dir(local.server.root())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".upload_id-") && name.contains(".part-"))
        .collect();
    assert!(parts.is_empty(), "parts left stored: {parts:?}");

    eprintln!(
        "chaos: {operations} operations (seed {seed}), {} requests, {} faulted, {multipart} multipart, \
         {left} empty uploads left of {lost_creations} lost creations, in {:.1} s\n  calls (made, failed): \
         {:?}\n  errors by kind: {:?}",
        proxy.requests(),
        proxy.faults(),
        elapsed.as_secs_f64(),
        run.calls,
        run.kinds
    );
    assert!(
        proxy.faults() * 4 > proxy.requests(),
        "about a third of requests are faulted"
    );
}

/// The requests of an operation that sends one request: the same request,
/// at most 3 times, each backoff within its ceiling (200 ms doubling), with
/// a second of slack for a loaded machine.
fn check_retries(exchanges: &[common::fault_proxy::Exchange], n: usize) {
    assert!(
        exchanges.len() <= 3,
        "operation {n}: {} requests: {exchanges:?}",
        exchanges.len()
    );
    for pair in exchanges.windows(2) {
        assert_eq!(
            (&pair[0].method, &pair[0].target),
            (&pair[1].method, &pair[1].target)
        );
    }
    for (i, pair) in exchanges.windows(2).enumerate() {
        let gap = pair[1].at.duration_since(pair[0].at);
        let ceiling = Duration::from_millis(200 << i);
        assert!(
            gap <= ceiling + Duration::from_secs(1),
            "operation {n}: attempt {} came {gap:?} after the one before (ceiling {ceiling:?})",
            i + 2
        );
    }
}
