//! Get Object's Signed URL (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::{SignedUrl, SignedUrlInput};

/// Runs Get Object's Signed URL.
pub fn run(client: &mut Client<'_>, input: &SignedUrlInput) -> Result<SignedUrl, Error> {
    let _ = (client,);
    todo!()
}
