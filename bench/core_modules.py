#!/usr/bin/env python3
"""Writes the core modules embedded in a component to DIR/core-N.wasm, and
prints their paths, largest first: twiggy reads core modules, not components.

    core_modules.py COMPONENT.wasm DIR

A component is a preamble and sections (an id byte, a LEB128 size, the
payload); section 1 is a core module, whole. Nested components are not
opened: the connector has none.
"""

import sys
from pathlib import Path


def leb128(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def main() -> None:
    component, out = Path(sys.argv[1]), Path(sys.argv[2])
    data = component.read_bytes()
    if data[:4] != b"\0asm" or data[4:8] != b"\x0d\x00\x01\x00":
        sys.exit(f"{component} is not a component")
    out.mkdir(parents=True, exist_ok=True)
    modules = []
    at = 8
    while at < len(data):
        section = data[at]
        size, at = leb128(data, at + 1)
        if section == 1:
            path = out / f"core-{len(modules)}.wasm"
            path.write_bytes(data[at : at + size])
            modules.append((size, path))
        at += size
    for size, path in sorted(modules, reverse=True):
        print(path)


if __name__ == "__main__":
    main()
