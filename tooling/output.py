"""Output folders: only where the toolkit may write, replaced atomically, never half-written.

`dossier render` and `dossier build` replace their output folder as a whole. Two things
protect what is there:

* :func:`check_output_target` refuses a folder the toolkit must not replace: the project
  root or one of its ancestors, the dossiers or templates folder or anything inside them, a
  folder holding a project (``dossier.toml``, ``mkdocs.yml``, ``.git``, dossier sources, the
  retraction database), a file, or a non-empty folder that the toolkit did not write.
  Folders the toolkit wrote carry a stamp file, :data:`STAMP_NAME`.
* :func:`staged_directory` writes into a staging folder beside the target and swaps it in
  only when everything succeeded. On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``
  call, so at every instant the target is a complete old or a complete new folder, even if
  the process is killed. Folders left by killed runs are removed by the next run (or,
  where the exchange is unavailable and two renames are used, put back).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from tooling.config import CONFIG_NAME, Config
from tooling.diagnostics import DossierError, Location

__all__ = ["STAMP_NAME", "check_output_target", "staged_directory", "write_file"]

STAMP_NAME = ".dossier-output"
"""The file that marks a folder as written (and replaceable) by the toolkit."""

_STAMP_TEXT = (
    "This folder was written by the dossier toolkit (`dossier render` or `dossier build`).\n"
    "The next run replaces it as a whole: do not keep files of your own here.\n"
)
# A folder holding any of these is a project, not an output, whatever else it holds.
_PROJECT_MARKERS = (CONFIG_NAME, "mkdocs.yml", ".git")
_CHOOSE = "choose a new folder, an empty one, or one that dossier wrote before"
# From <linux/fs.h> and <fcntl.h>: stable kernel ABI.
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100

# Staging folders this process is writing: a leftover with our own pid but not in this set
# comes from an earlier process that had the same pid (containers reuse small pids).
_in_use: set[str] = set()


def check_output_target(target: Path, config: Config) -> Path:
    """Check that the toolkit may replace ``target`` with a new output folder.

    Call it before any expensive work, so that a wrong ``-o`` fails at once; it changes
    nothing. Accepted: a folder that does not exist yet (its parents are created later), an
    empty folder, a folder carrying the :data:`STAMP_NAME` stamp, and the configured output
    or site folder even without the stamp (checkouts made before the stamp existed); none of
    them may hold a project.

    Args:
        target: The output folder as the user gave it (relative to the working directory).
        config: The project, whose folders and files are protected.

    Returns:
        The absolute target with symbolic links resolved: the folder that will be replaced.

    Raises:
        DossierError: When the target is refused; nothing was changed.
    """
    resolved = Path(os.path.realpath(target))
    shown = config.display(resolved)
    for label, path, inside_too in _protected(config):
        if resolved == path:
            raise _refusal(shown, f"it is the {label}")
        if path.is_relative_to(resolved):
            raise _refusal(shown, f"it contains the {label} ({config.display(path)})")
        if inside_too and resolved.is_relative_to(path):
            raise _refusal(shown, f"it is inside the {label} ({config.display(path)})")
    if os.path.lexists(resolved):
        if not resolved.is_dir():
            raise _refusal(shown, "it is a file, not a folder", hint="choose a folder name")
        if os.path.ismount(resolved):
            # rename(2) cannot move a mount point (EBUSY): fail now, not after the build.
            raise _refusal(
                shown,
                "it is a mount point, which cannot be replaced",
                hint="choose a folder inside it",
            )
        _check_existing_folder(resolved, shown, config)
        parent = resolved.parent
    else:
        parent = next(p for p in resolved.parents if os.path.lexists(p))
        if not parent.is_dir():
            raise _refusal(shown, f"{config.display(parent)} is a file, not a folder")
    # The staging folder is made in the parent and renamed there: both need write access.
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _refusal(
            shown,
            f"{config.display(parent)} is not writable",
            hint="choose a folder you may write to",
        )
    return resolved


def _refusal(shown: str, reason: str, hint: str = _CHOOSE) -> DossierError:
    return DossierError(
        f"refusing to use this as the output folder: {reason}", Location(shown), hint=hint
    )


def _protected(config: Config) -> list[tuple[str, Path, bool]]:
    """(label, absolute path, whether its inside is refused too) for what an output spares."""
    root = Path(os.path.realpath(config.root))
    items = [
        ("project root", root, False),
        ("dossiers folder", Path(os.path.realpath(config.dossiers_dir)), True),
        ("templates folder", Path(os.path.realpath(config.templates_dir)), True),
        ("project configuration", root / CONFIG_NAME, False),
        ("MkDocs configuration", root / "mkdocs.yml", False),
        ("git repository", root / ".git", True),
    ]
    if config.retraction_db is not None:
        items.append(("retraction database", Path(os.path.realpath(config.retraction_db)), False))
    return items


def _check_existing_folder(folder: Path, shown: str, config: Config) -> None:
    """Refuse an existing folder that holds a project or that the toolkit did not write."""
    try:
        names = set(os.listdir(folder))
    except OSError as exc:
        raise _refusal(shown, f"it cannot be read ({exc.strerror})") from None
    found = sorted(names & set(_PROJECT_MARKERS))
    dossiers = config.dossiers_dir.name
    if dossiers in names and any((folder / dossiers).glob("*/dossier.yaml")):
        found.append(f"{dossiers}/")
    if found:
        raise _refusal(shown, f"it holds a project ({', '.join(found)})")
    if not names or STAMP_NAME in names:
        return
    if folder in {Path(os.path.realpath(p)) for p in (config.output_dir, config.site_dir)}:
        return  # the default output of a version that did not stamp yet; stamped this run
    raise _refusal(
        shown,
        f"it is not empty and has no {STAMP_NAME} stamp, so dossier did not write it",
        hint=f"{_CHOOSE}; or empty it yourself",
    )


@contextlib.contextmanager
def staged_directory(target: Path, config: Config) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; swap it in when the block succeeds.

    The target is checked first (:func:`check_output_target`). When the ``with`` block
    raises, the staging folder is removed and the old output stays as it was. On success
    the stamp is written and the staging folder replaces the target; on Linux in a single
    atomic exchange, so a kill at any instant leaves a complete old or new folder. Folders
    of runs that were killed (``.<name>.staging-<pid>-<random>``, ``.<name>.retired-…``)
    are removed first. The new folder gets the usual mode (``0o777`` less the umask).

    Args:
        target: The output folder.
        config: The project (see :func:`check_output_target`).

    Yields:
        The staging folder to write into.

    Raises:
        DossierError: When the target is refused, or a folder cannot be created or
            renamed (a read-only disk, no permission).
    """
    target = check_output_target(target, config)
    shown = config.display(target)
    parent = target.parent
    staging = parent / f".{target.name}.staging-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(target)
        staging.mkdir()
    except OSError as exc:
        raise _os_error(shown, "cannot create the output folder", exc) from None
    _in_use.add(staging.name)
    try:
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            (staging / STAMP_NAME).write_text(_STAMP_TEXT, encoding="utf-8")
            old = _swap(staging, target)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise _os_error(shown, "cannot replace the output folder", exc) from None
        # Until this is gone a kill leaves it behind, named as a leftover for the next run.
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        _in_use.discard(staging.name)


