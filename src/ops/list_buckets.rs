//! List Buckets (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::Bucket;

/// Runs List Buckets.
pub fn run(client: &mut Client<'_>) -> Result<Vec<Bucket>, Error> {
    let _ = client;
    todo!()
}
