//! Delete Object (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::{DeleteObjectOutput, ObjectRef};

/// Runs Delete Object.
pub fn run(client: &mut Client<'_>, input: &ObjectRef) -> Result<DeleteObjectOutput, Error> {
    let _ = (client,);
    todo!()
}
