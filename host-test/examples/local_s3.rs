//! A local S3 server for benchmarks and scripts that need one server for a
//! whole run, rather than one per CLI call (`s3-connector --local`).
//!
//! ```text
//! local_s3 DIR [ACCESS_KEY SECRET_KEY]
//! ```
//!
//! Serves `DIR` (created if missing) with [`LocalServer`]: s3s-fs on
//! 127.0.0.1, path-style only, SigV4 signatures verified against the key
//! pair given (default: a random pair of the server's own), region
//! [`LOCAL_REGION`]. It makes the bucket
//! `bench`, prints one JSON object on one line of stdout, with the fields
//! `endpoint` (`http://127.0.0.1:PORT`), `access_key`, `secret_key`,
//! `region` and `bucket`, and serves until its standard input closes, so
//! that the server stops with the process that started it even when that
//! one is killed. The secret key is printed on purpose: the server only
//! listens on loopback, and the caller needs the key to sign its requests.
//!
//! Build it with `cargo build -p s3-connector-host --release --examples`
//! (`target/release/examples/local_s3`); `make bench-large` uses it.

use std::io::Write;
use std::path::PathBuf;

use s3_connector_host::local_server::{KeyPair, LOCAL_REGION};
use s3_connector_host::LocalServer;

/// The bucket made before the endpoint is printed.
const BUCKET: &str = "bench";

const USAGE: &str = "usage: local_s3 DIR [ACCESS_KEY SECRET_KEY]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (root, keys) = match args.as_slice() {
        [root] => (PathBuf::from(root), KeyPair::random()?),
        [root, access_key, secret_key] => (
            PathBuf::from(root),
            KeyPair {
                access_key: access_key.clone(),
                secret_key: secret_key.clone(),
            },
        ),
        _ => return Err(USAGE.into()),
    };
    let server = LocalServer::start_with(&root, &keys.access_key, &keys.secret_key)?;
    server.create_bucket(BUCKET)?;

    let ready = serde_json::json!({
        "endpoint": server.endpoint(),
        "access_key": server.access_key(),
        "secret_key": server.secret_key(),
        "region": LOCAL_REGION,
        "bucket": BUCKET,
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{ready}")?;
    stdout.flush()?;
    drop(stdout);

    // Serve until stdin reaches end of file (or fails): the server runs on
    // its own threads, this one only waits.
    std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink())?;
    drop(server);
    Ok(())
}
