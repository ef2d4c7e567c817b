//! The standard-WASI build of the connector (`make wasi`): the connector
//! composed with the `wasi:http` adapter (`adapters/wasi-http`), run by a
//! plain wasmtime with nothing linked but `wasmtime-wasi` and
//! `wasmtime-wasi-http`, as any generic host would run it.
//!
//! It imports standard WASI alone; it reads, writes, lists and deletes on
//! the local S3 server over `wasi:http`, a 20 MiB file going up in parts
//! from a source made by the adapter's `streams` and down into a memory
//! sink; and the adapter keeps the network policy: loopback, private and
//! link-local destinations refused unless the environment allows them, and
//! only `http` and `https`.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::{wasm_path, Local, BUCKET};
use s3_connector_host::wit::Connection;
use serde_json::{json, Value};
use wasmtime::component::{
    Component, ComponentNamedList, Instance, Lift, Linker, Lower, ResourceAny, ResourceTable, TypedFunc, Val,
};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

const JSON: &str = "s3-connector:s3/json@0.1.0";
const STREAMS: &str = "s3-connector:adapter/streams@0.1.0";
const HTTP_OUTGOING: &str = "s3-connector:s3/http-outgoing@0.1.0";

/// `name` beside the connector: `S3_CONNECTOR_WASI_WASM`-style override in
/// `var`, else the build's own path.
fn beside_connector(var: &str, name: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| wasm_path().with_file_name(name));
    assert!(
        path.is_file(),
        "{} is missing: build it with `make wasi`",
        path.display()
    );
    path
}

/// The composed artifact.
fn artifact_path() -> PathBuf {
    beside_connector("S3_CONNECTOR_WASI_WASM", "s3_connector_wasi.wasm")
}

/// The adapter alone.
fn adapter_path() -> PathBuf {
    beside_connector("S3_CONNECTOR_WASI_HTTP_WASM", "s3_connector_wasi_http.wasm")
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::default)
}

/// The artifact, compiled once per test binary.
fn artifact() -> &'static Component {
    static COMPONENT: OnceLock<Component> = OnceLock::new();
    COMPONENT.get_or_init(|| Component::from_file(engine(), artifact_path()).unwrap())
}

/// What a generic host keeps per instance: WASI and wasi:http.
struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
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

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// An instance of `component` in a store whose environment is `env`, and
/// its captured stderr.
struct Guest {
    store: Store<State>,
    instance: Instance,
    stderr: MemoryOutputPipe,
}

impl Guest {
    fn new(component: &Component, env: &[(&str, &str)]) -> Self {
        let mut linker = Linker::<State>::new(engine());
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker).unwrap();
        let stderr = MemoryOutputPipe::new(64 * 1024);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stderr(stderr.clone());
        for (name, value) in env {
            wasi.env(name, value);
        }
        let state = State {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(engine(), state);
        let instance = linker.instantiate(&mut store, component).unwrap();
        Self {
            store,
            instance,
            stderr,
        }
    }

    /// The composed artifact, with loopback allowed (the local server).
    fn artifact_on_loopback() -> Self {
        Self::new(artifact(), &[("S3_CONNECTOR_ALLOW_LOOPBACK", "1")])
    }

    /// Calls `function` of the exported `interface`; its one result.
    fn call(&mut self, interface: &str, function: &str, params: &[Val]) -> Val {
        let exported = self
            .instance
            .get_export_index(&mut self.store, None, interface)
            .unwrap_or_else(|| panic!("no export {interface}"));
        let index = self
            .instance
            .get_export_index(&mut self.store, Some(&exported), function)
            .unwrap_or_else(|| panic!("no function {function} in {interface}"));
        let func = self.instance.get_func(&mut self.store, index).unwrap();
        let mut results = vec![Val::Bool(false)];
        if let Err(e) = func.call(&mut self.store, params, &mut results) {
            panic!(
                "{interface}#{function} trapped: {e:?}\nstderr: {}",
                String::from_utf8_lossy(&self.stderr.contents())
            );
        }
        results.remove(0)
    }

    /// `json.invoke`: the output's JSON and body, or the error as a value.
    fn invoke(
        &mut self,
        conn: &Connection,
        operation: &str,
        input: Value,
    ) -> Result<(Value, Option<Vec<u8>>), Val> {
        let params = [
            connection(conn),
            Val::String(operation.to_owned()),
            Val::String(input.to_string()),
            Val::Option(None),
        ];
        output(self.call(JSON, "invoke", &params))
    }

