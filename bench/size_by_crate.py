#!/usr/bin/env python3
"""Sums a core module's code and data bytes by the crate each function
belongs to, from `twiggy top -a --format json` of a build that keeps names
(the `component-names` profile), and prints the largest crates; with
`--modules`, by the connector's module instead (each operation apart).

    size_by_crate.py TWIGGY_JSON [N]
    size_by_crate.py --modules TWIGGY_JSON [N]

A function's crate is the first path segment of its demangled name
(`serde_json::de::...` is serde_json; `<quick_xml::... as ...>` is
quick_xml; a crate's disambiguator, `core[6d9e...]::`, is dropped); generic code instantiated for another crate's types counts for
the crate that defines it. Data segments are `(data)`, the exported WIT
functions' glue `(exports: wit-bindgen glue)`, unnamed items `(other)`;
debug sections and the name section (absent from the shipped build) are
left out. A method of a primitive type (`<str>::split_once`, `<[T]>::sort`,
`<u64>::from_str_radix`) and the allocator shim (`__rustc::`) are std's.

By module: each function of the connector's two crates counts for its module
(`json`, `sigv4`, `xml`) or, under `ops::`, its operation
(`ops::copy_object`); so does std's and other crates' generic code that is
instantiated for a closure or type of that module (an iterator adapter over
`ops::delete_objects`'s closure is the operation's; where a name holds an
operation's path and another module's, the operation's wins), so that a
module's row is about what leaving it out would save. The rest keeps its
crate's row. Read it on the build before `wasm-opt`, which inlines every
function called from one place, so that in the shipped build each
operation's code sits inside the JSON face's dispatch.
"""

import json
import re
import sys
from collections import Counter

PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)::")
# v0 mangling names a crate with its hash: `core[6d9e98711c484d2e]::fmt`.
DISAMBIGUATOR = re.compile(r"\[[0-9a-f]+\]")


# The receiver of a method of a primitive type: `<str>::`, `<[u8]>::`,
# `<&str>::`, `<u64>::`, `<(A, B)>::`.
PRIMITIVE = re.compile(r"<&?(?:mut )?(?:str|\[|\(|[ui](?:8|16|32|64|128|size)\b|char\b|bool\b|f32\b|f64\b)")
# A module of the connector's own crates; an operation under `ops::`.
# A segment counts as a module when a name follows it (`ops::copy_object::run`),
# not a generic argument or closure (`ops::sort_names::<..>` is a function).
MODULE = re.compile(r"\b(s3_connector(?:_wire)?)::(ops::)?([a-z_][a-z0-9_]*)::(?=[A-Za-z_])")


def module_of(name: str) -> str | None:
    """The connector's module that `name` belongs to, or its crate's row."""
    plain = DISAMBIGUATOR.sub("", name)
    matches = list(MODULE.finditer(plain))
    # Code instantiated for an operation's type or closure is the operation's,
    # whatever shared module or type it is written in or also names.
    match = next((m for m in matches if m.group(2)), matches[0] if matches else None)
    if match and crate_of(name) not in (None, "(data)", "(exports: wit-bindgen glue)"):
        crate, ops, module = match.groups()
        if ops:
            return f"ops::{module}"
        return module if crate == "s3_connector" else f"wire::{module}"
    return crate_of(name)


def crate_of(name: str) -> str | None:
    # Debug information and names: not in the build that ships.
    if name.startswith("custom section") or name.endswith("subsection"):
        return None
    if name.startswith("data segment") or name.startswith("data["):
        return "(data)"
    if "@" in name and "#" in name:
        return "(exports: wit-bindgen glue)"
    if name.startswith("dlmalloc"):
        return "dlmalloc"
    plain = DISAMBIGUATOR.sub("", name)
    if PRIMITIVE.match(plain) or plain.startswith("__rustc::"):
        return "core/alloc/std"
    match = PATH.search(plain)
    if not match:
        return "(other)"
    crate = match.group(1)
    std_paths = {"core", "alloc", "std", "num", "fmt", "str", "io", "panicking", "sys", "slice", "vec", "string"}
    return "core/alloc/std" if crate in std_paths else crate


def main() -> None:
    args = sys.argv[1:]
    by_module = args[:1] == ["--modules"]
    args = args[1:] if by_module else args
    items = json.load(open(args[0]))
    limit = int(args[1]) if len(args) > 1 else 15
    group = module_of if by_module else crate_of
    sizes: Counter = Counter()
    for item in items:
        key = group(item["name"])
        if key is not None:
            sizes[key] += item["shallow_size"]
    total = sum(sizes.values())
    label = "module" if by_module else "crate"
    rows = [{label: c, "bytes": b, "percent": round(100 * b / total, 1)} for c, b in sizes.most_common(limit)]
    out = {"total_bytes": total, f"by_{label}": rows}
    if by_module:
        out["operations_bytes"] = sum(b for c, b in sizes.items() if c.startswith("ops::"))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
