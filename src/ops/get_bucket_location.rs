//! Get bucket location (stub: to be written).

use crate::client::Client;
use crate::error::Error;


/// Runs Get bucket location.
pub fn run(client: &mut Client<'_>, bucket_name: &str) -> Result<String, Error> {
    let _ = (client,);
    todo!()
}
