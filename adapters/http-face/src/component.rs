//! The WIT glue, and nothing else: the bindings, the exported handler,
//! WIT <-> JSON conversions and the reading and writing of HTTP bodies.
//! Routing, envelopes, statuses and masking are in the other modules.

use crate::download;
use crate::envelope::{self, Connection, Envelope, Refusal};
use crate::json::{self, Object};
use crate::json_value::{self, Map, Value};
use crate::redact::Secrets;
use crate::route::{self, Route};
use crate::status;

use bindings::exports::wasi::http::incoming_handler::Guest;
use bindings::s3_connector::adapter::streams;
use bindings::s3_connector::s3::json as wit_json;
use bindings::s3_connector::s3::types as wit;
use bindings::wasi::http::types::{
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use bindings::wasi::io::streams::{InputStream, OutputStream, StreamError};

// The allocator is the connector's (`s3_connector_wire::heap`, the wire
// crate's `heap` feature): size classes in front of TLSF over one pool that
// memory grows under, in place of wasi-libc's dlmalloc.

/// The generated bindings and the exported entry point. They are FFI and
/// use `unsafe`, which is allowed here and nowhere else.
#[allow(unsafe_code)]
mod bindings {
    use super::Face;

    wit_bindgen::generate!({
        world: "face",
        path: "wit",
        // Also the interfaces the imports `use` (types, bodies, wasi:io).
        generate_all,
    });

    export!(Face);
}

/// The type the export is implemented on.
struct Face;

/// The largest JSON request body read (the connector refuses in-memory
/// bodies over 32 MiB anyway; an object goes by `put-object-file`, streamed).
const MAX_JSON_BODY: u64 = 33 * 1024 * 1024;

/// `blocking-write-and-flush` takes at most 4096 bytes per call.
const WRITE_CHUNK: usize = 4096;

/// How much is read from the request body per call.
const READ_CHUNK: u64 = 64 * 1024;

impl Guest for Face {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        // Read through the import itself: std's `env::vars` goes through
        // wasi-libc's environ, which links wasi-libc's allocator (dlmalloc,
        // about 9 KB) beside the component's own.
        let env = bindings::wasi::cli::environment::get_environment();
        let mut secrets = Secrets::default();
        // The deployment's own secrets are masked whatever the request.
        for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
            if let Some((_, value)) = env.iter().find(|(k, _)| k == name) {
                secrets.add(value);
            }
        }
        let path = request.path_with_query().unwrap_or_default();
        let method = request.method();
        let method = method_name(&method);
        let route = route::route(&path);
        let reply = match route {
            Route::NotFound => refusal(&Refusal {
                status: 404,
                field: "path".to_owned(),
                message: "no such route: GET /v1/operations lists the operations, POST \
                          /v1/{operation} runs one"
                    .to_owned(),
            }),
            Route::Operation(name) if !crate::envelope::OPERATIONS.contains(&name) => {
                refusal(&Refusal {
                    status: 404,
                    field: "operation".to_owned(),
                    // The name is lower-case letters and dashes (the route
                    // checked), so it can be repeated safely.
                    message: format!("unknown operation `{name}`: GET /v1/operations lists them"),
                })
            }
            _ if method != route.method() => {
                let mut reply = refusal(&Refusal {
                    status: 405,
                    field: "method".to_owned(),
                    message: format!("{} answers {} only", route_text(&route), route.method()),
                });
                reply
                    .headers
                    .push(("allow".to_owned(), route.method().to_owned()));
                reply
            }
            Route::Manifest => Reply::json(200, wit_json::describe()),
            Route::Operation("get-object") => {
                return get_object(&request, response_out, &env, &mut secrets);
            }
            Route::Operation("put-object-file") => put_object_file(&request, &path, &env, &mut secrets),
            Route::Operation(name) => invoke(&request, name, &env, &mut secrets),
        };
        send(response_out, reply, &secrets);
    }
}

/// A whole answer: status, headers and a JSON body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(status: u16, body: String) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
        }
    }
}

