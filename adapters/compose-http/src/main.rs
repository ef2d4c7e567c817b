//! Composes the HTTP artifact: the HTTP face, the connector and the
//! wasi-http adapter in one component whose imports are only `wasi:*` and
//! which exports `wasi:http/incoming-handler`.
//!
//! ```text
//! s3-connector-compose-http ADAPTER.wasm CONNECTOR.wasm FACE.wasm OUT.wasm
//! ```
//!
//! The adapter is instantiated first (its imports are WASI's), then the
//! connector, then the face; each import of an `s3-connector:*` interface
//! is plugged with the export of that name of an instance made before it,
//! so that the face and the connector share the adapter's `body-source`
//! and `body-sink` resources and its `wasi:io` streams.

use std::path::Path;

use anyhow::{bail, Context as _};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, NodeId, PackageId};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [adapter, connector, face, out] = args.as_slice() else {
        bail!("usage: s3-connector-compose-http ADAPTER.wasm CONNECTOR.wasm FACE.wasm OUT.wasm");
    };
    let mut graph = CompositionGraph::new();
    let mut register = |name: &str, path: &str| -> anyhow::Result<PackageId> {
        let package = Package::from_file(name, None, Path::new(path), graph.types_mut())
            .with_context(|| format!("cannot read {path}"))?;
        Ok(graph.register_package(package)?)
    };
    let adapter = register("s3-connector:wasi-http", adapter)?;
    let connector = register("s3-connector:connector", connector)?;
    let face = register("s3-connector:http-face", face)?;

    let mut made: Vec<(NodeId, PackageId)> = Vec::new();
    for package in [adapter, connector, face] {
        let instance = graph.instantiate(package);
        let imports: Vec<String> = graph.types()[graph[package].ty()]
            .imports
            .keys()
            .cloned()
            .collect();
        for name in imports.iter().filter(|name| !name.starts_with("wasi:")) {
            let provider = made
                .iter()
                .find(|(_, p)| graph.types()[graph[*p].ty()].exports.contains_key(name))
                .map(|(node, _)| *node);
            let Some(provider) = provider else {
                bail!("nothing composed before it exports `{name}`, which it imports");
            };
            let export = graph.alias_instance_export(provider, name)?;
            graph
                .set_instantiation_argument(instance, name, export)
                .with_context(|| format!("cannot plug `{name}`"))?;
        }
        made.push((instance, package));
    }
    let (face_instance, _) = made[2];
    let exports: Vec<String> = graph.types()[graph[face].ty()].exports.keys().cloned().collect();
    for name in exports {
        let export = graph.alias_instance_export(face_instance, &name)?;
        graph.export(export, &name)?;
    }
    let bytes = graph.encode(EncodeOptions::default())?;
    std::fs::write(out, &bytes).with_context(|| format!("cannot write {out}"))?;
    println!("composed: {out} ({} bytes)", bytes.len());
    Ok(())
}
