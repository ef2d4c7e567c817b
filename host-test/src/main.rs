//! `s3-connector`: runs one operation of the S3 connector component from
//! the command line. See `s3-connector --help` and [`s3_connector_host::command`].

fn main() {
    std::process::exit(s3_connector_host::command::main());
}
