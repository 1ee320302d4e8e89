"""`processes.on_two_cores`: the same results as a loop, with a forked partner doing half."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO, base_files, write_files

from tooling import processes
from tooling.config import load_config
from tooling.pipeline import check, render
from tooling.site import pages

two_cores = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs Linux with 2 cores",
)


@two_cores
def test_the_results_are_the_loops_in_order_and_half_come_from_the_partner() -> None:
    here = os.getpid()
    results = processes.on_two_cores(lambda n: (n * n, os.getpid() != here), range(41))
    assert [square for square, _ in results] == [n * n for n in range(41)]
    assert [n for n, (_, there) in enumerate(results) if there] == list(range(1, 41, 2))


def test_few_items_are_done_here() -> None:
    here = os.getpid()
    assert processes.on_two_cores(lambda n: os.getpid() == here, range(39)) == [True] * 39


class Refused(Exception):
    pass


@two_cores
@pytest.mark.parametrize("bad", [6, 7])  # an item of this process, one of the partner's
def test_a_failure_on_either_side_is_raised_here(bad: int) -> None:
    def work(n: int) -> int:
        if n == bad:
            raise Refused(f"item {n}")
        return n

    with pytest.raises(Refused, match=f"item {bad}"):
        processes.on_two_cores(work, range(50))


@two_cores
def test_a_partner_that_dies_is_an_error() -> None:
    here = os.getpid()

    def work(n: int) -> int:
        if os.getpid() != here:
            os._exit(9)  # as when the kernel kills it
        return n

    with pytest.raises(RuntimeError, match="second process ended"):
        processes.on_two_cores(work, range(50))


@two_cores
def test_the_site_pages_are_the_same_on_two_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {}
    for name in ("base", "tweede", "derde", "vierde"):
        files.update(base_files(f"dossiers/{name}"))
    write_files(tmp_path, files)
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    checked = check(load_config(tmp_path))
    serial = render(checked).pages
    shared: list[int] = []

    def on_two_cores(work: object, items: list[object]) -> object:
        shared.append(len(items))
        return processes.on_two_cores(work, items, at_least=1)  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "on_two_cores", on_two_cores)
    assert render(checked).pages == serial
    assert shared == [3]  # the first dossier here, the other three shared
