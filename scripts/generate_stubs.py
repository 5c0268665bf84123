"""Regenerate the committed gRPC stubs from ``proto/``: ``python scripts/generate_stubs.py``.

Stubs are committed so that installing Tunebridge needs no code generation; a test fails
when they are stale. ``--check`` compares instead of writing.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
TARGET = ROOT / "services" / "kernel" / "rpc"
PACKAGE = "services.kernel.rpc"


def generate(out: Path) -> None:
    """Compile every proto into ``out`` as an importable package under ``PACKAGE``."""
    protos = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    args = ["protoc", f"-I{PROTO}", f"-I{protoc._get_resource_file_name('grpc_tools', '_proto')}"]
    args += [f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}", *protos]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for path in out.rglob("*.py*"):
        text = path.read_text()
        # Generated code imports siblings as top-level 'tunebridge...'; root them in our package.
        text = re.sub(r"^from tunebridge\.", f"from {PACKAGE}.tunebridge.", text, flags=re.M)
        text = re.sub(r"^import tunebridge\.", f"import {PACKAGE}.tunebridge.", text, flags=re.M)
        path.write_text(text)
    for directory in [out, *[d for d in out.rglob("*") if d.is_dir()]]:
        (directory / "__init__.py").touch()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if committed stubs are stale")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out)
        if options.check:
            stale = [
                str(path.relative_to(out))
                for path in out.rglob("*")
                if path.is_file()
                and not (
                    (TARGET / path.relative_to(out)).exists()
                    and filecmp.cmp(path, TARGET / path.relative_to(out), shallow=False)
                )
            ]
            if stale:
                print("stale gRPC stubs (run scripts/generate_stubs.py):", *stale, sep="\n  ")
                return 1
            return 0
        shutil.rmtree(TARGET, ignore_errors=True)
        shutil.copytree(out, TARGET)
    print(f"stubs written to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
