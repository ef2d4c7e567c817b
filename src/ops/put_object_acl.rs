//! Put Object ACL (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::PutObjectAclInput;

/// Runs Put Object ACL.
pub fn run(client: &mut Client<'_>, input: &PutObjectAclInput) -> Result<(), Error> {
    let _ = (client,);
    todo!()
}
