//! Head Object (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::{ObjectMetadata, ObjectRef};

/// Runs Head Object.
pub fn run(client: &mut Client<'_>, input: &ObjectRef) -> Result<ObjectMetadata, Error> {
    let _ = (client,);
    todo!()
}