fn refusal(refusal: &Refusal) -> Reply {
    Reply::json(refusal.status, refusal.to_json())
}

/// The connector's error as an answer: its JSON, with the status that fits it.
fn error_reply(error: &wit::Error) -> Reply {
    let fields = error_json(error);
    // The status is read from the text just written (`status` reads the
    // error as a client would).
    let status = json_value::parse(&fields).map_or(500, |value| status::for_error(&value));
    Reply::json(status, Object::new().raw("error", &fields).finish())
}

fn route_text(route: &Route<'_>) -> String {
    match route {
        Route::Manifest => "/v1/operations".to_owned(),
        Route::Operation(name) => format!("/v1/{name}"),
        Route::NotFound => "this path".to_owned(),
    }
}

fn method_name(method: &Method) -> &str {
    match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Connect => "CONNECT",
        Method::Options => "OPTIONS",
        Method::Trace => "TRACE",
        Method::Patch => "PATCH",
        Method::Other(other) => other,
    }
}

/// The request's headers, names in lower case.
fn header(request: &IncomingRequest, name: &str) -> Option<String> {
    let headers = request.headers();
    let values = headers.get(name);
    drop(headers);
    values
        .into_iter()
        .next()
        .and_then(|value| String::from_utf8(value).ok())
}

/// The connection the request gave, else the environment's; its secrets
/// are added to `secrets`.
fn connection(
    given: Option<Connection>,
    env: &[(String, String)],
    secrets: &mut Secrets,
) -> Result<wit::Connection, Refusal> {
    let conn = given
        .or_else(|| envelope::connection_from_env(env))
        .ok_or_else(envelope::no_connection)?;
    secrets.add(&conn.secret_key);
    if let Some(token) = &conn.session_token {
        secrets.add(token);
    }
    Ok(wit::Connection {
        access_key: conn.access_key,
        secret_key: conn.secret_key,
        session_token: conn.session_token,
        region: conn.region,
        endpoint: conn.endpoint,
        path_style: conn.path_style,
        credentials_expire: conn.credentials_expire,
    })
}

/// Reads a JSON request body whole, up to [`MAX_JSON_BODY`].
fn read_body(request: &IncomingRequest) -> Result<Vec<u8>, Refusal> {
    let too_large = || Refusal {
        status: 413,
        field: "body".to_owned(),
        message: format!(
            "the JSON body is over {} MiB: send an object's bytes to POST /v1/put-object-file",
            MAX_JSON_BODY / (1024 * 1024)
        ),
    };
    if let Some(length) = header(request, "content-length").and_then(|v| v.trim().parse::<u64>().ok()) {
        if length > MAX_JSON_BODY {
            return Err(too_large());
        }
    }
    let unreadable = || Refusal::bad_request("body", "the request body could not be read");
    let body = request.consume().map_err(|()| unreadable())?;
    let stream = body.stream().map_err(|()| unreadable())?;
    let mut bytes = Vec::new();
    let result = loop {
        match stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > MAX_JSON_BODY {
                    break Err(too_large());
                }
            }
            Err(StreamError::Closed) => break Ok(bytes),
            Err(StreamError::LastOperationFailed(_)) => break Err(unreadable()),
        }
    };
    drop(stream);
    drop(IncomingBody::finish(body));
    result
}

/// `POST /v1/{operation}`: one JSON operation.
fn invoke(request: &IncomingRequest, name: &str, env: &[(String, String)], secrets: &mut Secrets) -> Reply {
    let mut run = || -> Result<Reply, Refusal> {
        let Envelope {
            input,
            connection: given,
        } = envelope::parse_body(&read_body(request)?)?;
        let conn = connection(given, env, secrets)?;
        Ok(match wit_json::invoke(&conn, name, &input, None) {
            Ok(output) => Reply::json(200, output.json),
            Err(error) => error_reply(&error),
        })
    };
    run().unwrap_or_else(|r| refusal(&r))
}

