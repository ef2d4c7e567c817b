//! The compiled-code cache: a component's machine code, kept on disk between
//! runs and mapped back in.
//!
//! Wasmtime's own cache keeps each compiled artifact compressed (zstd) and
//! reads it back whole: loading the connector from it took about 5 ms, most
//! of a CLI call's start-up. Here an entry is wasmtime's precompiled form of
//! the component (`Engine::precompile_component`), written once and mapped
//! with `Component::deserialize_file`: about 0.4 ms, plus about as much to
//! hash the component's bytes for the entry's name.
//!
//! An entry is named after the component's file name, a SHA-256 of its
//! bytes and a hash of the engine's compatibility hash (wasmtime's version
//! and every setting that changes the machine code, the CPU's features
//! included), so a rebuilt component or host never maps stale code. Writing
//! an entry removes the entries of the same file name built from other
//! bytes (older builds of the component); entries of the same bytes for
//! other engines stay, so that hosts with other settings (a pooling one
//! beside the CLI, say) sharing a directory do not evict each other. It
//! also removes entries named as the cache's first version named them,
//! without the engine's part, which no host maps any more. An entry is
//! written to a temporary file, flushed to
//! disk and renamed into place, so a crash never leaves a partial entry
//! under an entry's name. A directory that cannot be used only costs a
//! compilation per run.

use std::fs::{self, File};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// The extension of an entry.
const ENTRY_EXTENSION: &str = "cwasm";

/// The component at `wasm`, compiled for `engine`: from the entry in `dir`
/// when there is one, else compiled and (when `dir` is given) kept there.
pub(crate) fn load(engine: &Engine, wasm: &Path, dir: Option<&Path>) -> wasmtime::Result<Component> {
    let bytes = fs::read(wasm)?;
    let Some(dir) = dir else {
        return Component::new(engine, &bytes);
    };
    let stem = file_stem(wasm);
    let (component_hash, engine_hash) = entry_hashes(engine, &bytes);
    let entry = dir.join(format!("{stem}-{component_hash}-{engine_hash}.{ENTRY_EXTENSION}"));
    if entry.is_file() {
        // SAFETY: `deserialize_file` maps the file as machine code and
        // trusts it to be what `Engine::precompile_component` wrote. Entries
        // are written only by `store` below, whole (renamed into place once
        // flushed), under a name that hashes the component's bytes and this
        // engine's compatibility hash; wasmtime checks its own header, version
        // and settings and refuses a file that is not one of its artifacts.
        // The cache directory is trusted as wasmtime's own cache directory
        // is (it deserializes its entries the same way): whoever can write
        // there can run code in the host.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &entry) } {
            return Ok(component);
        }
        // Not a usable artifact (another wasmtime's, say): compiled again
        // and replaced below.
    }
    let compiled = engine.precompile_component(&bytes)?;
    if store(dir, &stem, &component_hash, &entry, &compiled).is_ok() {
        // SAFETY: as above; the entry was written just now from `compiled`.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &entry) } {
            return Ok(component);
        }
    }
    // SAFETY: `compiled` is what `precompile_component` of this engine
    // returned, unchanged.
    unsafe { Component::deserialize(engine, &compiled) }
}

/// The file name of `wasm` without its extension: entries of different
/// components sharing a directory are told apart by it.
fn file_stem(wasm: &Path) -> String {
    wasm.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| "component".to_owned())
}

/// The hex SHA-256 of the component's bytes, and the first 64 bits of the
/// SHA-256 of the engine's compatibility hash, in hex. (Wasmtime checks an
/// artifact's engine settings again when mapping it: the engine's part of
/// the name only keeps entries of different engines apart.)
fn entry_hashes(engine: &Engine, bytes: &[u8]) -> (String, String) {
    let hex = |digest: &[u8]| digest.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut hasher = Sha256Writer(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let engine_digest = hasher.0.finalize();
    (
        hex(&Sha256::digest(bytes)),
        hex(engine_digest.get(..8).unwrap_or_default()),
    )
}

/// Feeds what a [`Hash`] writes into SHA-256.
struct Sha256Writer(Sha256);

impl Hasher for Sha256Writer {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Never asked for: the digest is read from the inner hasher.
        0
    }
}

