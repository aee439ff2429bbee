"""Running the standalone verifier as an investigator would, and rewriting bundles to tamper with them."""

import base64
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.processes import ROOT

SCRIPT = ROOT / "scripts" / "verify_bundle.py"
# Django cannot be imported in the script's process: it must need Python and `cryptography` only.
NO_DJANGO = (
    "import runpy, sys; "
    "sys.modules.update({name: None for name in ('django', 'rest_framework', 'celery')}); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """scripts/verify_bundle.py in a fresh isolated interpreter (-I: no project on the path)."""
    return subprocess.run(
        [sys.executable, "-I", "-c", NO_DJANGO, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def rewrite(
    source: Path,
    target: Path,
    *,
    change: Callable[[str, bytes], bytes | None] = lambda name, data: data,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Copy a bundle member by member; ``change`` returns new bytes, or None to leave a member out."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return target


def manifest_of(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def signature(data: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    return base64.b64encode(sign(data)) + b"\n"