/// `POST /v1/put-object-file`: the request body is the object, streamed
/// into the upload; its length must be known (`Content-Length`).
fn put_object_file(
    request: &IncomingRequest,
    path: &str,
    env: &[(String, String)],
    secrets: &mut Secrets,
) -> Reply {
    let mut run = || -> Result<Reply, Refusal> {
        let Some(length) = header(request, "content-length") else {
            return Err(Refusal {
                status: 411,
                field: "content-length".to_owned(),
                message: "the object's length is needed before it is sent: give Content-Length".to_owned(),
            });
        };
        let length = length
            .trim()
            .parse::<u64>()
            .map_err(|_| Refusal::bad_request("content-length", "must be a number of bytes"))?;
        let query_input =
            route::query_param(path, envelope::INPUT_PARAM).map_err(|m| Refusal::bad_request("input", m))?;
        let input = header(request, envelope::INPUT_HEADER).or(query_input);
        let connection_text = header(request, envelope::CONNECTION_HEADER);
        let Envelope {
            input,
            connection: given,
        } = envelope::parse_parts(input.as_deref(), connection_text.as_deref())?;
        let input = with_mime_type(&input, header(request, "content-type"));
        let conn = connection(given, env, secrets)?;
        let unreadable = || Refusal::bad_request("body", "the request body could not be read");
        let body = request.consume().map_err(|()| unreadable())?;
        let stream: InputStream = body.stream().map_err(|()| unreadable())?;
        let source = streams::source_from_stream(stream, length);
        let result = wit_json::invoke_streamed(&conn, "put-object-file", &input, Some(&source), None);
        // The source holds the body's stream, a child of `body`: it goes first.
        drop(source);
        drop(body);
        Ok(match result {
            Ok(output) => Reply::json(200, output.json),
            Err(error) => error_reply(&error),
        })
    };
    run().unwrap_or_else(|r| refusal(&r))
}

/// The input with the request's `Content-Type` as `mime_type`, unless the
/// input names one (or gives the old connector's `file` object), or the
/// type is the form type that clients send by default.
fn with_mime_type(input: &str, content_type: Option<String>) -> String {
    // curl's default for a body, not a statement about the object.
    let content_type = content_type.filter(|t| !t.starts_with("application/x-www-form-urlencoded"));
    let (Some(content_type), Ok(Value::Object(mut map))) = (content_type, json_value::parse(input)) else {
        return input.to_owned();
    };
    if map.get("mime_type").is_some() || map.get("file").is_some() {
        return input.to_owned();
    }
    map.insert("mime_type".to_owned(), Value::String(content_type));
    json::to_string(&Value::Object(map))
}

