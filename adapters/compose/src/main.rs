//! Composes the standard-WASI build of the connector: the connector
//! component with the `wasi:http` adapter (`adapters/wasi-http`) plugged
//! into its `http-outgoing` and `bodies` imports, so that what is left to
//! import is standard WASI alone.
//!
//! ```text
//! s3-connector-compose CONNECTOR.wasm ADAPTER.wasm OUT.wasm
//! s3-connector-compose --http CONNECTOR.wasm ADAPTER.wasm FACE.wasm OUT.wasm
//! s3-connector-compose --optimize [--keep-names] COMPONENT.wasm...
//! ```
//!
//! With `--optimize` it runs Binaryen's `wasm-opt` (`WASM_OPT`, default
//! `wasm-opt`) over each component's main core module, in place: see
//! [`optimize`]. `make wasm` runs it on every component it builds.
//!
//! With `--http` it composes the HTTP artifact instead (`make http`): the
//! adapter, the connector and the HTTP face (`adapters/http-face`), each
//! `s3-connector:*` import plugged with the export of that name of an
//! instance made before it, so that the face and the connector share the
//! adapter's `body-source`, `body-sink` and `wasi:io` streams. It exports
//! the face's `wasi:http/incoming-handler` alone and imports only `wasi:*`.
//!
//! The result exports the connector's exports (`json`, `operations`) and
//! every export of the adapter (`bodies`, `http-outgoing`, `types`,
//! `streams`), the adapter's first. An export may only name types exported
//! before it: the connector's functions take the adapter's resources
//! (`body-source`, `body-sink`, from `bodies`) and the records of its
//! `types` (which the adapter exports because the connector imports it),
//! which name `http-outgoing`'s `transport-error`; without any of them the
//! result fails validation ("instance not valid to be used as export").
//! `streams` is how a caller makes bodies. A component that imports `json`
//! (an HTTP face) imports the same interfaces, so composing it with this
//! result leaves nothing of `s3-connector:s3` to import. `make wasi` runs
//! it.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use wac_graph::types::{are_semver_compatible, Package};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId, PackageId};

mod optimize;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some((flag, paths)) = args.split_first() {
        if flag == "--optimize" {
            let wasm_opt = std::env::var("WASM_OPT").unwrap_or_else(|_| "wasm-opt".to_owned());
            let keep_names = paths.first().is_some_and(|first| first == "--keep-names");
            for path in &paths[usize::from(keep_names)..] {
                let (before, after) = optimize::optimize(Path::new(path), &wasm_opt, keep_names)?;
                if before == after {
                    println!("optimized already: {path} ({after} bytes)");
                } else {
                    println!("optimized: {path} ({before} -> {after} bytes)");
                }
            }
            return Ok(());
        }
    }
    let (bytes, out) = match args.as_slice() {
        [connector, adapter, out] => (compose(Path::new(connector), Path::new(adapter))?, out),
        [flag, connector, adapter, face, out] if flag == "--http" => (
            compose_http(Path::new(connector), Path::new(adapter), Path::new(face))?,
            out,
        ),
        _ => bail!(
            "usage: s3-connector-compose CONNECTOR.wasm ADAPTER.wasm OUT.wasm\n       \
             s3-connector-compose --http CONNECTOR.wasm ADAPTER.wasm FACE.wasm OUT.wasm\n       \
             s3-connector-compose --optimize [--keep-names] COMPONENT.wasm..."
        ),
    };
    std::fs::write(out, &bytes).with_context(|| format!("writing {out}"))?;
    println!("composed: {out} ({} bytes)", bytes.len());
    Ok(())
}

/// The composed component's bytes.
fn compose(connector: &Path, adapter: &Path) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let package = |graph: &mut CompositionGraph, name: &str, path: &Path| {
        Package::from_file(name, None, path, graph.types_mut())
            .with_context(|| format!("reading {}", path.display()))
    };
    let connector = package(&mut graph, "s3-connector:connector", connector)?;
    let connector = graph.register_package(connector)?;
    let adapter = package(&mut graph, "s3-connector:wasi-http", adapter)?;
    let adapter = graph.register_package(adapter)?;

    let adapter_exports: Vec<String> = graph.types()[graph[adapter].ty()]
        .exports
        .keys()
        .cloned()
        .collect();
    let connector_imports: Vec<String> = graph.types()[graph[connector].ty()]
        .imports
        .keys()
        .cloned()
        .collect();
    let connector_exports: Vec<String> = graph.types()[graph[connector].ty()]
        .exports
        .keys()
        .cloned()
        .collect();

    let adapter_instance = graph.instantiate(adapter);
    let connector_instance = graph.instantiate(connector);
    let mut plugged = BTreeSet::new();
    for import in &connector_imports {
        let Some(export) = adapter_exports
            .iter()
            .find(|export| *export == import || are_semver_compatible(export, import))
        else {
            continue;
        };
        let node = graph.alias_instance_export(adapter_instance, export)?;
        graph
            .set_instantiation_argument(connector_instance, import, node)
            .with_context(|| format!("plugging the adapter's {export} into the connector's {import}"))?;
        plugged.insert(import.clone());
    }
    for needed in ["s3-connector:s3/http-outgoing", "s3-connector:s3/bodies"] {
        if !plugged.iter().any(|name| name.starts_with(needed)) {
            bail!("the adapter does not provide the connector's {needed}");
        }
    }

    // The adapter's first: an export may only name types exported before it.
    for name in &adapter_exports {
        let node = graph.alias_instance_export(adapter_instance, name)?;
        graph.export(node, name)?;
    }
    for name in &connector_exports {
        let node = graph.alias_instance_export(connector_instance, name)?;
        graph.export(node, name)?;
    }
    Ok(graph.encode(EncodeOptions::default())?)
}

/// The HTTP artifact's bytes: the adapter, then the connector, then the
/// face, each `s3-connector:*` import plugged with the export of that name
/// of an instance made before it; the face's exports are the artifact's.
fn compose_http(connector: &Path, adapter: &Path, face: &Path) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let mut packages = Vec::new();
    for (name, path) in [
        ("s3-connector:wasi-http", adapter),
        ("s3-connector:connector", connector),
        ("s3-connector:http-face", face),
    ] {
        let package = Package::from_file(name, None, path, graph.types_mut())
            .with_context(|| format!("reading {}", path.display()))?;
        packages.push(graph.register_package(package)?);
    }
    let mut made: Vec<(NodeId, PackageId)> = Vec::new();
    for package in packages {
        let instance = graph.instantiate(package);
        let imports: Vec<String> = graph.types()[graph[package].ty()]
            .imports
            .keys()
            .cloned()
            .collect();
        for import in imports.iter().filter(|name| !name.starts_with("wasi:")) {
            let provider = made.iter().find(|(_, made_package)| {
                graph.types()[graph[*made_package].ty()]
                    .exports
                    .contains_key(import)
            });
            let Some((provider, _)) = provider else {
                bail!("nothing composed before it exports {import}, which it imports");
            };
            let node = graph.alias_instance_export(*provider, import)?;
            graph
                .set_instantiation_argument(instance, import, node)
                .with_context(|| format!("plugging {import}"))?;
        }
        made.push((instance, package));
    }
    let Some((face_instance, face_package)) = made.last().copied() else {
        bail!("no face to export");
    };
    let exports: Vec<String> = graph.types()[graph[face_package].ty()]
        .exports
        .keys()
        .cloned()
        .collect();
    for name in exports {
        let node = graph.alias_instance_export(face_instance, &name)?;
        graph.export(node, &name)?;
    }
    Ok(graph.encode(EncodeOptions::default())?)
}