    /// `json.invoke-streamed` with a source or a sink.
    fn invoke_streamed(
        &mut self,
        conn: &Connection,
        operation: &str,
        input: Value,
        source: Option<ResourceAny>,
        sink: Option<ResourceAny>,
    ) -> Result<(Value, Option<Vec<u8>>), Val> {
        let resource = |r: Option<ResourceAny>| Val::Option(r.map(|r| Box::new(Val::Resource(r))));
        let params = [
            connection(conn),
            Val::String(operation.to_owned()),
            Val::String(input.to_string()),
            resource(source),
            resource(sink),
        ];
        output(self.call(JSON, "invoke-streamed", &params))
    }

    /// A function of `streams`, typed: a body as a dynamic list of values
    /// would cost far more than its bytes.
    fn streams<P, R>(&mut self, function: &str) -> TypedFunc<P, R>
    where
        P: ComponentNamedList + Lower,
        R: ComponentNamedList + Lift,
    {
        let exported = self
            .instance
            .get_export_index(&mut self.store, None, STREAMS)
            .unwrap();
        let index = self
            .instance
            .get_export_index(&mut self.store, Some(&exported), function)
            .unwrap();
        self.instance
            .get_typed_func::<P, R>(&mut self.store, index)
            .unwrap()
    }

    fn source_from_bytes(&mut self, bytes: &[u8]) -> ResourceAny {
        let func = self.streams::<(&[u8],), (ResourceAny,)>("source-from-bytes");
        func.call(&mut self.store, (bytes,)).unwrap().0
    }

    fn sink_to_memory(&mut self) -> ResourceAny {
        let func = self.streams::<(), (ResourceAny,)>("sink-to-memory");
        func.call(&mut self.store, ()).unwrap().0
    }

    fn sink_bytes(&mut self, sink: ResourceAny) -> Vec<u8> {
        let func = self.streams::<(ResourceAny,), (Vec<u8>,)>("sink-bytes");
        func.call(&mut self.store, (sink,)).unwrap().0
    }
}

/// The WIT `connection` as a value.
fn connection(conn: &Connection) -> Val {
    let string = |s: &str| Val::String(s.to_owned());
    let option = |s: &Option<String>| Val::Option(s.as_deref().map(|s| Box::new(string(s))));
    Val::Record(vec![
        ("access-key".to_owned(), string(&conn.access_key)),
        ("secret-key".to_owned(), string(&conn.secret_key)),
        ("session-token".to_owned(), option(&conn.session_token)),
        ("region".to_owned(), option(&conn.region)),
        ("endpoint".to_owned(), option(&conn.endpoint)),
        ("path-style".to_owned(), Val::Bool(conn.path_style)),
        ("credentials-expire".to_owned(), Val::Option(None)),
    ])
}

/// A connection to the local server at another endpoint.
fn at_endpoint(local: &Local, endpoint: &str) -> Connection {
    Connection {
        endpoint: Some(endpoint.to_owned()),
        ..local.conn()
    }
}

/// An `invoke-output` as JSON and body, or the error value.
fn output(result: Val) -> Result<(Value, Option<Vec<u8>>), Val> {
    let Val::Result(result) = result else {
        panic!("not a result: {result:?}");
    };
    let record = match result {
        Ok(Some(record)) => *record,
        Ok(None) => panic!("no output"),
        Err(error) => return Err(*error.unwrap()),
    };
    let Val::Record(fields) = record else {
        panic!("not a record: {record:?}");
    };
    let mut json = Value::Null;
    let mut body = None;
    for (name, value) in fields {
        match (name.as_str(), value) {
            ("json", Val::String(text)) => json = serde_json::from_str(&text).unwrap(),
            ("body", Val::Option(Some(bytes))) => body = Some(bytes_of(*bytes)),
            _ => {}
        }
    }
    Ok((json, body))
}

fn bytes_of(list: Val) -> Vec<u8> {
    let Val::List(items) = list else {
        panic!("not a list: {list:?}");
    };
    items
        .into_iter()
        .map(|item| match item {
            Val::U8(byte) => byte,
            other => panic!("not a byte: {other:?}"),
        })
        .collect()
}

