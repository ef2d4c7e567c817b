//! The `s3-connector` command: one operation per run, JSON in, JSON out
//! (or many, one per line, with `batch`: see [`crate::batch`]); [`crate::command`]
//! parses the command line and picks between them.
//!
//! Success prints the result on stdout (pretty JSON) and exits 0; failure
//! prints one `{"error": {"kind": ..., ...}}` object on stderr and exits 1;
//! usage errors exit 2. The secret key and session token are never printed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::Engine as _;
use clap::builder::PossibleValuesParser;
use clap::Parser;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::aws_config;
use crate::bodies::{BodySink, BodySource, FileSink, FileSource, SharedFileSink};
use crate::ca_bundle::CaBundle;
use crate::connect_to::ConnectTo;
use crate::dry_run::DryRun;
use crate::error::{CallError, HostError};
use crate::instance::{invalid_input, Instance, InstanceOptions};
use crate::local_server::{self, LocalServer};
use crate::outgoing::{HttpConfig, UreqOutgoing};
use crate::policy::AddressPolicy;
use crate::redact::Secrets;
use crate::runtime::Runtime;
use crate::wit::Connection;

/// Every operation name, from the connector's registry.
pub fn operations() -> impl Iterator<Item = &'static str> {
    s3_connector::ops::Operation::ALL.iter().map(|op| op.name())
}

/// The command that runs many operations, one per line of stdin (see
/// [`crate::batch`]).
pub const BATCH: &str = "batch";

/// The commands that ask the component about itself instead of running an
/// operation: `ops` (the operations, one line each), `describe [OPERATION]`
/// (the manifest, or one operation's entry) and `policy` (the
/// least-privilege IAM policy for `--operations` on `--bucket`).
pub const META_COMMANDS: [&str; 3] = ["ops", "describe", "policy"];

/// Where the component is looked for when neither `--wasm` nor
/// `S3_CONNECTOR_WASM` says: the workspace's build
/// (`target/wasm32-wasip2/component/s3_connector.wasm`), found from where
/// this crate was compiled.
pub fn default_wasm_path() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .unwrap_or(manifest)
        .join("target/wasm32-wasip2/component/s3_connector.wasm")
}

/// The input fields that are the connection, not the operation's input.
pub const CONNECTION_FIELDS: [&str; 7] = [
    "access_key",
    "secret_key",
    "session_token",
    "region",
    "endpoint",
    "path_style",
    "credentials_expire",
];

