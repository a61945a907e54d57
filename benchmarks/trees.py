"""Another revision of the project, unpacked to import from, for the scripts' `--before REV`
(each side then runs in a fresh process with its tree first on sys.path)."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def unpack(rev: str, into: str | Path) -> str:
    """The files of git revision `rev` (as `git archive` gives them) under `into`/before; its path."""
    archive = Path(into) / "before.tar"
    subprocess.run(["git", "archive", "-o", str(archive), rev], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(Path(into) / "before", filter="data")
    return str(Path(into) / "before")
