//! List Bucket Objects (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::{ListObjectsInput, ListObjectsOutput};

/// Runs List Bucket Objects.
pub fn run(client: &mut Client<'_>, input: &ListObjectsInput) -> Result<ListObjectsOutput, Error> {
    let _ = (client,);
    todo!()
}
