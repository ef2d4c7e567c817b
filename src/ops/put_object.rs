//! Put Object (Text) and Put Object (File) (stub: to be written).

use crate::client::Client;
use crate::error::Error;
use crate::model::{PutObjectFileInput, PutObjectOutput, PutObjectTextInput};

/// Runs Put Object (Text).
pub fn run_text(client: &mut Client<'_>, input: &PutObjectTextInput) -> Result<PutObjectOutput, Error> {
    let _ = (client, input);
    todo!()
}

/// Runs Put Object (File).
pub fn run_file(client: &mut Client<'_>, input: &PutObjectFileInput) -> Result<PutObjectOutput, Error> {
    let _ = (client, input);
    todo!()
}