/// `POST /v1/get-object`: the object is the response body. Its first
/// [`download::FIRST_READ`] bytes are read with one ranged GET, which also
/// gives its length, type and ETag, so that a missing key answers its error
/// status before any byte; an object (or a range) that fits is answered
/// from that request alone, and the rest of a larger one is streamed from
/// S3 after it, pinned to the version read (on versioned buckets) and its
/// ETag checked against the first read's. What the first read cannot settle
/// (an empty object, a range past the end) is headed instead, as every
/// download was before. A failure once the body has started ends it
/// without `finish`, so the client sees a broken body, never a short one
/// that looks whole.
fn get_object(
    request: &IncomingRequest,
    response_out: ResponseOutparam,
    env: &[(String, String)],
    secrets: &mut Secrets,
) {
    let prepared = (|| -> Result<Result<(wit::Connection, GetPlan), Reply>, Refusal> {
        let Envelope {
            input,
            connection: given,
        } = envelope::parse_body(&read_body(request)?)?;
        let conn = connection(given, env, secrets)?;
        let Ok(Value::Object(input)) = json_value::parse(&input) else {
            return Err(Refusal::bad_request("input", "must be a JSON object"));
        };
        // Checked before the first read: once the answer has begun, a
        // refusal could only break its body.
        crate::envelope::check_get_object_input(&input, crate::envelope::GET_OBJECT_FIELDS)?;
        let wanted = match input.get("range") {
            None | Some(Value::Null) => download::Wanted::WHOLE,
            Some(range) => download::Wanted {
                from: range.get("from").and_then(Value::as_u64).unwrap_or_default(),
                to: range.get("to").and_then(Value::as_u64),
                ranged: true,
            },
        };
        let planned = match first_read(&conn, &input, &wanted) {
            First::Planned(plan) => Ok(plan),
            First::Failed(error) => Err(error_reply(&error)),
            First::Unsettled => head_first(&conn, &input, &wanted)?,
        };
        Ok(planned.map(|plan| (conn, plan)))
    })();
    let (conn, plan) = match prepared {
        Ok(Ok(planned)) => planned,
        Ok(Err(reply)) => return send(response_out, reply, secrets),
        Err(r) => return send(response_out, refusal(&r), secrets),
    };
    let Some((body, stream)) = start(response_out, plan.status, &plan.headers) else {
        return;
    };
    // The stream is a child of the body: each arm drops it before the
    // body is finished (or dropped), which would trap with it alive.
    let whole = match &plan.rest {
        None => {
            let written = write_all(&stream, &plan.first);
            drop(stream);
            written && plan.first.len() as u64 == plan.length
        }
        Some(rest) => {
            let sink = streams::sink_to_stream(stream);
            let sent = sink.write(&plan.first).is_ok() && send_rest(&conn, &sink, rest, plan.etag.as_deref());
            let whole = sent && sink.written() == plan.length;
            drop(sink);
            whole
        }
    };
    if whole {
        drop(OutgoingBody::finish(body, None));
    } else {
        // Dropped without `finish`: the host ends the response as broken.
        drop(body);
    }
}

/// Sends the bytes of a download after its first read into `sink`: the
/// middle streamed by the connector, then the last byte read on its own and
/// written only once both answers have shown `etag`, the first read's. So
/// an answer whose object changed meanwhile stops one byte short, and the
/// client sees it broken, never whole; checked after its bytes had gone, a
/// change could have come out as a whole answer of the wrong bytes.
fn send_rest(
    conn: &wit::Connection,
    sink: &bindings::s3_connector::s3::bodies::BodySink,
    rest: &Rest,
    etag: Option<&str>,
) -> bool {
    if let Some((input, length)) = &rest.middle {
        let before = sink.written();
        match wit_json::invoke_streamed(conn, "get-object", input, None, Some(sink)) {
            Ok(output) if sink.written() - before == *length && same_etag(&output.json, etag) => {}
            _ => return false,
        }
    }
    match wit_json::invoke(conn, "get-object", &rest.last, None) {
        Ok(output) if same_etag(&output.json, etag) => output
            .body
            .is_some_and(|last| last.len() == 1 && sink.write(&last).is_ok()),
        _ => false,
    }
}

/// Whether a `get-object` output's ETag is `etag` (any, when the first
/// read had none to compare).
fn same_etag(output: &str, etag: Option<&str>) -> bool {
    let got = json_value::parse(output).unwrap_or(Value::Null);
    etag.is_none()
        || got
            .get("metadata")
            .and_then(|m| m.get("etag"))
            .and_then(Value::as_str)
            == etag
}

/// The bytes of a download after its first read.
struct Rest {
    /// `get-object`'s input for the bytes before the last, streamed, and
    /// their count.
    middle: Option<(String, u64)>,
    /// `get-object`'s input for the last byte.
    last: String,
}

impl Rest {
    /// Bytes `from` to `to` of `input`'s object, pinned to `version` (the
    /// one first read) unless the input names one.
    fn new(input: &Map, from: u64, to: u64, version: Option<&str>) -> Rest {
        let pinned = |from: u64, to: u64| {
            let mut input_range = with_range(input, from, to);
            if let (None, Some(version)) = (input.get("version_id"), version) {
                input_range.insert("version_id".to_owned(), Value::String(version.to_owned()));
            }
            json::to_string(&Value::Object(input_range))
        };
        Rest {
            middle: (to > from).then(|| (pinned(from, to - 1), to - from)),
            last: pinned(to, to),
        }
    }
}

