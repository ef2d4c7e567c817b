//! `--optimize`: runs Binaryen's `wasm-opt` over a component's main core
//! module and puts the result back in place.
//!
//! `wasm-opt` reads core modules only, and a component built for
//! `wasm32-wasip2` holds one module of our code (the largest) beside small
//! shims made by `wit-component`. The component's top level is a list of
//! sections (an id byte, a LEB128 length, the content); a core module
//! section (id 1) holds the module's bytes as they are. So the module is
//! cut out, optimised, and written back with its new length; every other
//! section is copied byte for byte. `wasm-opt` keeps every import and
//! export, which is all the rest of the component refers to, and the
//! result is validated before it is written.
//!
//! The component-level name section (`component-name`, some 10 KB: the
//! names of its types, functions and instances for tools that print them)
//! is dropped, as the profile's `strip = true` drops the core module's:
//! nothing that runs the component reads it, and `--keep-names` keeps it.
//!
//! A custom section names the optimisation, so that running it again on
//! its own output does nothing (`make` runs it after every build, and a
//! build that did not relink leaves the optimised file in place).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The component-level section ids this reads.
const CUSTOM_SECTION: u8 = 0;
const CORE_MODULE_SECTION: u8 = 1;

/// The component-level name section: debug names only.
const COMPONENT_NAMES: &str = "component-name";

/// The custom section that marks an optimised component.
const MARK: &str = "s3-connector:wasm-opt";

/// What `wasm-opt` is asked for: optimise for size as `opt-level = "s"`
/// does (`-Oz` saves 0.4% more, at some speed), with the features rustc
/// emits for `wasm32-wasip2` enabled, and SIMD, which the project's builds
/// enable (`.cargo/config.toml`).
///
/// `--always-inline-max-function-size 4` inlines every function of at
/// most four instructions, where the default is two: in the component each
/// call also costs the runtime's interruption check at the callee's entry,
/// and a call of a function that small is about as large as its body (the
/// connector 164 bytes smaller, and about 1% fewer instructions per
/// small-object call, `make bench-instructions`).
///
/// `--low-memory-unused` lets it fold a small constant added to an address
/// into the access's offset (0.8% of the connector). The two differ only
/// where the addition wraps past 4 GiB into the lowest KiB, which no valid
/// pointer does: these modules put their stack first, from 1 MiB down, so
/// the lowest KiB is the stack's last, and a folded access there traps
/// where the unfolded one would have written into it.
const WASM_OPT_ARGS: &[&str] = &[
    "-Os",
    "--always-inline-max-function-size",
    "4",
    "--low-memory-unused",
    "--enable-simd",
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// One top-level section: its id and the byte ranges of the whole section
/// and of its content.
struct Section {
    id: u8,
    whole: std::ops::Range<usize>,
    content: std::ops::Range<usize>,
}

/// Optimises the component at `path` in place (a new file renamed over it,
/// so that a hard link cargo keeps to the file is not written through).
/// Returns the sizes before and after; equal when it was optimised already.
/// With `keep_names`, the name sections survive (the core module's, `-g`,
/// and the component's): for size analysis, which attributes bytes to
/// functions by name.
pub fn optimize(path: &Path, wasm_opt: &str, keep_names: bool) -> Result<(usize, usize)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let sections = sections(&bytes)?;
    if sections
        .iter()
        .any(|s| s.id == CUSTOM_SECTION && custom_name(&bytes[s.content.clone()]) == Some(MARK))
    {
        return Ok((bytes.len(), bytes.len()));
    }
    let Some(main) = sections
        .iter()
        .filter(|s| s.id == CORE_MODULE_SECTION)
        .max_by_key(|s| s.content.len())
    else {
        bail!("{} has no core module", path.display());
    };
    let module = &bytes[main.content.clone()];
    let optimized = run_wasm_opt(wasm_opt, module, path, keep_names)?;

    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..8]);
    for section in &sections {
        if section.whole == main.whole {
            out.push(CORE_MODULE_SECTION);
            leb128(&mut out, optimized.len())?;
            out.extend_from_slice(&optimized);
        } else if !keep_names
            && section.id == CUSTOM_SECTION
            && custom_name(&bytes[section.content.clone()]) == Some(COMPONENT_NAMES)
        {
            continue;
        } else {
            out.extend_from_slice(&bytes[section.whole.clone()]);
        }
    }
    let mut mark = Vec::new();
    leb128(&mut mark, MARK.len())?;
    mark.extend_from_slice(MARK.as_bytes());
    mark.extend_from_slice(WASM_OPT_ARGS.join(" ").as_bytes());
    out.push(CUSTOM_SECTION);
    leb128(&mut out, mark.len())?;
    out.extend_from_slice(&mark);

    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&out)
        .with_context(|| format!("the optimised {} does not validate", path.display()))?;
    let temporary = path.with_extension("wasm.opt-tmp");
    std::fs::write(&temporary, &out).with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok((bytes.len(), out.len()))
}

