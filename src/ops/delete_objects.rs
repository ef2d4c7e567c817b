//! Delete Multiple Objects (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::{DeleteObjectsInput, DeleteResult};

/// Runs Delete Multiple Objects.
pub fn run(client: &mut Client<'_>, input: &DeleteObjectsInput) -> Result<Vec<DeleteResult>, Error> {
    let _ = (client,);
    todo!()
}