/// Runs one S3 connector operation in the sandboxed WebAssembly component.
///
/// The connection comes from the input's `access_key`, `secret_key`,
/// `session_token`, `region`, `endpoint` and `path_style` fields (removed
/// before the input is passed on), else from the flags, else from
/// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION
/// (or AWS_DEFAULT_REGION) and AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL),
/// else from the AWS profile (--profile beats the variables' credentials):
/// ~/.aws/credentials and ~/.aws/config, as aws-cli reads them.
#[derive(Debug, Parser)]
#[command(name = "s3-connector", version)]
pub struct Args {
    /// An S3-compatible endpoint URL (default: AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The region (default: found per bucket).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Address buckets as endpoint/bucket/key.
    #[arg(long)]
    pub path_style: bool,
    /// The profile of ~/.aws/credentials and ~/.aws/config (or
    /// AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE) to take credentials,
    /// region and endpoint from; its credentials beat AWS_* variables.
    /// Default: AWS_PROFILE, else `default`.
    #[arg(long, value_name = "NAME", conflicts_with = "local")]
    pub profile: Option<String>,
    /// Start a local S3 server (s3s-fs, signatures verified) serving DIR
    /// and use it; each bucket is a directory under DIR. Without
    /// credentials in the input, the server's own are used (AWS_*
    /// variables are ignored).
    #[arg(long, value_name = "DIR", conflicts_with = "endpoint")]
    pub local: Option<PathBuf>,
    /// With --local: create this bucket (a directory) first; repeatable.
    #[arg(long, value_name = "NAME", requires = "local")]
    pub create_bucket: Vec<String>,
    /// With --local: keep the server running this many seconds after the
    /// operation, so that a presigned URL it made can be fetched.
    #[arg(long, value_name = "SECONDS", requires = "local")]
    pub keep_serving: Option<u64>,
    /// With --local: print the server's endpoint, region and key pair (a
    /// new random one each run) on stderr as it starts, as one JSON line
    /// `{"local_server": {...}}`, for another S3 client to use with
    /// --keep-serving. They are printed nowhere else.
    #[arg(long, requires = "local")]
    pub print_local_credentials: bool,
    /// The component (default: S3_CONNECTOR_WASM, else the workspace's
    /// target/wasm32-wasip2/component/s3_connector.wasm).
    #[arg(long, value_name = "PATH", env = "S3_CONNECTOR_WASM")]
    pub wasm: Option<PathBuf>,
    /// Send nothing: print each request the component would send as one
    /// JSON line on stdout.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop the component's clock at this instant (RFC 3339), e.g.
    /// 2013-05-24T00:00:00Z.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub now: Option<OffsetDateTime>,
    /// Let requests reach private networks (10/8, 172.16/12, 192.168/16,
    /// 100.64/10, fc00::/7), e.g. MinIO on a LAN. Without it only public
    /// addresses are reachable, and loopback only as the explicit endpoint
    /// (--endpoint, the input's `endpoint`, AWS_ENDPOINT_URL, --local);
    /// link-local addresses (the cloud metadata service) never are. A
    /// refused address fails with `denied` before any connection.
    #[arg(long)]
    pub allow_private_network: bool,
    /// Connect requests for HOST:PORT to ADDR:PORT instead, as curl does:
    /// the URL, the Host header, the TLS certificate check and the
    /// signature stay HOST's. An empty HOST or PORT matches any, an empty
    /// ADDR or second PORT keeps the request's own; IPv6 in brackets.
    /// Repeatable, the first match applies. ADDR may be loopback or
    /// private, never link-local.
    #[arg(long, value_name = "HOST:PORT:ADDR:PORT")]
    pub connect_to: Vec<ConnectTo>,
    /// Trust the certificates in this PEM file on top of the public roots:
    /// an S3-compatible server's private CA, a corporate TLS proxy.
    #[arg(long, value_name = "FILE", env = "AWS_CA_BUNDLE")]
    pub ca_bundle: Option<PathBuf>,
    /// The operation, or `batch`: run one operation per line of stdin,
    /// `{"operation": "get-object", "input": {...}}` (optional `"output":
    /// PATH` or `"file": PATH`, as the flags), all on one component instance
    /// so that each bucket's region is found once; one JSON line per
    /// operation on stdout (its result, or `{"error": {...}}`); exit 1 if
    /// any failed. Or `serve`: serve the HTTP face on `--listen ADDR`.
    #[arg(
        value_name = "OPERATION",
        required_unless_present = "completions",
        value_parser = PossibleValuesParser::new(
            operations().chain([BATCH, crate::serve::SERVE]).chain(META_COMMANDS)
        )
    )]
    pub operation: Option<String>,
    /// describe: the operation to describe (default: the whole manifest).
    #[arg(value_name = "NAME", value_parser = PossibleValuesParser::new(operations()))]
    pub name: Option<String>,
    /// policy: the operations the policy allows, comma-separated (default:
    /// all of them).
    #[arg(long, value_name = "OPS", value_delimiter = ',')]
    pub operations: Vec<String>,
    /// policy: the bucket the policy allows (default: every bucket).
    #[arg(long, value_name = "NAME")]
    pub bucket: Option<String>,
    /// Print the completion script of this shell (bash, zsh, fish, elvish,
    /// powershell) on stdout and exit, e.g. `source <(s3-connector
    /// --completions bash)`.
    #[arg(long, value_name = "SHELL")]
    pub completions: Option<clap_complete::Shell>,
    /// The operation's input, a JSON object (default `{}`).
    #[arg(long, value_name = "JSON", conflicts_with = "input_file")]
    pub input: Option<String>,
    /// Read the input JSON from this file (`-`: stdin).
    #[arg(long, value_name = "PATH")]
    pub input_file: Option<PathBuf>,
    /// put-object-file: the file to upload (its name is the default
    /// `file_name`). It is read in chunks as it is sent, never whole: one
    /// PUT up to `multipart_threshold` (16 MiB), a multipart upload above.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// get-object: write the object's bytes to this file instead of
    /// printing them. They go to a temporary file beside it, which becomes
    /// PATH only once the whole object arrived.
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// get-object with --output: rename the download into place without
    /// first flushing it to disk. Faster (aws-cli, boto3 and curl do not
    /// flush either), but if the machine stops right after the call the
    /// file may be found empty or partial under its final name. A failed
    /// call never leaves it either way.
    #[arg(long)]
    pub no_fsync: bool,
    /// serve: the address to listen on (default 127.0.0.1:8080; port 0
    /// picks a free one). The bound address is printed on stdout.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// serve: the HTTP component (default: S3_CONNECTOR_HTTP_WASM, else the
    /// workspace's target/wasm32-wasip2/component/s3_connector_http.wasm).
    #[arg(long, value_name = "PATH", env = "S3_CONNECTOR_HTTP_WASM")]
    pub http_wasm: Option<PathBuf>,
    /// serve: stop a request whose component computes this many seconds
    /// without any I/O (reading the request's body, writing the answer's,
    /// sending a request to S3); default 120. Its answer is a 500, or a
    /// broken body when the head was sent.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub stall_timeout: Option<u64>,
    /// No progress bar (it is shown on a terminal for --file and --output).
    #[arg(long, short)]
    pub quiet: bool,
    /// After the call, print `{"stats": {...}}` on stderr: the component's
    /// peak linear memory and the bytes streamed.
    #[arg(long)]
    pub stats: bool,
    /// Print the result indented over several lines even when stdout is not
    /// a terminal (where it is one line of JSON).
    #[arg(long)]
    pub pretty: bool,
}

