#!/usr/bin/env python3
"""What the 200 KB target would take: the connector built again with parts
of the product taken out, one after another, and each build's size.

The shipped build is about twice the target (`make bench-size` says what
makes it up), and the cuts left are of a few KB each. What could move it by
tens of KB changes what the component is: a decision about the product, not the
code. This measures what each such decision would give, so that it can be
made on figures. The builds, each keeping the cuts of the one before:

  shipped            the build as it is
  no typed exports   the JSON face alone declares the operations (the
                     `operations` interface keeps `list-buckets`, whose
                     wit-bindgen lowering of `error` every export shares)
  twelve operations  only the twelve operations of the connector this one
                     replaces, and List Multipart Uploads, which an upload's
                     resume runs (the manifest written again for them)
  built for size     the path every call takes (the wire crate, quick-xml,
                     memchr, SHA-256, MD5) at `opt-level = "z"`, and
                     `wasm-opt -Oz` (the listing and signing then cost more:
                     bench/README.md, "What came off")

Each is a copy of the tracked files under target/size-options/tree, edited
as described (an edit that no longer applies stops the run and names it),
built with `make wasm` there, in a target directory of its own that later
runs reuse. Writes target/bench/size_options.json.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "size-options"
TREE = WORK / "tree"
OUT = ROOT / "target" / "bench" / "size_options.json"
WASM = Path("target/wasm32-wasip2/component/s3_connector.wasm")
TARGET_BYTES = 200_000

# The registry's modules of the twelve operations of the connector this one
# replaces (README.md, Operations), and the one their uploads need.
SEED = {"list_buckets", "list_buckets_ddl", "list_objects", "get_object", "get_object_signed_url",
        "get_bucket_location", "head_object", "put_object_text", "put_object_file", "put_object_acl",
        "delete_object", "delete_objects"}
NEEDED_BY_SEED = {"list_multipart_uploads"}


def edit(path: Path, change, what: str) -> None:
    """Rewrites `path` by `change` (text to text); stops the run, naming the
    edit, when it changes nothing or cannot find what it looks for."""
    text = path.read_text()
    try:
        changed = change(text)
    except ValueError as e:
        raise SystemExit(f"size options: {what}: {path.relative_to(TREE)} no longer has what it edits ({e})")
    if changed == text:
        raise SystemExit(f"size options: {what}: nothing changed in {path.relative_to(TREE)}")
    path.write_text(changed)


def block_end(text: str, start: int, end: str) -> int:
    """The index just past the first `end` after `start`."""
    return text.index(end, start) + len(end)


def only_list_buckets(text: str, header: str) -> str:
    """The impl block opened by `header` with its first function only
    (`list_buckets`): what follows the blank line before the second goes."""
    start = text.index(header)
    close = text.index("\n}\n", start)
    second = text.index("fn list_buckets_ddl(", start, close)
    cut = text.rindex("\n\n", start, second)
    return text[:cut] + text[close:]


def no_typed_exports() -> None:
    component = TREE / "src" / "component.rs"

    def exports(text: str) -> str:
        start = text.index('exports! { operations "operations" lower_error {')
        first = block_end(text, text.index('"list-buckets" =>', start), ") result;")
        return text[:first] + "\n" + text[text.index("    }}\n", first):]

    def delete_result(text: str) -> str:
        start = text.index("impl From<model::DeleteResult> for wit::DeleteResult {")
        return text[:start] + text[block_end(text, start, "\n}\n"):]

    edit(component, exports, "the typed exports' entry points")
    edit(component, lambda t: only_list_buckets(t, "impl operations::Guest for Lowerer {"), "the error lowerer")
    edit(component, lambda t: only_list_buckets(t, "impl operations::Guest for Component {"), "the typed exports")
    edit(component, delete_result, "Delete Multiple Objects' typed result")

    def world(text: str) -> str:
        second = text.index("    list-buckets-ddl: func")
        return text[:text.rindex("\n\n", 0, second)] + "\n" + text[text.index("}\n", second):]

    edit(TREE / "wit" / "world.wit", world, "the operations interface")


def twelve_operations() -> None:
    wanted = SEED | NEEDED_BY_SEED

    def module(line: str) -> str | None:
        """The module a registry line (`list_objects::ListObjects,`) names."""
        entry = re.fullmatch(r"\s*(\w+)::\w+,", line)
        return entry.group(1) if entry else None

    def registry(text: str) -> str:
        start = text.index("macro_rules! for_each_operation {")
        end = text.index("\n}\n", start)
        kept = [line for line in text[start:end].split("\n") if module(line) in wanted | {None}]
        named = {module(line) for line in kept} - {None}
        if named != wanted:
            raise ValueError(f"the registry lacks {sorted(wanted - named)}")
        return text[:start] + "\n".join(kept) + text[end:]

    edit(TREE / "src" / "ops" / "mod.rs", registry, "the registry")
    # The component embeds the manifest, which is written from the registry.
    run(["cargo", "test", "-q", "-p", "s3-connector", "--features", "schema", "--lib", "manifest_file_is_current"],
        env={"UPDATE_MANIFEST": "1"})


def built_for_size() -> None:
    def profiles(text: str) -> str:
        for crate in ("sha2", "md-5", "memchr"):
            section = f"[profile.component.package.{crate}]\nopt-level = 3"
            if section not in text:
                raise ValueError(f"no opt-level 3 for {crate}")
            text = text.replace(section, f'[profile.component.package.{crate}]\nopt-level = "z"')
        for crate in ("s3-connector-wire", "quick-xml"):
            text += f'\n[profile.component.package.{crate}]\nopt-level = "z"\n'
        return text

    edit(TREE / "Cargo.toml", profiles, "the hot crates' optimisation")
    edit(TREE / "adapters" / "compose" / "src" / "optimize.rs", lambda t: t.replace('"-Os",', '"-Oz",', 1),
         "wasm-opt's level")


def run(argv: list[str], env: dict | None = None) -> None:
    done = subprocess.run(argv, cwd=TREE, env=dict(os.environ, **(env or {})), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"size options: `{' '.join(argv)}` failed:\n{(done.stdout + done.stderr)[-3000:]}")


def fresh_tree() -> None:
    """The tracked files as they are in the working tree, over the last
    run's copy (its target directory kept): a file is written only when it
    differs, and then with a new modification time, so that cargo rebuilds
    what a variant had edited and nothing else; a file the copy has and the
    sources no longer track is removed (a stale `.wit` file would still be
    read)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    names = {name for name in files.decode().split("\0") if name and (ROOT / name).is_file()}
    for directory, subdirectories, present in os.walk(TREE):
        if Path(directory) == TREE:
            subdirectories[:] = [d for d in subdirectories if d != "target"]
        for name in present:
            copy = Path(directory) / name
            if str(copy.relative_to(TREE)) not in names:
                copy.unlink()
    for name in sorted(names):
        source, copy = ROOT / name, TREE / name
        if copy.is_file() and copy.read_bytes() == source.read_bytes():
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)
        shutil.copymode(source, copy)


def main() -> None:
    TREE.mkdir(parents=True, exist_ok=True)
    fresh_tree()
    variants = [("shipped", None), ("no typed exports", no_typed_exports),
                ("twelve operations", twelve_operations), ("built for size", built_for_size)]
    rows = []
    for name, cut in variants:
        if cut:
            cut()
        print(f"size options: building {name}", flush=True)
        run(["make", "wasm"])
        rows.append({"build": name, "bytes": (TREE / WASM).stat().st_size})
    shipped = rows[0]["bytes"]
    built = ROOT / WASM
    if built.is_file() and built.stat().st_size != shipped:
        print(f"size options: note: the workspace's own build is {built.stat().st_size:,} bytes, this copy's "
              f"{shipped:,} (the workspace's is out of date, or built from other sources)", file=sys.stderr)
    print(f"\n{'build':<20}{'bytes':>10}{'saved':>10}{'x 200 KB':>10}")
    for row in rows:
        row["saved"] = shipped - row["bytes"]
        row["times_target"] = round(row["bytes"] / TARGET_BYTES, 3)
        print(f"{row['build']:<20}{row['bytes']:>10,}{row['saved']:>10,}{row['times_target']:>9.2f}x")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"target_bytes": TARGET_BYTES, "builds": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