/// What a download's first read settled.
enum First {
    /// The answer, and what is left to stream.
    Planned(GetPlan),
    /// S3's error, answered as it is (a missing key, a denied read).
    Failed(wit::Error),
    /// Nothing the answer can be built on: a head decides.
    Unsettled,
}

/// Reads the first [`download::FIRST_READ`] bytes of what `wanted` asks
/// for, and plans the answer from them.
fn first_read(conn: &wit::Connection, input: &Map, wanted: &download::Wanted) -> First {
    let Some((from, to)) = wanted.first_request() else {
        return First::Unsettled;
    };
    let first_input = json::to_string(&Value::Object(with_range(input, from, to)));
    let output = match wit_json::invoke(conn, "get-object", &first_input, None) {
        Ok(output) => output,
        // A range past the end (an empty object has no first byte), or a
        // body over what may be held (a server that ignored the range).
        Err(wit::Error::Service(e)) if e.status == 416 => return First::Unsettled,
        Err(wit::Error::Transport(failure))
            if matches!(
                failure.error,
                bindings::s3_connector::s3::http_outgoing::TransportError::TooLarge(_)
            ) =>
        {
            return First::Unsettled
        }
        Err(error) => return First::Failed(error),
    };
    let got = json_value::parse(&output.json).unwrap_or(Value::Null);
    let Some(metadata) = got.get("metadata") else {
        return First::Unsettled;
    };
    let mut bytes = output.body.unwrap_or_default();
    let text = |name: &str| metadata.get(name).and_then(Value::as_str).map(str::to_owned);
    let received = download::Received::from_answer(
        metadata.get("content_range").and_then(Value::as_str),
        bytes.len() as u64,
    );
    let Some(plan) = received.and_then(|received| download::plan(wanted, &received)) else {
        return First::Unsettled;
    };
    bytes.truncate(plan.first.end);
    bytes.drain(..plan.first.start);
    let version = text("version_id");
    let rest = plan
        .rest
        .map(|(from, to)| Rest::new(input, from, to, version.as_deref()));
    First::Planned(GetPlan::new(
        plan.answer,
        text("content_type"),
        text("etag"),
        version,
        bytes,
        rest,
    ))
}

/// `input` asking for bytes `from` to `to` (inclusive).
fn with_range(input: &Map, from: u64, to: u64) -> Map {
    let mut range = Map::new();
    range.insert("from".to_owned(), from.into());
    range.insert("to".to_owned(), to.into());
    let mut input = input.clone();
    input.insert("range".to_owned(), Value::Object(range));
    input
}

/// The download planned from a head of the key: what the first read could
/// not settle (an empty object, a range that starts past the end).
fn head_first(
    conn: &wit::Connection,
    input: &Map,
    wanted: &download::Wanted,
) -> Result<Result<GetPlan, Reply>, Refusal> {
    let mut head_input = Map::new();
    for field in ["bucket_name", "object_path", "version_id"] {
        if let Some(value) = input.get(field) {
            head_input.insert(field.to_owned(), value.clone());
        }
    }
    let head = match wit_json::invoke(
        conn,
        "head-object",
        &json::to_string(&Value::Object(head_input)),
        None,
    ) {
        Ok(output) => json_value::parse(&output.json).unwrap_or(Value::Null),
        Err(error) => return Ok(Err(error_reply(&error))),
    };
    let total = head
        .get("content_length")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    let answer = match download::answer(wanted, total) {
        Ok(answer) => answer,
        Err(download::Unanswerable::PastEnd) => {
            return Err(Refusal {
                status: 416,
                field: "range.from".to_owned(),
                message: format!("the object has {total} bytes: the range starts past its end"),
            })
        }
        Err(download::Unanswerable::Reversed) => {
            return Err(Refusal::bad_request("range.to", "must not be before range.from"))
        }
    };
    let text = |name: &str| head.get(name).and_then(Value::as_str).map(str::to_owned);
    let version = text("version_id");
    // An empty answer needs no read.
    let rest = answer
        .end
        .map(|end| Rest::new(input, wanted.from, end, version.as_deref()));
    Ok(Ok(GetPlan::new(
        answer,
        text("content_type"),
        text("etag"),
        version,
        Vec::new(),
        rest,
    )))
}

