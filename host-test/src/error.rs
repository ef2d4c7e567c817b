//! Errors of the host, and the JSON shape every error takes on the CLI.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use crate::wit::{BodyError, ErrorCode, TransportError, UploadCause};

/// The component's own error (the WIT `error` variant).
pub type ConnectorError = crate::wit::Error;

/// A failure of the host around the component: it could not be loaded or
/// instantiated, or a call trapped or ran out of time. Never a panic.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The `.wasm` file is not there.
    #[error(
        "component not found at {}: build it with `make build` (`make wasm` for the \
         component alone; a plain `cargo build` of the crate makes a larger, unoptimised \
         one), or give its path with --wasm or S3_CONNECTOR_WASM",
        path.display()
    )]
    WasmMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The component could not be compiled, linked or instantiated.
    #[error("cannot load the component: {0}")]
    Load(String),
    /// A call did not finish within the per-call deadline.
    #[error("the component did not finish within {0:?} and was stopped")]
    Timeout(Duration),
    /// The component trapped (a panic, an out-of-memory, a bug).
    #[error("the component trapped: {message}{}", stderr_suffix(.stderr))]
    Trap {
        /// Wasmtime's description of the trap.
        message: String,
        /// What the component wrote to stderr, if anything. The project's
        /// builds print nothing on a panic (they trap at once); a build of
        /// the connector with a panic handler prints its message here.
        stderr: String,
    },
    /// An earlier call trapped; the instance cannot be used any more.
    #[error("this instance trapped earlier and cannot be used any more; start a new one")]
    Poisoned,
    /// The component answered something the host cannot use.
    #[error("the component answered something unusable: {0}")]
    BadAnswer(String),
    /// The host's own settings cannot be used (a CA bundle that cannot be
    /// read, say); found at start-up, before any call.
    #[error("bad host configuration: {0}")]
    Config(String),
    /// A file of the caller's could not be created, written or renamed (the
    /// download's `--output`): the disk is full, say. Nothing is left at
    /// `path`.
    #[error("cannot {action} {}: {error}", path.display())]
    LocalFile {
        /// What was being done: `create`, `write`, `rename`.
        action: &'static str,
        /// The file the user named.
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!(" (component stderr: {})", stderr.trim())
    }
}

/// Why a call to the component failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The component returned its typed error (boxed: it is large).
    #[error("{}", connector_error_message(.0))]
    Connector(Box<ConnectorError>),
    /// The host failed around it.
    #[error(transparent)]
    Host(#[from] HostError),
}

impl From<ConnectorError> for CallError {
    fn from(error: ConnectorError) -> Self {
        CallError::Connector(Box::new(error))
    }
}

impl CallError {
    /// The component's typed error, if that is what this is.
    pub fn connector(&self) -> Option<&ConnectorError> {
        match self {
            CallError::Connector(e) => Some(e),
            CallError::Host(_) => None,
        }
    }

    /// The transport error, if the call failed for want of an answer.
    pub fn transport(&self) -> Option<&TransportError> {
        match self.connector() {
            Some(ConnectorError::Transport(failure)) => Some(&failure.error),
            _ => None,
        }
    }

    /// The error as the CLI prints it: `{"error": {"kind": ..., ...}}`, with
    /// every field of the WIT case.
    pub fn to_json(&self) -> Value {
        let fields = self.fields();
        json!({ "error": Value::Object(fields.0.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()) })
    }

    /// [`Self::to_json`] on one line, fields in WIT order (`kind` first).
    pub fn to_json_line(&self) -> String {
        let mut out = String::from("{\"error\":{");
        for (i, (name, value)) in self.fields().0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&Value::from(*name).to_string());
            out.push(':');
            out.push_str(&value.to_string());
        }
        out.push_str("}}");
        out
    }

    fn fields(&self) -> Fields {
        match self {
            CallError::Connector(e) => connector_error_fields(e),
            CallError::Host(HostError::LocalFile { action, path, error }) => Fields(vec![
                ("kind", json!("local-file")),
                ("action", json!(action)),
                ("path", json!(path.display().to_string())),
                ("message", json!(error.to_string())),
                ("os_error", json!(error.raw_os_error())),
            ]),
            CallError::Host(e) => Fields(vec![("kind", json!("host")), ("message", json!(e.to_string()))]),
        }
    }

    /// The S3 error code, for a service error.
    pub fn service_code(&self) -> Option<String> {
        match self {
            CallError::Connector(e) => match e.as_ref() {
                ConnectorError::Service(e) => Some(error_code_name(&e.code)),
                _ => None,
            },
            CallError::Host(_) => None,
        }
    }
}

