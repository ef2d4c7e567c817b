#!/usr/bin/env python3
"""Sums a core module's code and data bytes by the crate each function
belongs to, from `twiggy top -a --format json` of a build that keeps names
(the `component-names` profile), and prints the largest crates.

    size_by_crate.py TWIGGY_JSON [N]

A function's crate is the first path segment of its demangled name
(`serde_json::de::...` is serde_json; `<quick_xml::... as ...>` is
quick_xml; a crate's disambiguator, `core[6d9e...]::`, is dropped); generic code instantiated for another crate's types counts for
the crate that defines it. Data segments are `(data)`, the exported WIT
functions' glue `(exports: wit-bindgen glue)`, unnamed items `(other)`;
debug sections and the name section (absent from the shipped build) are
left out.
"""

import json
import re
import sys
from collections import Counter

PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)::")
# v0 mangling names a crate with its hash: `core[6d9e98711c484d2e]::fmt`.
DISAMBIGUATOR = re.compile(r"\[[0-9a-f]+\]")


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
    match = PATH.search(DISAMBIGUATOR.sub("", name))
    if not match:
        return "(other)"
    crate = match.group(1)
    std_paths = {"core", "alloc", "std", "num", "fmt", "str", "io", "panicking", "sys", "slice", "vec", "string"}
    return "core/alloc/std" if crate in std_paths else crate


def main() -> None:
    items = json.load(open(sys.argv[1]))
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    sizes: Counter = Counter()
    for item in items:
        crate = crate_of(item["name"])
        if crate is not None:
            sizes[crate] += item["shallow_size"]
    total = sum(sizes.values())
    rows = [{"crate": c, "bytes": b, "percent": round(100 * b / total, 1)} for c, b in sizes.most_common(limit)]
    print(json.dumps({"total_bytes": total, "by_crate": rows}, indent=1))


if __name__ == "__main__":
    main()
