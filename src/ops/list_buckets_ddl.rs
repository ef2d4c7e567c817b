//! List buckets DDL (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::DropdownItem;

/// Runs List buckets DDL.
pub fn run(client: &mut Client<'_>) -> Result<Vec<DropdownItem>, Error> {
    let _ = client;
    todo!()
}
