"""Faults: a command killed with SIGKILL at the worst moments, and helpers that outlive it.

Each test runs a small script in a subprocess, waits until it reports that it reached a
given moment, kills it with SIGKILL (nothing in Python runs any more) and looks at what is
left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import MakeProject

from tooling.config import load_config
from tooling.output import STAMP_NAME, staged_directory

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and fork semantics")

OLD = {f"page-{n}.html": "old" for n in range(5)}
NEW = {f"page-{n}.html": "new" for n in range(8)}

# Stages a new output over root/site and stops (prints "ready", sleeps) at one moment.
STAGE = textwrap.dedent(
    """
    import os, shutil, sys, time
    from pathlib import Path
    from tooling import output
    from tooling.config import load_config

    root, moment = Path(sys.argv[1]), sys.argv[2]

    def pause(at):
        if at == moment:
            print("ready", flush=True)
            time.sleep(60)

    exchange, rmtree = output._exchange, shutil.rmtree

    def slow_exchange(first, second):
        pause("before-swap")
        done = exchange(first, second)
        pause("after-exchange")
        return done

    def slow_rmtree(path, *args, **kwargs):
        # Remove part of the old output, then stop: a kill in the middle of the removal.
        victims = sorted(Path(path).glob("page-*"))
        if victims and moment == "removing-old":
            victims[0].unlink()
        pause("removing-old")
        rmtree(path, *args, **kwargs)

    rename = os.rename

    def slow_rename(source, destination):
        rename(source, destination)
        if ".retired-" in str(destination):
            pause("between-renames")

    output._exchange, shutil.rmtree = slow_exchange, slow_rmtree
    if moment == "between-renames":  # the fallback without renameat2
        output._renameat2, os.rename = (lambda: None), slow_rename
    with output.staged_directory(root / "site", load_config(root)) as staging:
        for n in range(8):
            (staging / f"page-{n}.html").write_text("new")
            if n == 3:
                pause("writing")
    """
)


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir() if p.name != STAMP_NAME}


def run_until(args: list[str], moment_reached: str = "ready") -> subprocess.Popen[str]:
    """Start ``python args`` and wait until it prints ``moment_reached``."""
    process = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line == moment_reached, f"the script ended early (exit {process.poll()})"
    return process


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(5)
    assert process.stdout is not None
    process.stdout.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="atomic only with renameat2")
@pytest.mark.parametrize("moment", ["writing", "before-swap", "after-exchange", "removing-old"])
def test_killed_build_leaves_a_complete_old_or_new_output(
    make_project: MakeProject, tmp_path: Path, moment: str
) -> None:
    root = make_project({"dossier.toml": ""})
    config = load_config(root)
    with staged_directory(root / "site", config) as staging:
        for name, text in OLD.items():
            (staging / name).write_text(text)
    script = tmp_path / "stage.py"
    script.write_text(STAGE)

    kill(run_until([str(script), str(root), moment]))

    expected = NEW if moment in ("after-exchange", "removing-old") else OLD
    assert contents(root / "site") == expected
    assert (root / "site" / STAMP_NAME).is_file()
    assert [p.name for p in root.iterdir() if p.name.startswith(".site.")], "a leftover"
    # The next run cleans up what the killed one left.
    with staged_directory(root / "site", config) as staging:
        (staging / "index.html").write_text("next")
    assert sorted(p.name for p in root.iterdir()) == ["dossier.toml", "site"]


def test_kill_between_the_fallback_renames_is_repaired_by_the_next_run(
    make_project: MakeProject, tmp_path: Path
) -> None:
    # Without renameat2 (not Linux, or a file system that cannot exchange) there is a
    # moment without output; the old one is under its retired name and the next run puts
    # it back, even when that run fails.
    root = make_project({"dossier.toml": ""})
    config = load_config(root)
    with staged_directory(root / "site", config) as staging:
        for name, text in OLD.items():
            (staging / name).write_text(text)
    script = tmp_path / "stage.py"
    script.write_text(STAGE)

    kill(run_until([str(script), str(root), "between-renames"]))

    assert not (root / "site").exists()
    with pytest.raises(RuntimeError), staged_directory(root / "site", config):
        raise RuntimeError("the check failed")
    assert contents(root / "site") == OLD


def _state(pid: int) -> str:
    """A process's state letter from /proc ("Z" zombie), or "" when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _wait_gone(pid: int, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _state(pid) in ("", "Z", "X"):
            return True
        time.sleep(0.02)
    return False


# A parent that starts one child and reports its pid; the child sleeps.
PARENT = textwrap.dedent(
    """
    import os, subprocess, sys
    child = subprocess.Popen(
        [sys.executable, "-c", sys.argv[1], str(os.getpid())], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "child ready"
    print(child.pid, flush=True)
    child.wait()
    """
)
CHILD = textwrap.dedent(
    """
    import sys, time
    from tooling.processes import die_with_parent
    {call}
    print("child ready", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
@pytest.mark.parametrize("protected", [True, False], ids=["die_with_parent", "control"])
def test_child_dies_with_its_killed_parent(protected: bool) -> None:
    call = "die_with_parent(int(sys.argv[1]))" if protected else "pass"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD.format(call=call)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        kill(parent)
        if protected:
            assert _wait_gone(child), "the child outlived its parent"
        else:  # without it the child lives on: the test above would notice a regression
            assert not _wait_gone(child, 0.3)
    finally:
        if _state(child) not in ("", "Z", "X"):
            os.kill(child, signal.SIGKILL)


def test_child_whose_parent_died_before_the_call_ends_itself() -> None:
    # The pid it was told is not its parent: the parent it knew is gone already.
    code = "import os; from tooling.processes import die_with_parent; "
    code += "die_with_parent(os.getppid() + 1_000_000); print('still here')"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=False,
    )
    assert done.returncode == -signal.SIGKILL
    assert "still here" not in done.stdout


def test_die_with_parent_keeps_a_child_of_a_living_parent() -> None:
    code = "import os; from tooling.processes import die_with_parent; "
    code += "die_with_parent(os.getppid()); print('still here')"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=True,
    )
    assert done.stdout.strip() == "still here"


# render_many on a template that never finishes; prints the worker's pid.
PDF_PARENT = textwrap.dedent(
    """
    import multiprocessing, sys, threading, time
    from pathlib import Path
    from tooling.pdf import render_many

    def report():
        while not multiprocessing.active_children():
            time.sleep(0.01)
        print(multiprocessing.active_children()[0].pid, flush=True)

    if __name__ == "__main__":
        slow = Path(sys.argv[1])
        slow.write_text("#for i in range(100000) { for j in range(100000) { } }\\n$body$\\n")
        threading.Thread(target=report, daemon=True).start()
        render_many([("---\\ntitle: x\\n---\\n\\nx\\n", slow)], workers=1, timeout=60)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_pdf_worker_dies_with_the_killed_command(tmp_path: Path) -> None:
    script = tmp_path / "render.py"
    script.write_text(PDF_PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "slow.typst")],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    try:
        kill(parent)
        assert _wait_gone(worker), "the PDF worker outlived the command"
    finally:
        if _state(worker) not in ("", "Z", "X"):
            os.kill(worker, signal.SIGKILL)
