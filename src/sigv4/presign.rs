//! Presigned URLs (query-string authentication).

use super::SigningContext;
use crate::http::HttpRequest;

/// A presigned URL for `request` valid `expires_seconds` from `ctx.time`.
/// Signs `host` and every header in `request.headers` (the fetcher must
/// send those headers); the payload is `UNSIGNED-PAYLOAD`; a session token
/// goes in `X-Amz-Security-Token`.
pub fn presign_url(request: &HttpRequest, ctx: &SigningContext<'_>, expires_seconds: u32) -> String {
    let _ = (request, ctx, expires_seconds);
    todo!()
}
