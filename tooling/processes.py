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
import signal
import sys

__all__ = ["die_with_parent"]

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