/// Writes `compiled` to `entry` (temporary file, flush, rename), then
/// removes the entries of the same component built from other bytes.
fn store(dir: &Path, stem: &str, component_hash: &str, entry: &Path, compiled: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let temporary = dir.join(format!(".{stem}.{}.tmp", std::process::id()));
    let written = File::create(&temporary).and_then(|mut file| {
        file.write_all(compiled)?;
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| fs::rename(&temporary, entry)) {
        let _ = fs::remove_file(&temporary);
        return Err(error);
    }
    for stale in older_entries(dir, stem, component_hash) {
        let _ = fs::remove_file(stale);
    }
    Ok(())
}

/// The entries of `stem` in `dir` built from bytes other than those
/// hashed to `component_hash`, and those named without an engine's part
/// (`<stem>-<sha256>.cwasm`, as the cache's first version named them).
fn older_entries(dir: &Path, stem: &str, component_hash: &str) -> Vec<PathBuf> {
    let prefix = format!("{stem}-");
    let suffix = format!(".{ENTRY_EXTENSION}");
    let is_hex = |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_hexdigit());
    let Ok(listing) = fs::read_dir(dir) else {
        return Vec::new();
    };
    listing
        .filter_map(Result::ok)
        .map(|found| found.path())
        .filter(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let hashes = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(&suffix));
            hashes.is_some_and(|hashes| match hashes.split_once('-') {
                Some((component, engine)) => {
                    is_hex(component, 64) && is_hex(engine, 16) && component != component_hash
                }
                // An entry named as the cache's first version named them,
                // without the engine's part: no host maps it any more.
                None => is_hex(hashes, 64),
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The smallest component: its header and nothing else.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    /// A directory holding `c.wasm` (the empty component) and the path of
    /// a cache directory in it, not yet made.
    fn fixture() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("c.wasm");
        fs::write(&wasm, EMPTY_COMPONENT).unwrap();
        let cache = dir.path().join("cache");
        (dir, wasm, cache)
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_component_is_compiled_once_then_mapped_from_its_entry() {
        let (_dir, wasm, cache) = fixture();
        let engine = Engine::default();
        load(&engine, &wasm, Some(&cache)).unwrap();
        let names = entries(&cache);
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(
            names[0].starts_with("c-") && names[0].ends_with(".cwasm"),
            "{names:?}"
        );
        let modified = fs::metadata(cache.join(&names[0])).unwrap().modified().unwrap();
        load(&engine, &wasm, Some(&cache)).unwrap();
        assert_eq!(entries(&cache), names);
        assert_eq!(
            fs::metadata(cache.join(&names[0])).unwrap().modified().unwrap(),
            modified
        );
    }

    #[test]
    fn a_changed_component_replaces_its_entry_and_leaves_others() {
        let (dir, wasm, cache) = fixture();
        let engine = Engine::default();
        let other = dir.path().join("other.wasm");
        fs::write(&other, EMPTY_COMPONENT).unwrap();
        load(&engine, &other, Some(&cache)).unwrap();
        load(&engine, &wasm, Some(&cache)).unwrap();
        let first = entries(&cache);
        // Another valid component: a custom section after the header.
        let mut changed = EMPTY_COMPONENT.to_vec();
        changed.extend_from_slice(b"\x00\x02\x01x");
        fs::write(&wasm, &changed).unwrap();
        load(&engine, &wasm, Some(&cache)).unwrap();
        let second = entries(&cache);
        assert_eq!(second.len(), 2, "{second:?}");
        assert!(second.iter().any(|n| n.starts_with("other-")), "{second:?}");
        assert!(
            second.iter().any(|n| n.starts_with("c-") && !first.contains(n)),
            "{first:?} {second:?}"
        );
    }

    #[test]
    fn entries_named_without_an_engine_are_removed_with_older_builds() {
        let (_dir, wasm, cache) = fixture();
        fs::create_dir_all(&cache).unwrap();
        let old_format = format!("c-{}.cwasm", "0".repeat(64));
        let unrelated = ["c-notes.cwasm", "c-.cwasm", "readme.txt"];
        for name in std::iter::once(old_format.as_str()).chain(unrelated) {
            fs::write(cache.join(name), b"x").unwrap();
        }
        load(&Engine::default(), &wasm, Some(&cache)).unwrap();
        let names = entries(&cache);
        assert!(!names.contains(&old_format), "{names:?}");
        for name in unrelated {
            assert!(names.iter().any(|n| n == name), "{name} removed: {names:?}");
        }
    }

    #[test]
    fn an_entry_that_is_not_an_artifact_is_compiled_again_and_replaced() {
        let (_dir, wasm, cache) = fixture();
        let engine = Engine::default();
        load(&engine, &wasm, Some(&cache)).unwrap();
        let entry = cache.join(&entries(&cache)[0]);
        fs::write(&entry, b"not machine code").unwrap();
        load(&engine, &wasm, Some(&cache)).unwrap();
        assert_ne!(fs::read(&entry).unwrap(), b"not machine code");
    }

    #[test]
    fn engines_with_other_settings_keep_entries_side_by_side() {
        let (_dir, wasm, cache) = fixture();
        let plain = Engine::default();
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let ticking = Engine::new(&config).unwrap();
        assert_ne!(
            entry_hashes(&plain, EMPTY_COMPONENT).1,
            entry_hashes(&ticking, EMPTY_COMPONENT).1
        );
        assert_eq!(
            entry_hashes(&plain, EMPTY_COMPONENT),
            entry_hashes(&Engine::default(), EMPTY_COMPONENT)
        );
        load(&plain, &wasm, Some(&cache)).unwrap();
        load(&ticking, &wasm, Some(&cache)).unwrap();
        let both = entries(&cache);
        assert_eq!(both.len(), 2, "{both:?}");
        // Each engine finds its own entry: nothing is compiled or written again.
        let modified = |name: &String| fs::metadata(cache.join(name)).unwrap().modified().unwrap();
        let before: Vec<_> = both.iter().map(modified).collect();
        load(&plain, &wasm, Some(&cache)).unwrap();
        load(&ticking, &wasm, Some(&cache)).unwrap();
        assert_eq!(entries(&cache), both);
        assert_eq!(both.iter().map(modified).collect::<Vec<_>>(), before);
    }

    #[test]
    fn without_a_directory_nothing_is_written() {
        let (dir, wasm, _) = fixture();
        load(&Engine::default(), &wasm, None).unwrap();
        assert_eq!(entries(dir.path()), vec!["c.wasm".to_owned()]);
    }
}
