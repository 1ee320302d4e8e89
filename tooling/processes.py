"""Helper processes that never outlive the command that started them.

A `dossier build` starts helper processes (PDF workers, the MkDocs process, check helpers).
When the command is killed with SIGKILL (an impatient CI job, the OOM killer) nothing in
Python runs any more to stop them, and they would keep the CPU busy or hold files in the
output folder. On Linux the kernel can send a child a signal when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); :func:`die_with_parent` asks for SIGKILL. Elsewhere it only
performs the check for a parent that is already gone.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["die_with_parent", "on_two_cores"]

T = TypeVar("T")
R = TypeVar("R")

# From <linux/prctl.h>; stable kernel ABI.
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> None:
    """Make this process receive SIGKILL as soon as its parent dies.

    Call it first thing in every helper process. The kernel watches the *thread* that
    started the child: start helpers from a thread that lives as long as the command (the
    main thread), or they are killed when that thread ends.

    Args:
        parent_pid: The pid of the process that started this one, as that process saw
            itself (``os.getpid()`` passed along). The parent may have died before this
            call; then the death signal would never come, and this process kills itself
            when it finds another parent (it was adopted by init or a subreaper). ``None``
            skips that check.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            # A failure (seccomp filters, exotic libc) leaves only the parent check below:
            # a helper that may outlive its command is better than no helper at all.
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    # Checked after prctl: if the parent dies later, the kernel sends the signal; if it
    # died before, we were reparented and getppid() tells.
    if parent_pid is not None and os.getppid() != parent_pid:
        if hasattr(signal, "SIGKILL"):  # the same end as the kernel's signal would bring
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(1)  # Windows has no SIGKILL


def on_two_cores(work: Callable[[T], R], items: Sequence[T], *, at_least: int = 40) -> list[R]:
    """``[work(item) for item in items]``, with a forked partner taking every other item.

    For pure work on many items (a site's pages from their views): the partner inherits
    everything this process has (nothing is sent to it), computes its items and sends the
    results back, pickled, while this process computes the others. The partner dies with
    this process and ends with ``os._exit`` (no cleanup of this process's state runs twice).
    Serial, in this process, where forking is unsafe or not worth it: fewer than
    ``at_least`` items, one core, not Linux, or other threads running. A failure in the
    partner is raised here as it was raised there, or as a RuntimeError when it died.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = 1
    if len(items) < at_least or cores < 2 or threading.active_count() > 1:
        return [work(item) for item in items]
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the partner: every other item, from the second
        os.close(read_end)
        status = 0
        try:
            die_with_parent(parent)
            try:
                outcome: tuple[bool, object] = (True, [work(item) for item in items[1::2]])
            except Exception as exc:  # sent to the parent, raised there
                outcome = (False, exc)
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(outcome, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        mine = [work(item) for item in items[0::2]]
    except BaseException:
        os.close(read_end)
        os.kill(pid, signal.SIGKILL)  # its results are of no use now
        os.waitpid(pid, 0)
        raise
    try:
        with os.fdopen(read_end, "rb") as pipe:
            try:
                ok, theirs = pickle.load(pipe)
            except (EOFError, pickle.UnpicklingError):
                raise RuntimeError("the second process ended without its results") from None
    finally:
        os.waitpid(pid, 0)
    if not ok:
        assert isinstance(theirs, BaseException)
        raise theirs
    results: list[R] = []
    for index in range(len(items)):
        results.append(mine[index // 2] if index % 2 == 0 else theirs[index // 2])
    return results
