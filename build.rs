//! Compresses `src/manifest.json` (deflate, best ratio) for the component
//! to embed: about 70 KB of JSON Schemas ship as about 10 KB, which the
//! component inflates when `describe` is called. The readable file stays
//! the source, reviewed and checked against the registry by the tests.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=src/manifest.json");
    let manifest = std::fs::read("src/manifest.json")?;
    let compressed = miniz_oxide::deflate::compress_to_vec(&manifest, 10);
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("manifest.json.deflate");
    std::fs::write(out, compressed)?;
    Ok(())
}
