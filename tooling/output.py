"""Writing outputs atomically: build into a temporary folder, swap it in only on success.

A failed build never destroys the previous good output: the old folder is replaced by a
rename only after everything was written.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; replace ``target`` with it on success."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = target.parent / f".{target.name}.previous"
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


def write_file(root: Path, relative: str, data: str | bytes) -> Path:
    """Write one file below ``root`` (never outside it), creating folders as needed."""
    path = (root / relative).resolve()
    if root.resolve() not in path.parents:
        raise ValueError(f"refusing to write outside the output folder: {relative}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path