/// What a download answers, once planned.
struct GetPlan {
    status: u16,
    headers: Vec<(String, String)>,
    /// The answer's length.
    length: u64,
    /// The ETag the bytes must have.
    etag: Option<String>,
    /// Bytes already read, sent first.
    first: Vec<u8>,
    /// The bytes after `first`; `None` when `first` is the whole answer.
    rest: Option<Rest>,
}

impl GetPlan {
    /// The plan for `answer`, its headers made from it and the object's
    /// type, ETag and version.
    fn new(
        answer: download::Answer,
        content_type: Option<String>,
        etag: Option<String>,
        version: Option<String>,
        first: Vec<u8>,
        rest: Option<Rest>,
    ) -> GetPlan {
        let mut headers = vec![
            ("content-length".to_owned(), answer.length.to_string()),
            (
                "content-type".to_owned(),
                content_type.unwrap_or_else(|| "application/octet-stream".to_owned()),
            ),
        ];
        if let Some(etag) = &etag {
            headers.push(("etag".to_owned(), etag.clone()));
        }
        if let Some(version) = version {
            headers.push(("x-amz-version-id".to_owned(), version));
        }
        if let Some(range) = answer.content_range {
            headers.push(("content-range".to_owned(), range));
        }
        GetPlan {
            status: answer.status,
            headers,
            length: answer.length,
            etag,
            first,
            rest,
        }
    }
}

/// Writes `bytes` to `stream`; false if it could not take them all.
fn write_all(stream: &OutputStream, bytes: &[u8]) -> bool {
    bytes
        .chunks(WRITE_CHUNK)
        .all(|chunk| stream.blocking_write_and_flush(chunk).is_ok())
}

/// Sends the response head; returns its body and the body's stream.
fn start(
    response_out: ResponseOutparam,
    status: u16,
    headers: &[(String, String)],
) -> Option<(OutgoingBody, OutputStream)> {
    let entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(name, value)| (name.clone(), value.as_bytes().to_vec()))
        .collect();
    let fields = Fields::from_list(&entries).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(fields);
    let _ = response.set_status_code(status);
    let body = response.body().ok()?;
    ResponseOutparam::set(response_out, Ok(response));
    let stream = body.write().ok()?;
    Some((body, stream))
}

/// Sends a whole JSON answer, masked.
fn send(response_out: ResponseOutparam, reply: Reply, secrets: &Secrets) {
    let body = secrets.mask(&reply.body);
    let mut headers = reply.headers;
    headers.push(("content-type".to_owned(), "application/json".to_owned()));
    headers.push(("content-length".to_owned(), body.len().to_string()));
    let Some((outgoing, stream)) = start(response_out, reply.status, &headers) else {
        return;
    };
    let written = write_all(&stream, body.as_bytes());
    drop(stream);
    if written {
        drop(OutgoingBody::finish(outgoing, None));
    }
}

/// The fields of a WIT `error` as a JSON object's text, `kind` first: the
/// shape the CLI prints.
fn error_json(error: &wit::Error) -> String {
    match error {
        wit::Error::InvalidInput(e) => Object::new()
            .str("kind", "invalid-input")
            .str("field", &e.field)
            .str("message", &e.message)
            .finish(),
        wit::Error::Service(e) => service_json(e),
        wit::Error::Transport(e) => transport_failure_json(e),
        wit::Error::InvalidResponse(message) => invalid_response_json(message),
        wit::Error::Body(e) => body_json(e),
        wit::Error::UploadIncomplete(e) => Object::new()
            .str("kind", "upload-incomplete")
            .str("upload_id", &e.upload_id)
            .num("parts_done", e.parts_done)
            .num("parts_total", e.parts_total)
            .bool("aborted", e.aborted)
            .raw(
                "cause",
                &match &e.cause {
                    wit::UploadCause::Service(e) => service_json(e),
                    wit::UploadCause::Transport(e) => transport_failure_json(e),
                    wit::UploadCause::InvalidResponse(m) => invalid_response_json(m),
                    wit::UploadCause::Body(e) => body_json(e),
                },
            )
            .finish(),
    }
}

