//! Response parsing helpers and S3's `<Error>` body.

/// The fields of an S3 `<Error>` body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `<Code>`
    pub code: String,
    /// `<Message>`
    pub message: String,
    /// `<RequestId>`
    pub request_id: Option<String>,
    /// `<Resource>`
    pub resource: Option<String>,
    /// `<Region>` (AuthorizationHeaderMalformed, PermanentRedirect)
    pub region: Option<String>,
}

/// Whether a body is an S3 `<Error>` document (S3 can answer 200 with one).
pub fn is_error_body(body: &[u8]) -> bool {
    let _ = body;
    false
}

/// Parses an `<Error>` body; `None` when the body is empty or not one.
pub fn parse_error_body(body: &[u8]) -> Option<ErrorBody> {
    let _ = body;
    None
}
