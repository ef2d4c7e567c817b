//! Get Object (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::{GetObjectInput, GetObjectOutput};

/// Runs Get Object.
pub fn run(client: &mut Client<'_>, input: &GetObjectInput) -> Result<GetObjectOutput, Error> {
    let _ = (client,);
    todo!()
}