/// Runs `wasm-opt` over `module` through files beside `component`.
fn run_wasm_opt(wasm_opt: &str, module: &[u8], component: &Path, keep_names: bool) -> Result<Vec<u8>> {
    let input = component.with_extension("core.wasm");
    let output = component.with_extension("core.opt.wasm");
    std::fs::write(&input, module).with_context(|| format!("writing {}", input.display()))?;
    let status = Command::new(wasm_opt)
        .args(WASM_OPT_ARGS)
        .args(keep_names.then_some("-g"))
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .status()
        .with_context(|| format!("running {wasm_opt} (Binaryen; `make` installs it)"))?;
    if !status.success() {
        bail!("{wasm_opt} failed on {}: {status}", input.display());
    }
    let optimized = std::fs::read(&output).with_context(|| format!("reading {}", output.display()))?;
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    Ok(optimized)
}

/// The component's top-level sections, after its 8-byte header.
fn sections(bytes: &[u8]) -> Result<Vec<Section>> {
    const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
    if bytes.get(..8) != Some(&COMPONENT_HEADER[..]) {
        bail!("not a component (its header is not the component model's)");
    }
    let mut at = 8;
    let mut found = Vec::new();
    while at < bytes.len() {
        let start = at;
        let id = bytes[at];
        let (length, used) = read_leb128(&bytes[at + 1..])?;
        let content = at + 1 + used..at + 1 + used + length;
        if content.end > bytes.len() {
            bail!("section {id} at byte {start} runs past the end");
        }
        at = content.end;
        found.push(Section {
            id,
            whole: start..at,
            content,
        });
    }
    Ok(found)
}

/// A custom section's name.
fn custom_name(content: &[u8]) -> Option<&str> {
    let (length, used) = read_leb128(content).ok()?;
    std::str::from_utf8(content.get(used..used + length)?).ok()
}

/// Reads an unsigned LEB128 (at most 32 bits, as section lengths are).
fn read_leb128(bytes: &[u8]) -> Result<(usize, usize)> {
    let mut value: u64 = 0;
    for (i, byte) in bytes.iter().enumerate().take(5) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((usize::try_from(value)?, i + 1));
        }
    }
    bail!("a section length is not a valid LEB128")
}

/// Appends `value` as an unsigned LEB128.
fn leb128(out: &mut Vec<u8>, value: usize) -> Result<()> {
    let mut value = u32::try_from(value).context("a section longer than 4 GiB")?;
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return Ok(());
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips_section_lengths() -> Result<()> {
        for value in [
            0usize,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            1_055_598,
            u32::MAX as usize,
        ] {
            let mut bytes = Vec::new();
            leb128(&mut bytes, value)?;
            assert_eq!(read_leb128(&bytes)?, (value, bytes.len()));
        }
        Ok(())
    }

    #[test]
    fn a_truncated_component_is_refused() {
        let mut bytes = vec![0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
        bytes.extend_from_slice(&[CORE_MODULE_SECTION, 0x10, 0x00]);
        assert!(sections(&bytes).is_err());
        assert!(
            sections(b"\0asm\x01\0\0\0").is_err(),
            "a core module is not a component"
        );
    }
}