impl Args {
    /// The operation (or `batch`); empty only with `--completions`.
    pub fn operation(&self) -> &str {
        self.operation.as_deref().unwrap_or_default()
    }
}

fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| format!("not an RFC 3339 time: {e}"))
}

/// Runs `args` with `env` as the environment. `Ok(None)` is a dry run
/// that had nothing to print beyond its request lines.
pub fn run(args: &Args, env: &[(String, String)]) -> Result<Option<Value>, CallError> {
    run_with_server(args, env, &mut None, &mut Secrets::default())
}

/// [`run`], leaving the local server (with `--local`) in `server` and the
/// connection's secrets in `secrets`.
pub(crate) fn run_with_server(
    args: &Args,
    env: &[(String, String)],
    server: &mut Option<LocalServer>,
    secrets: &mut Secrets,
) -> Result<Option<Value>, CallError> {
    if META_COMMANDS.contains(&args.operation()) {
        return crate::describe::run(args).map(Some);
    }
    let mut input = read_input(args)?;
    let fields = take_connection_fields(&mut input)?;
    let files = Files {
        file: args.file.as_deref(),
        output: args.output.as_deref(),
        durable: !args.no_fsync,
    };
    files.check(args.operation(), &mut input)?;

    if let Some(dir) = &args.local {
        *server = Some(start_local(dir, args)?);
    }
    let server = server.as_ref();
    let conn = resolve_connection(&fields, args, env, server)?;
    secrets.add_connection(&conn);
    let mut instance = new_instance(args)?;
    let show_bar = !args.quiet && !args.dry_run && (files.file.is_some() || files.output.is_some());
    let bar = show_bar.then(|| crate::progress::Bar::start(instance.progress()));
    let result = call_json(&mut instance, &conn, args.operation(), input, files, args.dry_run);
    drop(bar);
    if args.stats {
        let stats = json!({ "stats": {
            "guest_memory_peak_bytes": instance.memory_peak(),
            "streamed_bytes": instance.progress().moved(),
        }});
        let _ = writeln!(std::io::stderr().lock(), "{stats}");
    }
    result
}

/// A component instance as the flags say (`--wasm`, `--dry-run`, `--now`).
pub(crate) fn new_instance(args: &Args) -> Result<Instance, CallError> {
    let wasm = args.wasm.clone().unwrap_or_else(default_wasm_path);
    let runtime = Runtime::load(&wasm)?;
    let http = http_config(args)?;
    let mut options = if args.dry_run {
        InstanceOptions::new(DryRun::new(Box::new(std::io::stdout())))
    } else {
        InstanceOptions::new(UreqOutgoing::new(http))
    };
    if let Some(now) = args.now {
        options = options.with_now(SystemTime::from(now));
    }
    Ok(runtime.instance(options)?)
}

/// The HTTP settings the flags give: `--allow-private-network`,
/// `--connect-to` and `--ca-bundle` (or AWS_CA_BUNDLE; empty is unset). A
/// CA bundle that cannot be used is a host error here, before any call.
pub fn http_config(args: &Args) -> Result<HttpConfig, CallError> {
    let ca_bundle = match args.ca_bundle.as_deref() {
        Some(path) if !path.as_os_str().is_empty() => Some(
            CaBundle::from_pem_file(path).map_err(|e| CallError::Host(HostError::Config(e.to_string())))?,
        ),
        _ => None,
    };
    Ok(HttpConfig {
        address_policy: AddressPolicy {
            allow_private_network: args.allow_private_network,
        },
        connect_to: args.connect_to.clone(),
        ca_bundle,
        ..HttpConfig::default()
    })
}