/// The transport error inside an `error` value: its case and text.
fn transport_error(error: &Val) -> (String, String) {
    let Val::Variant(case, Some(payload)) = error else {
        panic!("not an error with a payload: {error:?}");
    };
    assert_eq!(case, "transport", "{error:?}");
    let Val::Record(fields) = &**payload else {
        panic!("{error:?}");
    };
    let (_, inner) = fields.iter().find(|(name, _)| name == "error").unwrap();
    match inner {
        Val::Variant(case, Some(text)) => match &**text {
            Val::String(text) => (case.clone(), text.clone()),
            other => (case.clone(), format!("{other:?}")),
        },
        Val::Variant(case, None) => (case.clone(), String::new()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn artifact_imports_only_standard_wasi_and_exports_the_connector() {
    let component = artifact();
    let ty = component.component_type();
    let imports: Vec<String> = ty.imports(engine()).map(|(name, _)| name.to_owned()).collect();
    assert!(!imports.is_empty());
    for name in &imports {
        assert!(
            name.starts_with("wasi:"),
            "a non-standard import: {name} (all: {imports:?})"
        );
    }
    assert!(
        imports
            .iter()
            .any(|name| name.starts_with("wasi:http/outgoing-handler@0.2")),
        "{imports:?}"
    );
    let exports: Vec<String> = ty.exports(engine()).map(|(name, _)| name.to_owned()).collect();
    for wanted in [
        JSON,
        "s3-connector:s3/operations@0.1.0",
        "s3-connector:s3/bodies@0.1.0",
        STREAMS,
    ] {
        assert!(
            exports.iter().any(|name| name == wanted),
            "{wanted} not in {exports:?}"
        );
    }

    // The connector on its own needs our host: the composition is what
    // makes it standard.
    let connector = Component::from_file(engine(), wasm_path()).unwrap();
    let connector_imports: Vec<String> = connector
        .component_type()
        .imports(engine())
        .map(|(name, _)| name.to_owned())
        .collect();
    assert!(
        connector_imports.iter().any(|name| name == HTTP_OUTGOING),
        "{connector_imports:?}"
    );
}

/// Of WASI, the connector imports the clocks, a random seed (the hash keys
/// of its maps) and `poll` (which the clocks' pollables need): no stdio, no
/// environment, no `exit`. Its builds trap on a panic rather than print it,
/// so nothing in it writes to stderr; a `println!` or an `env::var` added
/// to it would bring their interfaces back, and this fails.
#[test]
fn connector_imports_of_wasi_only_clocks_poll_and_a_random_seed() {
    let connector = Component::from_file(engine(), wasm_path()).unwrap();
    let mut wasi: Vec<String> = connector
        .component_type()
        .imports(engine())
        .filter_map(|(name, _)| {
            name.strip_prefix("wasi:")
                .map(|rest| rest.split('@').next().unwrap_or(rest).to_owned())
        })
        .collect();
    wasi.sort();
    assert_eq!(
        wasi,
        [
            "clocks/monotonic-clock",
            "clocks/wall-clock",
            "io/poll",
            "random/insecure-seed"
        ],
        "the connector's WASI imports"
    );
}

#[test]
fn objects_are_written_read_listed_and_deleted_over_wasi_http() {
    let local = Local::new();
    let conn = local.conn();
    let mut guest = Guest::artifact_on_loopback();
    let key = "notes/héllo wörld.txt";

    let (put, _) = guest
        .invoke(
            &conn,
            "put-object-text",
            json!({"bucket_name": BUCKET, "object_path": key, "content": "Hello over wasi:http"}),
        )
        .unwrap();
    assert_eq!(put["key"], key, "{put}");
    assert!(put["etag"].as_str().is_some_and(|etag| !etag.is_empty()), "{put}");

    let (got, body) = guest
        .invoke(
            &conn,
            "get-object",
            json!({"bucket_name": BUCKET, "object_path": key}),
        )
        .unwrap();
    assert_eq!(body.as_deref(), Some(&b"Hello over wasi:http"[..]), "{got}");

    // The metadata comes from the answer's headers, which the adapter hands
    // the connector as `name:value` lines.
    let (head, _) = guest
        .invoke(
            &conn,
            "head-object",
            json!({"bucket_name": BUCKET, "object_path": key}),
        )
        .unwrap();
    assert_eq!(head["content_length"], 20, "{head}");
    assert_eq!(head["content_type"], "text/plain; charset=utf-8", "{head}");
    assert_eq!(head["etag"], put["etag"], "{head}");
    assert!(
        head["last_modified"]
            .as_str()
            .is_some_and(|t| t.len() == 20 && t.ends_with('Z')),
        "{head}"
    );

    let (listed, _) = guest
        .invoke(
            &conn,
            "list-objects",
            json!({"bucket_name": BUCKET, "prefix": "notes/"}),
        )
        .unwrap();
    let keys: Vec<&str> = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [key], "{listed}");

    guest
        .invoke(
            &conn,
            "delete-object",
            json!({"bucket_name": BUCKET, "object_path": key}),
        )
        .unwrap();
    let error = guest
        .invoke(
            &conn,
            "get-object",
            json!({"bucket_name": BUCKET, "object_path": key}),
        )
        .unwrap_err();
    let text = format!("{error:?}");
    assert!(text.contains("no-such-key"), "{text}");
}

#[test]
fn a_large_file_goes_up_in_parts_and_comes_back_into_memory() {
    let local = Local::new();
    let conn = local.conn();
    let mut guest = Guest::artifact_on_loopback();
    // Above the 16 MiB multipart threshold, with a ragged last part.
    let content: Vec<u8> = (0..20 * 1024 * 1024 + 12345u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let source = guest.source_from_bytes(&content);
    let (put, _) = guest
        .invoke_streamed(
            &conn,
            "put-object-file",
            json!({"bucket_name": BUCKET, "object_path": "big/file.bin"}),
            Some(source),
            None,
        )
        .unwrap();
    assert_eq!(put["parts"], 3, "{put}");

    let sink = guest.sink_to_memory();
    let (got, body) = guest
        .invoke_streamed(
            &conn,
            "get-object",
            json!({"bucket_name": BUCKET, "object_path": "big/file.bin"}),
            None,
            Some(sink),
        )
        .unwrap();
    assert!(body.is_none(), "{got}");
    let held = guest.sink_bytes(sink);
    assert_eq!(held.len(), content.len());
    assert!(held == content, "the bytes read back differ");
}

#[test]
fn a_file_goes_up_from_a_standard_stream_and_down_into_one() {
    let local = Local::new();
    let conn = local.conn();
    let mut guest = Guest::artifact_on_loopback();
    // Signed over plain HTTP: each part is read twice from the stream's
    // window, once to hash it and once to send it.
    let content: Vec<u8> = (0..17 * 1024 * 1024 + 777u32)
        .map(|i| (i.wrapping_mul(40_503) >> 8) as u8)
        .collect();
    let input: DynInputStream = Box::new(MemoryInputPipe::new(content.clone()));
    let input = guest.store.data_mut().table.push(input).unwrap();
    let input = ResourceAny::try_from_resource(input, &mut guest.store).unwrap();
    let source_from_stream = guest.streams::<(ResourceAny, u64), (ResourceAny,)>("source-from-stream");
    let (source,) = source_from_stream
        .call(&mut guest.store, (input, content.len() as u64))
        .unwrap();
    let (put, _) = guest
        .invoke_streamed(
            &conn,
            "put-object-file",
            json!({"bucket_name": BUCKET, "object_path": "streamed.bin", "payload_signing": "signed"}),
            Some(source),
            None,
        )
        .unwrap();
    assert_eq!(put["parts"], 3, "{put}");

    let pipe = MemoryOutputPipe::new(64 * 1024 * 1024);
    let output: DynOutputStream = Box::new(pipe.clone());
    let output = guest.store.data_mut().table.push(output).unwrap();
    let output = ResourceAny::try_from_resource(output, &mut guest.store).unwrap();
    let sink_to_stream = guest.streams::<(ResourceAny,), (ResourceAny,)>("sink-to-stream");
    let (sink,) = sink_to_stream.call(&mut guest.store, (output,)).unwrap();
    guest
        .invoke_streamed(
            &conn,
            "get-object",
            json!({"bucket_name": BUCKET, "object_path": "streamed.bin"}),
            None,
            Some(sink),
        )
        .unwrap();
    let written = pipe.contents();
    assert_eq!(written.len(), content.len());
    assert!(written[..] == content[..], "the bytes read back differ");
}

#[test]
fn private_destinations_are_denied_unless_the_environment_allows_them() {
    let local = Local::new();
    let loopback = local.conn();
    let mut guest = Guest::new(artifact(), &[]);
    let input = json!({"bucket_name": BUCKET, "object_path": "a.txt"});

    let endpoint = loopback.endpoint.clone().unwrap();
    let address = endpoint
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    for (conn, named) in [
        (loopback.clone(), address.as_str()),
        (at_endpoint(&local, "http://10.1.2.3:9000"), "10.1.2.3"),
        (at_endpoint(&local, "http://169.254.169.254"), "169.254.169.254"),
        (at_endpoint(&local, "http://[::1]:9000"), "::1"),
    ] {
        let error = guest.invoke(&conn, "head-object", input.clone()).unwrap_err();
        let (case, text) = transport_error(&error);
        assert_eq!(case, "denied", "{:?}: {text}", conn.endpoint);
        assert!(text.contains(named), "{:?}: {text}", conn.endpoint);
    }

    // With loopback allowed, the metadata service and private networks
    // stay closed.
    let mut allowed = Guest::artifact_on_loopback();
    allowed
        .invoke(&loopback, "list-objects", json!({"bucket_name": BUCKET}))
        .unwrap();
    for (endpoint, named) in [
        ("http://169.254.169.254", "169.254.169.254"),
        ("http://10.1.2.3:9000", "10.1.2.3"),
    ] {
        let error = allowed
            .invoke(&at_endpoint(&local, endpoint), "head-object", input.clone())
            .unwrap_err();
        let (case, text) = transport_error(&error);
        assert_eq!(case, "denied", "{endpoint}: {text}");
        assert!(text.contains(named), "{endpoint}: {text}");
    }
}

/// `http-outgoing.send` of the adapter alone.
fn send(guest: &mut Guest, url: &str) -> Val {
    let request = Val::Record(vec![
        ("method".to_owned(), Val::String("GET".to_owned())),
        ("url".to_owned(), Val::String(url.to_owned())),
        ("headers".to_owned(), Val::List(Vec::new())),
        ("body".to_owned(), Val::Variant("empty".to_owned(), None)),
    ]);
    guest.call(HTTP_OUTGOING, "send", &[request])
}

fn denied_text(result: &Val) -> String {
    match result {
        Val::Result(Err(Some(error))) => match &**error {
            Val::Variant(case, Some(text)) if case == "denied" => match &**text {
                Val::String(text) => text.clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("not denied: {other:?}"),
        },
        other => panic!("not an error: {other:?}"),
    }
}

#[test]
fn the_adapter_sends_only_http_and_https_and_checks_every_address_form() {
    let adapter = Component::from_file(engine(), adapter_path()).unwrap();
    let mut guest = Guest::new(&adapter, &[("S3_CONNECTOR_ALLOW_LOOPBACK", "0")]);
    for url in [
        "file:///etc/passwd",
        "ftp://example.com/file",
        "gopher://example.com/",
    ] {
        let text = denied_text(&send(&mut guest, url));
        assert!(text.contains("only http and https"), "{url}: {text}");
    }
    for (url, named) in [
        ("http://127.0.0.1:1/", "127.0.0.1"),
        ("http://127.1:1/", "127.0.0.1"),
        ("http://2130706433:1/", "127.0.0.1"),
        ("http://localhost:1/", "localhost"),
        ("http://[::ffff:169.254.169.254]/", "169.254.169.254"),
        ("http://0xA9FEA9FE/", "169.254.169.254"),
        ("http://192.168.1.1/", "192.168.1.1"),
        ("http://[fe80::1]/", "fe80::1"),
    ] {
        let text = denied_text(&send(&mut guest, url));
        assert!(text.contains(named), "{url}: {text}");
    }
    // Nothing listens on port 1: allowed through, it fails as a connection.
    let mut allowed = Guest::new(&adapter, &[("S3_CONNECTOR_ALLOW_LOOPBACK", "1")]);
    match send(&mut allowed, "http://127.0.0.1:1/") {
        Val::Result(Err(Some(error))) => {
            assert!(
                matches!(&*error, Val::Variant(case, _) if case == "connection"),
                "{error:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_wasi_http_error_code_is_reported_by_its_wit_name() {
    // A server that answers with something that is not HTTP: wasmtime's
    // client reports a `wasi:http` error code, which the adapter passes on
    // as the WIT names it, not as a Rust value's debug text.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let _ = stream.write_all(b"this is not HTTP\r\n\r\n");
    });
    let adapter = Component::from_file(engine(), adapter_path()).unwrap();
    let mut guest = Guest::new(&adapter, &[("S3_CONNECTOR_ALLOW_LOOPBACK", "1")]);
    let result = send(&mut guest, &format!("http://127.0.0.1:{port}/"));
    server.join().unwrap();
    let Val::Result(Err(Some(error))) = result else {
        panic!("not an error: {result:?}");
    };
    let Val::Variant(_, Some(text)) = &*error else {
        panic!("no text: {error:?}");
    };
    let Val::String(text) = &**text else {
        panic!("{text:?}");
    };
    assert_eq!(text, "http-protocol-error");
}