def _os_error(shown: str, what: str, exc: OSError) -> DossierError:
    detail = exc.strerror or str(exc)
    name = f" ({exc.filename})" if exc.filename else ""
    hint = ""
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check the permissions of the folder and its parent"
    elif exc.errno == errno.ENOSPC:
        hint = "free some disk space"
    return DossierError(f"{what}: {detail}{name}", Location(shown), hint=hint)


def _swap(staging: Path, target: Path) -> Path | None:
    """Put ``staging`` in place of ``target``; return where the old output now is, if any."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return None
    if _exchange(staging, target):
        return staging
    # No atomic exchange here: two renames, with a moment without output between them.
    retired = staging.with_name(staging.name.replace(".staging-", ".retired-", 1))
    os.rename(target, retired)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(retired, target)
        raise
    return retired


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False when that is unavailable."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    # Kernels before 3.15 and some file systems (older overlayfs, NFS) cannot exchange.
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _renameat2() -> Callable[..., int] | None:
    """The C library's ``renameat2`` (glibc 2.28+, musl 1.2.2+), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def _remove_leftovers(target: Path) -> None:
    """Clear away the staging and retired folders of ``target`` left by runs that died.

    A retired folder while the target is missing is the old output of a run that was killed
    between the two renames of the fallback swap: it is put back rather than removed.
    """
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(staging|retired)-(\d+)-[0-9a-f]+")
    for entry in sorted(os.scandir(target.parent), key=lambda entry: entry.name):
        match = pattern.fullmatch(entry.name)
        if match is None or entry.name in _in_use or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(match.group(2))
        if pid != os.getpid() and _alive(pid):
            continue
        if match.group(1) == "retired" and not os.path.lexists(target):
            os.rename(entry.path, target)
        else:
            shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists (a run that may still be writing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except OSError:
        return True  # when in doubt, leave the folder alone
    return True


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