/// The files a call reads from and writes to: `--file` (put-object-file's
/// content) and `--output` (get-object's bytes).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Files<'a> {
    /// The file to upload.
    pub(crate) file: Option<&'a Path>,
    /// Where the download goes.
    pub(crate) output: Option<&'a Path>,
    /// Whether the download is flushed to disk before it is renamed into
    /// place (everything but `--no-fsync`).
    pub(crate) durable: bool,
}

impl Files<'_> {
    /// Refuses a file for an operation that takes none, and names the
    /// upload after its file when the input gives no name.
    pub(crate) fn check(&self, operation: &str, input: &mut Map<String, Value>) -> Result<(), CallError> {
        if let Some(path) = self.file {
            if operation != "put-object-file" {
                return Err(invalid_input("file", "a file is only for put-object-file"));
            }
            // The component also takes the name as `file.name`; only fill
            // the default when neither is given.
            if !input.contains_key("file_name") && !input.contains_key("file") {
                if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                    input.insert("file_name".to_owned(), Value::String(name.to_owned()));
                }
            }
        }
        if self.output.is_some() && operation != "get-object" {
            return Err(invalid_input("output", "an output file is only for get-object"));
        }
        Ok(())
    }
}

/// [`call_json_text`], its result parsed.
pub(crate) fn call_json(
    instance: &mut Instance,
    conn: &Connection,
    operation: &str,
    input: Map<String, Value>,
    files: Files<'_>,
    dry_run: bool,
) -> Result<Option<Value>, CallError> {
    call_json_text(instance, conn, operation, input, files, dry_run)?
        .map(|text| serde_json::from_str(&text).map_err(|e| host(format!("the result does not parse: {e}"))))
        .transpose()
}

/// Runs `operation` with `input` on `instance`: its result as compact JSON
/// text. The upload's content is streamed from `files.file`; get-object's
/// bytes are streamed into `files.output` (or attached to the JSON without
/// one). `Ok(None)` is a dry run's request, printed and not sent.
///
/// The component's text is passed on as it is, once checked to be JSON
/// on one line ([`one_json_line`]), unless the host has fields to add: a
/// 1000-key listing is not parsed and written again.
pub(crate) fn call_json_text(
    instance: &mut Instance,
    conn: &Connection,
    operation: &str,
    input: Map<String, Value>,
    files: Files<'_>,
    dry_run: bool,
) -> Result<Option<String>, CallError> {
    let input_text = Value::Object(input).to_string();
    let source = match files.file {
        Some(path) => Some(Box::new(
            FileSource::open(path)
                .map_err(|e| invalid_input("file", format!("cannot read {}: {e}", path.display())))?,
        ) as Box<dyn BodySource>),
        None => None,
    };
    let (sink, committer) = match files.output {
        Some(path) => {
            let sink =
                FileSink::create(path, files.durable).map_err(|error| local_file("create", path, error))?;
            let (sink, committer) = SharedFileSink::new(sink);
            (Some(Box::new(sink) as Box<dyn BodySink>), Some(committer))
        }
        None => (None, None),
    };
    let answer = if source.is_some() || sink.is_some() {
        instance.invoke_streamed(conn, operation, &input_text, source, sink)
    } else {
        instance.invoke(conn, operation, &input_text, None)
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) if dry_run && error.transport().is_some_and(DryRun::is_not_sent) => {
            return Ok(None);
        }
        Err(error) => return Err(write_failure(committer.as_ref(), files.output).unwrap_or(error)),
    };
    if committer.is_none() && answer.body.is_none() {
        return one_json_line(answer.json).map(Some);
    }
    let mut result: Value = serde_json::from_str(&answer.json).map_err(does_not_parse)?;
    if let (Some(committer), Some(path)) = (committer, files.output) {
        let expected = result
            .pointer("/metadata/content_length")
            .and_then(Value::as_u64)
            .ok_or_else(|| host("get-object's answer has no metadata.content_length".to_owned()))?;
        let sink = committer
            .write()
            .ok()
            .and_then(|mut sink| sink.take())
            .ok_or_else(|| host("the download's file was lost".to_owned()))?;
        sink.commit(expected)
            .map_err(|error| local_file("write", path, error))?;
        if let Value::Object(map) = &mut result {
            map.insert("output_file".to_owned(), json!(path.display().to_string()));
        }
    }
    if let Some(bytes) = answer.body {
        attach_body(&mut result, &bytes)?;
    }
    Ok(Some(result.to_string()))
}

