//! The one public error type and S3's error codes.

use crate::http::{BodyError, TransportError};

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )*) => {
        /// An S3 error code. Known codes have a variant; any other is kept in
        /// [`ErrorCode::Other`]. Parsing a code never fails.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// Any other code, verbatim.
            Other(String),
        }

        impl ErrorCode {
            /// The code as S3 spells it (`NoSuchKey`).
            pub fn as_str(&self) -> &str {
                match self {
                    $( ErrorCode::$variant => $code, )*
                    ErrorCode::Other(code) => code,
                }
            }

            /// The code as every face of the connector spells it: the WIT
            /// `error-code` case (`access-denied`, `no-such-key`), or S3's
            /// own spelling for a code the connector does not know. CLI
            /// errors and per-key results (Delete Multiple Objects, Delete
            /// Folder) use this one spelling.
            pub fn name(&self) -> String {
                match self {
                    $( ErrorCode::$variant => kebab(stringify!($variant)), )*
                    ErrorCode::Other(code) => code.clone(),
                }
            }

            /// Parses a code from an `<Error><Code>` element.
            pub fn from_code(code: &str) -> Self {
                match code {
                    $( $code => ErrorCode::$variant, )*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

/// `AccessDenied` as `access-denied`: a case name as WIT spells it.
fn kebab(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (index, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Calls `$m!` with every known S3 error code, declared here once: the
/// [`ErrorCode`] enum is made from it. The component's bindings use that
/// enum as the WIT `error-code` itself, whose cases carry the same names (a
/// case missing on either side does not compile).
macro_rules! for_each_error_code {
    ($m:ident) => {
        $m! {
        /// 403: the credentials lack the permission.
        AccessDenied = "AccessDenied",
        /// 409: the bucket name is taken.
        BucketAlreadyExists = "BucketAlreadyExists",
        /// 409: the bucket already exists and is yours (outside us-east-1).
        BucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou",
        /// 409: the bucket is not empty.
        BucketNotEmpty = "BucketNotEmpty",
        /// 400/403: unknown access key id.
        InvalidAccessKeyId = "InvalidAccessKeyId",
        /// 400: an argument was not valid.
        InvalidArgument = "InvalidArgument",
        /// 400: the bucket name is not valid.
        InvalidBucketName = "InvalidBucketName",
        /// 416: the range is outside the object.
        InvalidRange = "InvalidRange",
        /// 400: the request was malformed.
        InvalidRequest = "InvalidRequest",
        /// 400: the session token has expired.
        ExpiredToken = "ExpiredToken",
        /// 400: the session token is malformed.
        InvalidToken = "InvalidToken",
        /// 500: S3 failed internally.
        InternalError = "InternalError",
        /// 400: malformed XML.
        MalformedXml = "MalformedXML",
        /// 405: method not allowed.
        MethodNotAllowed = "MethodNotAllowed",
        /// 404: no such bucket.
        NoSuchBucket = "NoSuchBucket",
        /// 404: no such key.
        NoSuchKey = "NoSuchKey",
        /// 404: no such version.
        NoSuchVersion = "NoSuchVersion",
        /// 501: not implemented.
        NotImplemented = "NotImplemented",
        /// 301: the bucket is in another region.
        PermanentRedirect = "PermanentRedirect",
        /// 412: a precondition failed.
        PreconditionFailed = "PreconditionFailed",
        /// 400: the socket was idle too long.
        RequestTimeout = "RequestTimeout",
        /// 403: the clocks differ too much.
        RequestTimeTooSkewed = "RequestTimeTooSkewed",
        /// 503: slow down.
        SlowDown = "SlowDown",
        /// 503: service unavailable.
        ServiceUnavailable = "ServiceUnavailable",
        /// 403: the signature does not match.
        SignatureDoesNotMatch = "SignatureDoesNotMatch",
        /// 400: the Authorization header is malformed (often the wrong region).
        AuthorizationHeaderMalformed = "AuthorizationHeaderMalformed",
        /// 404: the multipart upload does not exist (aborted or completed).
        NoSuchUpload = "NoSuchUpload",
            }
    };
}
for_each_error_code!(error_codes);

impl ErrorCode {
    /// The code implied by a status when the response has no body (HEAD).
    pub fn from_status(status: u16) -> Self {
        match status {
            301 => ErrorCode::PermanentRedirect,
            400 => ErrorCode::InvalidRequest,
            403 => ErrorCode::AccessDenied,
            404 => ErrorCode::NoSuchKey,
            405 => ErrorCode::MethodNotAllowed,
            412 => ErrorCode::PreconditionFailed,
            416 => ErrorCode::InvalidRange,
            500 => ErrorCode::InternalError,
            501 => ErrorCode::NotImplemented,
            503 => ErrorCode::ServiceUnavailable,
            other => ErrorCode::Other(format!("Http{other}")),
        }
    }

    /// A plain description of the code, for answers that carry no message.
    pub fn description(&self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::AccessDenied => "Access denied",
            ErrorCode::InvalidAccessKeyId => "The access key id does not exist",
            ErrorCode::InvalidRange => "The requested range is not satisfiable",
            ErrorCode::ExpiredToken => "The session token has expired",
            ErrorCode::InternalError => "S3 failed internally",
            ErrorCode::MethodNotAllowed => "The method is not allowed on this resource",
            ErrorCode::NoSuchBucket => "The bucket does not exist",
            ErrorCode::NoSuchKey => "The key does not exist",
            ErrorCode::NoSuchVersion => "The version does not exist",
            ErrorCode::NotImplemented => "The server does not implement this operation",
            ErrorCode::PermanentRedirect => "The bucket is in another region",
            ErrorCode::PreconditionFailed => "A precondition failed",
            ErrorCode::SlowDown => "Too many requests: slow down",
            ErrorCode::ServiceUnavailable => "The service is unavailable",
            ErrorCode::SignatureDoesNotMatch => {
                "The signature does not match: check the secret key and the clock"
            }
            _ => return None,
        })
    }

    /// Whether S3 asks for the request to be tried again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ErrorCode::InternalError
                | ErrorCode::SlowDown
                | ErrorCode::ServiceUnavailable
                | ErrorCode::RequestTimeout
        )
    }
}

/// An error answered by S3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// The error code.
    pub code: ErrorCode,
    /// S3's message (or one derived from the status).
    pub message: String,
    /// `x-amz-request-id` or `<RequestId>`.
    pub request_id: Option<String>,
    /// `<Resource>`.
    pub resource: Option<String>,
    /// The region S3 says the bucket is in (`x-amz-bucket-region` or `<Region>`).
    pub region: Option<String>,
    /// For access denied: the IAM permission the operation needs.
    pub required_permission: Option<String>,
    /// How many attempts were made.
    pub attempts: u32,
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "S3 error {} ({}): {}",
            self.code.as_str(),
            self.status,
            self.message
        )?;
        if let Some(permission) = &self.required_permission {
            write!(f, "; this operation needs the IAM permission {permission}")?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

/// Why an operation failed: an [`ErrorKind`], boxed. Errors are the cold
/// path, and an error one pointer wide keeps every `Result` of the hot one
/// small.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<ErrorKind>);

/// What went wrong, as an [`Error`] holds it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// An input was not valid; nothing was sent.
    #[error("invalid {field}: {message}")]
    InvalidInput {
        /// The field at fault, by its JSON name (`bucket_name`, `range.to`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// S3 answered with an error.
    #[error("{0}")]
    Service(ServiceError),
    /// No response was had.
    #[error("{error} (after {attempts} attempt(s))")]
    Transport {
        /// The last attempt's error.
        error: TransportError,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The response could not be understood.
    #[error("invalid response from S3: {0}")]
    InvalidResponse(String),
    /// The host-held body could not be read or written.
    #[error("{0}")]
    Body(BodyError),
    /// A multipart upload stopped before it was completed.
    #[error("{0}")]
    UploadIncomplete(UploadFailure),
}

/// A multipart upload that did not complete: what is left, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadFailure {
    /// The upload id, to resume with (unless `aborted`).
    pub upload_id: String,
    /// Parts S3 holds.
    pub parts_done: u32,
    /// Parts the object needs.
    pub parts_total: u32,
    /// The upload was aborted: nothing is left to resume.
    pub aborted: bool,
    /// The last request's error; never itself an `UploadIncomplete`.
    pub cause: Error,
}

impl std::fmt::Display for UploadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "multipart upload {} stopped after {} of {} parts: {}",
            self.upload_id, self.parts_done, self.parts_total, self.cause
        )?;
        if self.aborted {
            f.write_str(" (the upload was aborted)")
        } else {
            f.write_str(" (resume it with its upload id)")
        }
    }
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// What went wrong, to amend in place (a message given more context)
    /// without unboxing and boxing the error again.
    pub fn kind_mut(&mut self) -> &mut ErrorKind {
        &mut self.0
    }

    /// What went wrong, by value.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// An [`ErrorKind::InvalidInput`] for `field`.
    pub fn invalid_input(field: &str, message: impl Into<String>) -> Self {
        ErrorKind::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
        }
        .into()
    }

    /// An [`ErrorKind::InvalidResponse`].
    pub fn invalid_response(message: impl Into<String>) -> Self {
        ErrorKind::InvalidResponse(message.into()).into()
    }

    /// An [`ErrorKind::Service`]: S3's answer.
    pub fn service(error: ServiceError) -> Self {
        ErrorKind::Service(error).into()
    }

    /// An [`ErrorKind::Transport`]: the last attempt's error.
    pub fn transport(error: TransportError, attempts: u32) -> Self {
        ErrorKind::Transport { error, attempts }.into()
    }

    /// An [`ErrorKind::Body`].
    pub fn body(error: BodyError) -> Self {
        ErrorKind::Body(error).into()
    }

    /// An [`ErrorKind::UploadIncomplete`].
    pub fn upload_incomplete(failure: UploadFailure) -> Self {
        ErrorKind::UploadIncomplete(failure).into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_as_the_wit_spells_them() {
        assert_eq!(ErrorCode::AccessDenied.name(), "access-denied");
        assert_eq!(ErrorCode::MalformedXml.name(), "malformed-xml");
        assert_eq!(
            ErrorCode::BucketAlreadyOwnedByYou.name(),
            "bucket-already-owned-by-you"
        );
        assert_eq!(ErrorCode::from_code("InvalidTag").name(), "InvalidTag");
    }

    #[test]
    fn known_code_parses_to_its_variant() {
        assert_eq!(ErrorCode::from_code("NoSuchKey"), ErrorCode::NoSuchKey);
        assert_eq!(ErrorCode::from_code("MalformedXML").as_str(), "MalformedXML");
    }

    #[test]
    fn unknown_code_is_kept_verbatim() {
        let code = ErrorCode::from_code("SomethingNew");
        assert_eq!(code, ErrorCode::Other("SomethingNew".into()));
        assert_eq!(code.as_str(), "SomethingNew");
    }

    #[test]
    fn head_statuses_map_to_codes() {
        assert_eq!(ErrorCode::from_status(404), ErrorCode::NoSuchKey);
        assert_eq!(ErrorCode::from_status(403), ErrorCode::AccessDenied);
    }

    #[test]
    fn an_error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<Result<(), Error>>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn an_error_reads_as_its_kind() {
        let error = Error::transport(TransportError::Timeout, 3);
        assert_eq!(error.to_string(), "request timed out (after 3 attempt(s))");
        assert_eq!(format!("{error:?}"), format!("{:?}", error.kind()));
        assert_eq!(
            error.into_kind(),
            ErrorKind::Transport {
                error: TransportError::Timeout,
                attempts: 3
            }
        );
        let error = Error::invalid_input("bucket_name", "is empty");
        assert_eq!(error.to_string(), "invalid bucket_name: is empty");
        assert!(std::error::Error::source(&error).is_none());
    }
}
