//! `s3-connector batch`: many operations on one component instance.
//!
//! Each line of stdin is one JSON object, `{"operation": "get-object",
//! "input": {...}}`, with an optional `"output": PATH` (get-object: write
//! the bytes there) or `"file": PATH` (put-object-file: upload that file),
//! like the single-call flags. Every operation runs on the same instance,
//! so what it learns (each bucket's region, the day's signing keys) serves
//! the whole run: the second call to a bucket in another region goes
//! straight there.
//!
//! Each operation writes one JSON line on stdout, in input order: its
//! result, or `{"error": {...}}` in the shape a single call prints on
//! stderr. A line that cannot be read is an `invalid-input` error line and
//! the batch goes on; blank lines are skipped. The exit code is 0 when
//! every operation succeeded, 1 otherwise. With `--dry-run` the request
//! lines are the output: an operation that sent nothing prints no result.
//! A trap or a timeout costs its line only; the rest run on a new instance.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::cli::{self, Args};
use crate::error::{CallError, HostError};
use crate::instance::{invalid_input, Instance};
use crate::local_server::LocalServer;
use crate::redact::Secrets;

/// The name that runs a batch in the operation's place.
pub use crate::cli::BATCH;

/// The fields a batch line may have.
const LINE_FIELDS: [&str; 4] = ["operation", "input", "output", "file"];

/// One line of a batch, read.
#[derive(Debug, PartialEq)]
struct BatchLine {
    operation: String,
    input: Map<String, Value>,
    output: Option<PathBuf>,
    file: Option<PathBuf>,
}

/// Runs a batch from stdin to stdout and returns the exit code; a failure
/// before the first line (the component cannot be loaded, say) is printed
/// on stderr like a single call's.
pub fn main(
    args: &Args,
    env: &[(String, String)],
    server: &mut Option<LocalServer>,
    secrets: &mut Secrets,
) -> i32 {
    let stdin = std::io::stdin().lock();
    // Not locked for the whole run: a dry run's transport prints its
    // request lines to stdout too, between the result lines.
    let stdout = std::io::stdout();
    match run(args, env, server, secrets, stdin, stdout) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(error) => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "{}",
                secrets.mask(&error.to_json_line())
            );
            1
        }
    }
}

/// Runs every line of `lines` and writes one result line per operation to
/// `out`, with every secret known (those of `secrets`, and of each line's
/// connection) masked. `Ok(true)`: every operation succeeded. `Err`:
/// nothing could be run (bad flags, no component, the local server did not
/// start).
pub fn run(
    args: &Args,
    env: &[(String, String)],
    server: &mut Option<LocalServer>,
    secrets: &mut Secrets,
    mut lines: impl BufRead,
    mut out: impl Write,
) -> Result<bool, CallError> {
    refuse_single_call_flags(args)?;
    if let Some(dir) = &args.local {
        *server = Some(cli::start_local(dir, args)?);
    }
    let mut instance = cli::new_instance(args)?;
    let mut all_ok = true;
    let mut number = 0usize;
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = lines
            .read_until(b'\n', &mut buffer)
            .map_err(|e| host(format!("cannot read stdin: {e}")))?;
        if read == 0 {
            break;
        }
        number += 1;
        let text = match std::str::from_utf8(&buffer) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => Ok(text),
            Err(_) => Err(invalid_input("line", format!("line {number} is not UTF-8"))),
        };
        let result = text
            .and_then(|text| parse_line(text, number))
            .and_then(|line| run_line(args, env, server.as_ref(), &mut instance, secrets, line));
        let printed = match result {
            Ok(Some(text)) => text,
            // A dry run: the request lines were the output.
            Ok(None) => continue,
            Err(error) => {
                all_ok = false;
                if leaves_instance_unusable(&error) {
                    // Only this line is lost; the rest run on a fresh
                    // instance (which learns the regions again).
                    instance = cli::new_instance(args)?;
                }
                error.to_json_line()
            }
        };
        writeln!(out, "{}", secrets.mask(&printed))
            .and_then(|()| out.flush())
            .map_err(|e| host(format!("cannot write stdout: {e}")))?;
    }
    Ok(all_ok)
}

/// The flags that give one call's input make no sense for a batch, whose
/// lines carry their own.
fn refuse_single_call_flags(args: &Args) -> Result<(), CallError> {
    let given = [
        ("input", args.input.is_some()),
        ("input-file", args.input_file.is_some()),
        ("file", args.file.is_some()),
        ("output", args.output.is_some()),
    ];
    match given.iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(invalid_input(
            flag,
            format!("--{flag} is for a single call; in a batch each line gives its own"),
        )),
        None => Ok(()),
    }
}