/// The component's JSON text checked to be one JSON value, on one line.
///
/// The component is not trusted to write compact JSON: a line break between
/// two tokens is valid JSON, and a batch's output would then take two lines
/// for one operation, so that every later line answered another one. In
/// JSON a line break can only be such whitespace (inside a string it must be
/// escaped), so each is made a space, which leaves the value as it was.
fn one_json_line(mut json: String) -> Result<String, CallError> {
    serde_json::from_str::<serde::de::IgnoredAny>(&json).map_err(does_not_parse)?;
    if memchr::memchr2(b'\n', b'\r', json.as_bytes()).is_some() {
        json = json.replace(['\n', '\r'], " ");
    }
    Ok(json)
}

fn does_not_parse(error: serde_json::Error) -> CallError {
    host(format!("the component's JSON does not parse: {error}"))
}

/// The caller's handle on a download's file.
type SharedSink = std::sync::Arc<std::sync::RwLock<Option<FileSink>>>;

/// The error of a download whose file could not be written, when that is
/// why the call failed: the component only saw its sink fail.
fn write_failure(committer: Option<&SharedSink>, output: Option<&Path>) -> Option<CallError> {
    let guard = committer?.read().ok()?;
    let error = guard.as_ref()?.failure()?;
    Some(local_file("write", output?, error))
}

/// The caller's file `path` could not be dealt with.
fn local_file(action: &'static str, path: &Path, error: std::io::Error) -> CallError {
    CallError::Host(HostError::LocalFile {
        action,
        path: path.to_owned(),
        error,
    })
}

fn host(message: String) -> CallError {
    CallError::Host(crate::error::HostError::BadAnswer(message))
}

fn read_input(args: &Args) -> Result<Map<String, Value>, CallError> {
    let text = match (&args.input, &args.input_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| invalid_input("input", format!("cannot read stdin: {e}")))?;
            text
        }
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| invalid_input("input", format!("cannot read {}: {e}", path.display())))?,
        (None, None) => "{}".to_owned(),
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid_input("input", "the input must be a JSON object")),
        Err(e) => Err(invalid_input("input", format!("not valid JSON: {e}"))),
    }
}

/// The connection fields found in the input, removed from it.
#[derive(Default)]
pub struct ConnectionFields {
    access_key: Option<String>,
    secret_key: Option<String>,
    session_token: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    path_style: Option<bool>,
    credentials_expire: Option<u64>,
}

/// Removes the connection fields from `input`. A field of the wrong type
/// is an `invalid-input` error naming it (its value is never echoed).
pub fn take_connection_fields(input: &mut Map<String, Value>) -> Result<ConnectionFields, CallError> {
    let mut text = |name: &str| match input.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid_input(name, "must be a string")),
    };
    let mut fields = ConnectionFields {
        access_key: text("access_key")?,
        secret_key: text("secret_key")?,
        session_token: text("session_token")?,
        region: text("region")?,
        endpoint: text("endpoint")?,
        path_style: None,
        credentials_expire: None,
    };
    fields.path_style = match input.remove("path_style") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(_) => return Err(invalid_input("path_style", "must be true or false")),
    };
    // Unix seconds, or an RFC 3339 instant as credential_process writes it.
    fields.credentials_expire = match input.remove("credentials_expire") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(Value::String(at)) if crate::aws_config::rfc3339_to_unix(&at).is_some() => {
            crate::aws_config::rfc3339_to_unix(&at)
        }
        Some(_) => {
            return Err(invalid_input(
                "credentials_expire",
                "must be Unix seconds or an RFC 3339 instant",
            ))
        }
    };
    Ok(fields)
}