fn service_json(e: &wit::ServiceError) -> String {
    Object::new()
        .str("kind", "service")
        .num("status", e.status)
        .str("code", &error_code_name(&e.code))
        .str("message", &e.message)
        .opt_str("request_id", e.request_id.as_deref())
        .opt_str("resource", e.resource.as_deref())
        .opt_str("required_permission", e.required_permission.as_deref())
        .num("attempts", e.attempts)
        .finish()
}

fn invalid_response_json(message: &str) -> String {
    Object::new()
        .str("kind", "invalid-response")
        .str("message", message)
        .finish()
}

fn transport_failure_json(e: &wit::TransportFailure) -> String {
    use bindings::s3_connector::s3::http_outgoing::TransportError as T;
    let with_message =
        |kind: &str, message: &str| Object::new().str("kind", kind).str("message", message).finish();
    let error = match &e.error {
        T::Denied(m) => with_message("denied", m),
        T::Dns(m) => with_message("dns", m),
        T::Connection(m) => with_message("connection", m),
        T::Tls(m) => with_message("tls", m),
        T::Timeout => Object::new().str("kind", "timeout").finish(),
        T::TooLarge(limit) => Object::new()
            .str("kind", "too-large")
            .num("limit", *limit)
            .finish(),
        T::InvalidRequest(m) => with_message("invalid-request", m),
        T::Other(m) => with_message("other", m),
    };
    Object::new()
        .str("kind", "transport")
        .raw("error", &error)
        .num("attempts", e.attempts)
        .finish()
}

/// A body error, as `{"kind": "body", "error": {...}}`.
fn body_json(e: &bindings::s3_connector::s3::bodies::BodyError) -> String {
    use bindings::s3_connector::s3::bodies::BodyError as B;
    let error = match e {
        B::Io(m) => Object::new().str("kind", "io").str("message", m).finish(),
        B::OutOfRange => Object::new().str("kind", "out-of-range").finish(),
    };
    Object::new().str("kind", "body").raw("error", &error).finish()
}

/// The WIT name of an error code (`no-such-key`); an unknown code verbatim.
fn error_code_name(code: &wit::ErrorCode) -> String {
    use wit::ErrorCode as C;
    let name = match code {
        C::AccessDenied => "access-denied",
        C::BucketAlreadyExists => "bucket-already-exists",
        C::BucketAlreadyOwnedByYou => "bucket-already-owned-by-you",
        C::BucketNotEmpty => "bucket-not-empty",
        C::InvalidAccessKeyId => "invalid-access-key-id",
        C::InvalidArgument => "invalid-argument",
        C::InvalidBucketName => "invalid-bucket-name",
        C::InvalidRange => "invalid-range",
        C::InvalidRequest => "invalid-request",
        C::ExpiredToken => "expired-token",
        C::InvalidToken => "invalid-token",
        C::InternalError => "internal-error",
        C::MalformedXml => "malformed-xml",
        C::MethodNotAllowed => "method-not-allowed",
        C::NoSuchBucket => "no-such-bucket",
        C::NoSuchKey => "no-such-key",
        C::NoSuchVersion => "no-such-version",
        C::NotImplemented => "not-implemented",
        C::PermanentRedirect => "permanent-redirect",
        C::PreconditionFailed => "precondition-failed",
        C::RequestTimeout => "request-timeout",
        C::RequestTimeTooSkewed => "request-time-too-skewed",
        C::SlowDown => "slow-down",
        C::ServiceUnavailable => "service-unavailable",
        C::SignatureDoesNotMatch => "signature-does-not-match",
        C::AuthorizationHeaderMalformed => "authorization-header-malformed",
        C::NoSuchUpload => "no-such-upload",
        C::Other(other) => return other.clone(),
    };
    name.to_owned()
}