/// Reads one line: a JSON object with a known `operation`, an optional
/// `input` object and optional `output` and `file` paths.
fn parse_line(text: &str, number: usize) -> Result<BatchLine, CallError> {
    let mut fields = match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(invalid_input(
                "line",
                format!("line {number} is not a JSON object"),
            ))
        }
        Err(e) => {
            return Err(invalid_input(
                "line",
                format!("line {number} is not valid JSON: {e}"),
            ))
        }
    };
    if let Some(unknown) = fields.keys().find(|k| !LINE_FIELDS.contains(&k.as_str())) {
        return Err(invalid_input(
            "line",
            format!(
                "line {number} has an unknown field `{unknown}` (known: {})",
                LINE_FIELDS.join(", ")
            ),
        ));
    }
    let operation = match fields.remove("operation") {
        Some(Value::String(name)) if cli::operations().any(|op| op == name) => name,
        Some(Value::String(name)) => {
            return Err(invalid_input(
                "operation",
                format!(
                    "line {number}: `{name}` is not an operation (known: {})",
                    cli::operations().collect::<Vec<_>>().join(", ")
                ),
            ))
        }
        Some(_) => {
            return Err(invalid_input(
                "operation",
                format!("line {number}: must be a string"),
            ))
        }
        None => {
            return Err(invalid_input(
                "operation",
                format!("line {number} has no `operation`"),
            ))
        }
    };
    let input = match fields.remove("input") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(input)) => input,
        Some(_) => {
            return Err(invalid_input(
                "input",
                format!("line {number}: must be a JSON object"),
            ))
        }
    };
    let mut path = |name: &str| match fields.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(path)) if !path.is_empty() => Ok(Some(PathBuf::from(path))),
        Some(_) => Err(invalid_input(name, format!("line {number}: must be a file path"))),
    };
    let output = path("output")?;
    let file = path("file")?;
    if output.is_some() && operation != "get-object" {
        return Err(invalid_input(
            "output",
            format!("line {number}: `output` is only for get-object"),
        ));
    }
    Ok(BatchLine {
        operation,
        input,
        output,
        file,
    })
}

/// Runs one line on the shared instance; its connection fields, if any,
/// beat the flags and the environment, as in a single call.
fn run_line(
    args: &Args,
    env: &[(String, String)],
    server: Option<&LocalServer>,
    instance: &mut Instance,
    secrets: &mut Secrets,
    line: BatchLine,
) -> Result<Option<String>, CallError> {
    let BatchLine {
        operation,
        mut input,
        output,
        file,
    } = line;
    let fields = cli::take_connection_fields(&mut input)?;
    let files = cli::Files {
        file: file.as_deref(),
        output: output.as_deref(),
        durable: !args.no_fsync,
    };
    files.check(&operation, &mut input)?;
    let conn = cli::resolve_connection(&fields, args, env, server)?;
    secrets.add_connection(&conn);
    cli::call_json_text(instance, &conn, &operation, input, files, args.dry_run)
}

/// A trap or a timeout poisons the instance: every later call would fail.
fn leaves_instance_unusable(error: &CallError) -> bool {
    matches!(
        error,
        CallError::Host(HostError::Trap { .. } | HostError::Timeout(_) | HostError::Poisoned)
    )
}

fn host(message: String) -> CallError {
    CallError::Host(HostError::BadAnswer(message))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::Parser as _;
    use serde_json::json;

    fn error_of(text: &str) -> Value {
        parse_line(text, 7).err().unwrap().to_json()["error"].clone()
    }

    #[test]
    fn line_gives_operation_input_and_paths() {
        let line = parse_line(
            r#"{"operation": "get-object", "input": {"bucket_name": "b"}, "output": "/tmp/x"}"#,
            1,
        )
        .unwrap();
        assert_eq!(line.operation, "get-object");
        assert_eq!(Value::Object(line.input), json!({"bucket_name": "b"}));
        assert_eq!(line.output, Some(PathBuf::from("/tmp/x")));
        assert_eq!(line.file, None);
    }

    #[test]
    fn missing_input_is_an_empty_object() {
        let line = parse_line(r#"{"operation": "list-buckets"}"#, 1).unwrap();
        assert!(line.input.is_empty());
    }

    #[test]
    fn garbage_is_invalid_input_naming_the_line() {
        let error = error_of("{not json");
        assert_eq!(error["kind"], "invalid-input");
        assert_eq!(error["field"], "line");
        assert!(error["message"].as_str().unwrap().contains("line 7"), "{error}");
        assert_eq!(error_of("[1, 2]")["field"], "line");
    }

    #[test]
    fn unknown_operation_or_field_is_refused() {
        assert_eq!(error_of(r#"{"operation": "batch"}"#)["field"], "operation");
        assert_eq!(error_of(r#"{"operation": 3}"#)["field"], "operation");
        assert_eq!(error_of(r#"{"input": {}}"#)["field"], "operation");
        let error = error_of(r#"{"operation": "list-buckets", "inptu": {}}"#);
        assert!(error["message"].as_str().unwrap().contains("inptu"), "{error}");
    }

    #[test]
    fn mistyped_input_and_paths_are_named() {
        assert_eq!(
            error_of(r#"{"operation": "get-object", "input": "x"}"#)["field"],
            "input"
        );
        assert_eq!(
            error_of(r#"{"operation": "get-object", "output": 1}"#)["field"],
            "output"
        );
        assert_eq!(
            error_of(r#"{"operation": "head-object", "output": "/x"}"#)["field"],
            "output"
        );
        assert_eq!(
            error_of(r#"{"operation": "put-object-file", "file": ""}"#)["field"],
            "file"
        );
    }

    #[test]
    fn single_call_flags_are_refused() {
        let args = Args::try_parse_from(["s3-connector", "--input", "{}", BATCH]).unwrap();
        let error = refuse_single_call_flags(&args).err().unwrap();
        assert_eq!(error.to_json()["error"]["field"], "input");
        let args = Args::try_parse_from(["s3-connector", BATCH]).unwrap();
        assert!(refuse_single_call_flags(&args).is_ok());
    }
}