/// The connection, each setting from the first place that gives it, in
/// the order of aws-cli and the SDKs:
/// - credentials: the input's fields; with `--profile`, that profile; the
///   environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
///   `AWS_SESSION_TOKEN`); the profile (`AWS_PROFILE`, else `default`):
///   its keys, else its `credential_process`. With a local server, its own.
/// - region: the input, `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the
///   profile's `region`;
/// - endpoint: the input, `--endpoint`, `AWS_ENDPOINT_URL_S3`,
///   `AWS_ENDPOINT_URL`, the profile's `s3.endpoint_url` or `endpoint_url`;
/// - path style: the input, `--path-style`, the profile's
///   `s3.addressing_style = path`.
///
/// No credentials anywhere is an `invalid-input` naming every place looked.
pub fn resolve_connection(
    fields: &ConnectionFields,
    args: &Args,
    env: &[(String, String)],
    local: Option<&LocalServer>,
) -> Result<Connection, CallError> {
    let env_var = |name: &str| {
        env.iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    if let Some(server) = local {
        let (access_key, secret_key) = match &fields.access_key {
            Some(key) => (key.clone(), fields.secret_key.clone()),
            None => (
                server.access_key().to_owned(),
                fields
                    .secret_key
                    .clone()
                    .or_else(|| Some(server.secret_key().to_owned())),
            ),
        };
        let secret_key = secret_key
            .ok_or_else(|| invalid_input("secret_key", "no secret key: give secret_key in the input"))?;
        return Ok(Connection {
            access_key,
            secret_key,
            session_token: fields.session_token.clone(),
            region: fields
                .region
                .clone()
                .or_else(|| args.region.clone())
                .or_else(|| Some(local_server::LOCAL_REGION.to_owned())),
            endpoint: fields
                .endpoint
                .clone()
                .or_else(|| Some(server.endpoint().to_owned())),
            path_style: fields.path_style.unwrap_or(true),
            credentials_expire: fields.credentials_expire,
        });
    }
    let profile = Configured::load(args, env)?;
    let from_env = || {
        env_var("AWS_ACCESS_KEY_ID").map(|access_key| {
            (
                access_key,
                env_var("AWS_SECRET_ACCESS_KEY"),
                env_var("AWS_SESSION_TOKEN"),
                env_var("AWS_CREDENTIAL_EXPIRATION").and_then(|at| aws_config::rfc3339_to_unix(&at)),
            )
        })
    };
    let credentials = match &fields.access_key {
        Some(key) => Some((
            key.clone(),
            fields.secret_key.clone(),
            fields.session_token.clone(),
            fields.credentials_expire,
        )),
        None if profile.explicit_flag => profile.credentials()?,
        None => match from_env() {
            Some(found) => Some(found),
            None => profile.credentials()?,
        },
    };
    let Some((access_key, secret_key, session_token, expires_at)) = credentials else {
        return Err(invalid_input(
            "access_key",
            format!(
                "no credentials: looked in the input (access_key, secret_key), the environment \
                 (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and {}",
                profile.looked.describe()
            ),
        ));
    };
    // A secret key in the input goes with any access key found elsewhere.
    let Some(secret_key) = fields.secret_key.clone().or(secret_key) else {
        return Err(invalid_input(
            "secret_key",
            format!(
                "no secret key for access key {access_key}: give secret_key in the input, set \
                 AWS_SECRET_ACCESS_KEY, or aws_secret_access_key in {}",
                profile.looked.describe()
            ),
        ));
    };
    let session_token = fields.session_token.clone().or(session_token);
    Ok(Connection {
        access_key,
        secret_key,
        session_token,
        region: fields
            .region
            .clone()
            .or_else(|| args.region.clone())
            .or_else(|| env_var("AWS_REGION"))
            .or_else(|| env_var("AWS_DEFAULT_REGION"))
            .or_else(|| profile.profile.region.clone()),
        endpoint: fields
            .endpoint
            .clone()
            .or_else(|| args.endpoint.clone())
            .or_else(|| env_var("AWS_ENDPOINT_URL_S3"))
            .or_else(|| env_var("AWS_ENDPOINT_URL"))
            .or_else(|| profile.profile.endpoint.clone()),
        path_style: fields
            .path_style
            .unwrap_or(args.path_style || profile.profile.path_style.unwrap_or(false)),
        credentials_expire: fields.credentials_expire.or(expires_at),
    })
}

/// Access key, secret key (when found with it) and session token.
/// Credentials found: the access key, secret key, session token and the
/// instant (Unix seconds) they expire at.
type Found = (String, Option<String>, Option<String>, Option<u64>);

/// The profile of the AWS configuration files the flags and environment
/// name.
struct Configured {
    profile: aws_config::Profile,
    looked: aws_config::Looked,
    /// Named by `--profile`: its credentials beat the environment's.
    explicit_flag: bool,
}

impl Configured {
    /// Reads the profile. One named by `--profile` or `AWS_PROFILE` that no
    /// file holds is an error, as in aws-cli; the `default` one may be
    /// absent. Without `HOME` (and the files' variables), nothing is read.
    fn load(args: &Args, env: &[(String, String)]) -> Result<Self, CallError> {
        let (name, credentials, config) = aws_config::locate(env, args.profile.as_deref());
        let named = args.profile.is_some() || env.iter().any(|(k, v)| k == "AWS_PROFILE" && !v.is_empty());
        let (profile, looked) = if credentials.is_absolute() || config.is_absolute() {
            aws_config::load(&name, &credentials, &config).map_err(|e| invalid_input("profile", e))?
        } else {
            (
                aws_config::Profile {
                    name: name.clone(),
                    ..aws_config::Profile::default()
                },
                aws_config::Looked {
                    profile: name.clone(),
                    files: Vec::new(),
                },
            )
        };
        if named && !looked.files.iter().any(|(_, found)| *found == "read") {
            return Err(invalid_input(
                "profile",
                format!(
                    "the profile `{name}` was not found: looked in {}",
                    looked.describe()
                ),
            ));
        }
        Ok(Self {
            profile,
            looked,
            explicit_flag: args.profile.is_some(),
        })
    }

    /// The profile's credentials: its keys, else what its
    /// `credential_process` prints (run once per command line and kept).
    fn credentials(&self) -> Result<Option<Found>, CallError> {
        if let Some(access_key) = &self.profile.access_key {
            return Ok(Some((
                access_key.clone(),
                self.profile.secret_key.clone(),
                self.profile.session_token.clone(),
                None,
            )));
        }
        let Some(command) = &self.profile.credential_process else {
            return Ok(None);
        };
        static RAN: std::sync::Mutex<Vec<(String, aws_config::ProcessCredentials)>> =
            std::sync::Mutex::new(Vec::new());
        let mut ran = RAN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let creds = match ran.iter().find(|(c, _)| c == command) {
            Some((_, creds)) => creds.clone(),
            None => {
                let creds = aws_config::run_process(command, &self.profile.name)
                    .map_err(|e| invalid_input("profile", e))?;
                ran.push((command.clone(), creds.clone()));
                creds
            }
        };
        Ok(Some((
            creds.access_key,
            Some(creds.secret_key),
            creds.session_token,
            creds.expires_at,
        )))
    }
}

/// Starts the local server on `dir` with a random key pair, makes the
/// buckets `--create-bucket` names, and prints its credentials when
/// `--print-local-credentials` asks.
pub(crate) fn start_local(dir: &Path, args: &Args) -> Result<LocalServer, CallError> {
    let server = LocalServer::start(dir).map_err(|e| {
        CallError::Host(crate::error::HostError::Config(format!(
            "cannot start the local S3 server on {}: {e}",
            dir.display()
        )))
    })?;
    for bucket in &args.create_bucket {
        server
            .create_bucket(bucket)
            .map_err(|e| invalid_input("create-bucket", e.to_string()))?;
    }
    if args.print_local_credentials {
        let line = json!({ "local_server": {
            "endpoint": server.endpoint(),
            "region": local_server::LOCAL_REGION,
            "access_key": server.access_key(),
            "secret_key": server.secret_key(),
            "path_style": true,
        }});
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
    Ok(server)
}

/// Puts get-object's bytes in the result, as `content` (UTF-8) or
/// `content_base64`.
fn attach_body(result: &mut Value, bytes: &[u8]) -> Result<(), CallError> {
    let extra = match std::str::from_utf8(bytes) {
        Ok(text) => ("content", json!(text)),
        Err(_) => (
            "content_base64",
            json!(base64::engine::general_purpose::STANDARD.encode(bytes)),
        ),
    };
    match result {
        Value::Object(map) => {
            map.insert(extra.0.to_owned(), extra.1);
        }
        other => {
            *other = json!({ "result": other.take(), extra.0: extra.1 });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut argv = vec!["s3-connector"];
        argv.extend_from_slice(extra);
        Args::try_parse_from(argv).unwrap()
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn a_component_answer_is_passed_on_as_one_line_with_its_value_kept() {
        let compact = r#"{"objects":[{"key":"a\nb"}],"is_truncated":false}"#;
        assert_eq!(one_json_line(compact.to_owned()).unwrap(), compact);
        // Line breaks between tokens (valid JSON, two lines of a batch's
        // output) become spaces; the escaped one in the key stays.
        let spread = "{\"objects\":\r\n[{\"key\":\"a\\nb\"}],\n\"is_truncated\":false}\n";
        let line = one_json_line(spread.to_owned()).unwrap();
        assert!(!line.contains(['\n', '\r']), "{line}");
        assert_eq!(
            serde_json::from_str::<Value>(&line).unwrap(),
            serde_json::from_str::<Value>(compact).unwrap()
        );
        for bad in ["{\"a\":1}\n{\"b\":2}", "{\"a\":\"x\ny\"}", ""] {
            let error = one_json_line(bad.to_owned()).unwrap_err();
            assert!(error.to_string().contains("does not parse"), "{bad:?}: {error}");
        }
    }

    #[test]
    fn help_is_plain_text_without_rustdoc_links() {
        // The flags' help is their doc comments: a link written for rustdoc
        // would reach the user as `[`crate::...`]`.
        use clap::CommandFactory;
        let help = Args::command().render_long_help().to_string();
        for syntax in ["[`", "`]", "crate::"] {
            assert!(!help.contains(syntax), "{syntax} in --help:\n{help}");
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn connection_fields_are_taken_out_of_the_input() {
        let mut input = object(json!({"bucket_name": "b", "access_key": "AK",
            "secret_key": "SK", "region": "eu-west-1", "path_style": true}));
        let fields = take_connection_fields(&mut input).unwrap();
        assert_eq!(input, object(json!({"bucket_name": "b"})));
        let conn = resolve_connection(&fields, &args(&["list-buckets"]), &[], None).unwrap();
        assert_eq!(conn.access_key, "AK");
        assert_eq!(conn.secret_key, "SK");
        assert_eq!(conn.region.as_deref(), Some("eu-west-1"));
        assert!(conn.path_style);
    }

    #[test]
    fn input_beats_flags_beat_environment() {
        let environment = env(&[
            ("AWS_ACCESS_KEY_ID", "ENVAK"),
            ("AWS_SECRET_ACCESS_KEY", "ENVSK"),
            ("AWS_SESSION_TOKEN", "ENVTOKEN"),
            ("AWS_DEFAULT_REGION", "ap-south-1"),
            ("AWS_ENDPOINT_URL", "http://env:9000"),
        ]);
        let flags = args(&["--region", "eu-west-3", "list-buckets"]);
        let conn = resolve_connection(&ConnectionFields::default(), &flags, &environment, None).unwrap();
        assert_eq!(conn.access_key, "ENVAK");
        assert_eq!(conn.session_token.as_deref(), Some("ENVTOKEN"));
        assert_eq!(conn.region.as_deref(), Some("eu-west-3"));
        assert_eq!(conn.endpoint.as_deref(), Some("http://env:9000"));

        let no_flags = args(&["list-buckets"]);
        let mut with_region = environment.clone();
        with_region.push(("AWS_REGION".to_owned(), "us-west-2".to_owned()));
        let conn = resolve_connection(&ConnectionFields::default(), &no_flags, &with_region, None).unwrap();
        assert_eq!(conn.region.as_deref(), Some("us-west-2"));
    }

    #[test]
    fn no_credentials_is_invalid_input_naming_the_field() {
        let error = resolve_connection(&ConnectionFields::default(), &args(&["list-buckets"]), &[], None)
            .err()
            .unwrap();
        assert_eq!(error.to_json()["error"]["field"], "access_key");
    }

    #[test]
    fn mistyped_connection_field_is_named_without_its_value() {
        let mut input = object(json!({"secret_key": 12345}));
        let error = take_connection_fields(&mut input).err().unwrap();
        let text = error.to_json().to_string();
        assert!(text.contains("secret_key") && !text.contains("12345"), "{text}");
    }

    #[test]
    fn usage_errors_are_refused_by_the_parser() {
        let argv = ["s3-connector", "no-such-operation"];
        assert!(Args::try_parse_from(argv).is_err());
        let argv = ["s3-connector", "--create-bucket", "b", "list-buckets"];
        assert!(Args::try_parse_from(argv).is_err());
        let argv = ["s3-connector", "--now", "yesterday", "list-buckets"];
        assert!(Args::try_parse_from(argv).is_err());
    }

    #[test]
    fn body_is_text_or_base64() {
        let mut result = json!({"metadata": {}});
        attach_body(&mut result, b"hello").unwrap();
        assert_eq!(result["content"], "hello");
        let mut result = json!({});
        attach_body(&mut result, &[0xff, 0x00]).unwrap();
        assert_eq!(result["content_base64"], "/wA=");
    }
}