/// Named fields in order.
struct Fields(Vec<(&'static str, Value)>);

/// The fields of a WIT `error` as a JSON object, `kind` first.
pub fn connector_error_json(error: &ConnectorError) -> Value {
    Value::Object(
        connector_error_fields(error)
            .0
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn connector_error_fields(error: &ConnectorError) -> Fields {
    Fields(match error {
        ConnectorError::InvalidInput(e) => vec![
            ("kind", json!("invalid-input")),
            ("field", json!(e.field)),
            ("message", json!(e.message)),
        ],
        ConnectorError::Service(e) => vec![
            ("kind", json!("service")),
            ("status", json!(e.status)),
            ("code", json!(error_code_name(&e.code))),
            ("message", json!(e.message)),
            ("request_id", json!(e.request_id)),
            ("resource", json!(e.resource)),
            ("required_permission", json!(e.required_permission)),
            ("attempts", json!(e.attempts)),
        ],
        ConnectorError::Transport(e) => vec![
            ("kind", json!("transport")),
            ("error", transport_error_json(&e.error)),
            ("attempts", json!(e.attempts)),
        ],
        ConnectorError::InvalidResponse(message) => {
            vec![("kind", json!("invalid-response")), ("message", json!(message))]
        }
        ConnectorError::Body(e) => vec![("kind", json!("body")), ("error", body_error_json(e))],
        ConnectorError::UploadIncomplete(e) => vec![
            ("kind", json!("upload-incomplete")),
            ("upload_id", json!(e.upload_id)),
            ("parts_done", json!(e.parts_done)),
            ("parts_total", json!(e.parts_total)),
            ("aborted", json!(e.aborted)),
            ("cause", upload_cause_json(&e.cause)),
        ],
    })
}

/// A WIT `body-error` as `{"kind": "io", "message": ...}`.
pub fn body_error_json(error: &BodyError) -> Value {
    match error {
        BodyError::Io(m) => json!({"kind": "io", "message": m}),
        BodyError::OutOfRange => json!({"kind": "out-of-range"}),
    }
}

/// Why an upload stopped, in the shape of the error it was.
fn upload_cause_json(cause: &UploadCause) -> Value {
    let as_error = match cause {
        UploadCause::Service(e) => ConnectorError::Service(e.clone()),
        UploadCause::Transport(e) => ConnectorError::Transport(e.clone()),
        UploadCause::InvalidResponse(m) => ConnectorError::InvalidResponse(m.clone()),
        UploadCause::Body(e) => ConnectorError::Body(e.clone()),
    };
    connector_error_json(&as_error)
}

/// A WIT `transport-error` as `{"kind": "dns", "message": ...}`.
pub fn transport_error_json(error: &TransportError) -> Value {
    match error {
        TransportError::Denied(m) => json!({"kind": "denied", "message": m}),
        TransportError::Dns(m) => json!({"kind": "dns", "message": m}),
        TransportError::Connection(m) => json!({"kind": "connection", "message": m}),
        TransportError::Tls(m) => json!({"kind": "tls", "message": m}),
        TransportError::Timeout => json!({"kind": "timeout"}),
        TransportError::TooLarge(limit) => json!({"kind": "too-large", "limit": limit}),
        TransportError::InvalidRequest(m) => json!({"kind": "invalid-request", "message": m}),
        TransportError::Other(m) => json!({"kind": "other", "message": m}),
    }
}

/// The WIT name of an error code (`no-such-key`); an unknown code verbatim.
pub fn error_code_name(code: &ErrorCode) -> String {
    let name = match code {
        ErrorCode::AccessDenied => "access-denied",
        ErrorCode::BucketAlreadyExists => "bucket-already-exists",
        ErrorCode::BucketAlreadyOwnedByYou => "bucket-already-owned-by-you",
        ErrorCode::BucketNotEmpty => "bucket-not-empty",
        ErrorCode::InvalidAccessKeyId => "invalid-access-key-id",
        ErrorCode::InvalidArgument => "invalid-argument",
        ErrorCode::InvalidBucketName => "invalid-bucket-name",
        ErrorCode::InvalidRange => "invalid-range",
        ErrorCode::InvalidRequest => "invalid-request",
        ErrorCode::ExpiredToken => "expired-token",
        ErrorCode::InvalidToken => "invalid-token",
        ErrorCode::InternalError => "internal-error",
        ErrorCode::MalformedXml => "malformed-xml",
        ErrorCode::MethodNotAllowed => "method-not-allowed",
        ErrorCode::NoSuchBucket => "no-such-bucket",
        ErrorCode::NoSuchKey => "no-such-key",
        ErrorCode::NoSuchVersion => "no-such-version",
        ErrorCode::NotImplemented => "not-implemented",
        ErrorCode::PermanentRedirect => "permanent-redirect",
        ErrorCode::PreconditionFailed => "precondition-failed",
        ErrorCode::RequestTimeout => "request-timeout",
        ErrorCode::RequestTimeTooSkewed => "request-time-too-skewed",
        ErrorCode::SlowDown => "slow-down",
        ErrorCode::ServiceUnavailable => "service-unavailable",
        ErrorCode::SignatureDoesNotMatch => "signature-does-not-match",
        ErrorCode::AuthorizationHeaderMalformed => "authorization-header-malformed",
        ErrorCode::NoSuchUpload => "no-such-upload",
        ErrorCode::Other(code) => return code.clone(),
    };
    name.to_owned()
}

fn connector_error_message(error: &ConnectorError) -> String {
    match error {
        ConnectorError::InvalidInput(e) => format!("invalid input `{}`: {}", e.field, e.message),
        ConnectorError::Service(e) => format!(
            "S3 answered {} {}: {}",
            e.status,
            error_code_name(&e.code),
            e.message
        ),
        ConnectorError::Transport(e) => format!(
            "no answer after {} attempt(s): {}",
            e.attempts,
            transport_error_json(&e.error)
        ),
        ConnectorError::InvalidResponse(m) => format!("S3's answer could not be understood: {m}"),
        ConnectorError::Body(e) => format!("the host-held body failed: {}", body_error_json(e)),
        ConnectorError::UploadIncomplete(e) => format!(
            "multipart upload {} stopped after {} of {} parts{}: {}",
            e.upload_id,
            e.parts_done,
            e.parts_total,
            if e.aborted {
                " and was aborted"
            } else {
                "; resume it with its upload_id"
            },
            upload_cause_json(&e.cause)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wit::{ServiceError, TransportFailure};

    #[test]
    fn service_error_json_has_every_field() {
        let error = CallError::from(ConnectorError::Service(ServiceError {
            status: 404,
            code: ErrorCode::NoSuchKey,
            message: "gone".to_owned(),
            request_id: Some("R".to_owned()),
            resource: None,
            required_permission: None,
            attempts: 1,
        }));
        assert_eq!(
            error.to_json(),
            json!({"error": {"kind": "service", "status": 404, "code": "no-such-key",
                "message": "gone", "request_id": "R", "resource": null,
                "required_permission": null, "attempts": 1}})
        );
    }

    #[test]
    fn transport_error_json_names_the_case() {
        let error = CallError::from(ConnectorError::Transport(TransportFailure {
            error: TransportError::TooLarge(5),
            attempts: 2,
        }));
        assert_eq!(
            error.to_json(),
            json!({"error": {"kind": "transport", "error": {"kind": "too-large", "limit": 5},
                "attempts": 2}})
        );
    }

    #[test]
    fn one_line_form_puts_kind_first() {
        let error = CallError::Host(HostError::Poisoned);
        let line = error.to_json_line();
        assert!(
            line.starts_with(r#"{"error":{"kind":"host","message":"#),
            "{line}"
        );
        assert_eq!(serde_json::from_str::<Value>(&line).ok(), Some(error.to_json()));
    }

    #[test]
    fn unknown_code_is_kept_verbatim() {
        assert_eq!(
            error_code_name(&ErrorCode::Other("XAmzContentSHA256Mismatch".to_owned())),
            "XAmzContentSHA256Mismatch"
        );
    }

    #[test]
    fn missing_wasm_says_how_to_build_it() {
        let text = HostError::WasmMissing {
            path: PathBuf::from("/x.wasm"),
        }
        .to_string();
        // `make` builds it as it ships (optimised, std built with it); a
        // bare `cargo build` of the crate would make a larger one.
        assert!(text.contains("make build"), "{text}");
        assert!(!text.contains("cargo build -p"), "{text}");
    }
}
