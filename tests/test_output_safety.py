"""The output boundary: which folders `render`/`build` may replace, and how they replace them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MakeProject

from tooling import output
from tooling.config import Config, load_config
from tooling.diagnostics import DossierError
from tooling.output import STAMP_NAME, check_output_target, staged_directory

PROJECT = {
    "dossier.toml": '[retractions]\ndatabase = "data/retractions.csv"\n',
    "mkdocs.yml": "site_name: Test\n",
    "dossiers/a/dossier.yaml": "title: A\n",
    "templates/letter.md.j2": "{{ body }}\n",
    "data/retractions.csv": "Record ID\n",
    "notes.txt": "mine\n",
    "mine/draft.md": "mine too\n",
    ".git/HEAD": "ref: refs/heads/main\n",
}


@pytest.fixture
def config(make_project: MakeProject) -> Config:
    return load_config(make_project(PROJECT))


def snapshot(top: Path) -> dict[str, str]:
    """Every folder and file below ``top`` with a hash of its bytes: any change shows."""
    tree = {}
    for folder, folders, files in os.walk(top):
        base = Path(folder).relative_to(top)
        for name in folders:
            tree[str(base / name)] = "folder"
        for name in files:
            tree[str(base / name)] = hashlib.sha256((Path(folder) / name).read_bytes()).hexdigest()
    return tree


def write_output(staging: Path, marker: str) -> None:
    (staging / "index.html").write_text(marker, encoding="utf-8")
    (staging / "sub").mkdir()
    (staging / "sub" / "page.html").write_text(marker, encoding="utf-8")


def make_other_project(root: Path) -> Path:
    other = root.parent / "other"
    (other / "dossiers" / "x").mkdir(parents=True)
    (other / "dossiers" / "x" / "dossier.yaml").write_text("title: X\n", encoding="utf-8")
    return other


Target = Callable[[Path], Path]

REFUSED: dict[str, Target] = {
    "project root": lambda root: root,
    "project root, relative": lambda root: Path(os.path.relpath(root)),
    "ancestor of the root": lambda root: root.parent,
    "file system root": lambda root: Path("/"),
    "dossiers folder": lambda root: root / "dossiers",
    "inside the dossiers folder": lambda root: root / "dossiers" / "a" / "out",
    "templates folder": lambda root: root / "templates",
    "inside the templates folder": lambda root: root / "templates" / "out",
    "inside .git": lambda root: root / ".git" / "out",
    "folder with the retraction database": lambda root: root / "data",
    "the retraction database": lambda root: root / "data" / "retractions.csv",
    "existing file": lambda root: root / "notes.txt",
    "below an existing file": lambda root: root / "notes.txt" / "out",
    "non-empty folder without stamp": lambda root: root / "mine",
    "symlink to the dossiers": lambda root: _symlink(root / "link", root / "dossiers"),
    "other project (dossier.toml)": lambda root: _with(root.parent / "p1", "dossier.toml"),
    "other project (mkdocs.yml)": lambda root: _with(root.parent / "p2", "mkdocs.yml"),
    "other project (.git)": lambda root: _with(root.parent / "p3", ".git/HEAD"),
    "other project (dossiers/)": make_other_project,
}


def _symlink(link: Path, to: Path) -> Path:
    link.symlink_to(to, target_is_directory=True)
    return link


def _with(folder: Path, name: str) -> Path:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("x\n", encoding="utf-8")
    (folder / STAMP_NAME).write_text("stamped, but a project all the same\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", REFUSED)
def test_refused_targets_change_nothing(config: Config, case: str) -> None:
    target = REFUSED[case](config.root)
    before = snapshot(config.root.parent)
    with pytest.raises(DossierError) as info:
        check_output_target(target, config)
    error = info.value
    assert "refusing" in error.message and error.hint and "\n" not in str(error)
    ran = False
    with pytest.raises(DossierError), staged_directory(target, config):
        ran = True
    assert not ran, "the build must not even start"
    assert snapshot(config.root.parent) == before


def test_default_site_folder_without_stamp_is_upgraded(config: Config) -> None:
    # Checkouts from before the stamp have build/ and site/ without it.
    old = config.site_dir
    old.mkdir()
    (old / "index.html").write_text("old", encoding="utf-8")
    assert check_output_target(old, config) == old.resolve()
    with staged_directory(old, config) as staging:
        write_output(staging, "new")
    assert (old / "index.html").read_text(encoding="utf-8") == "new"
    assert "dossier" in (old / STAMP_NAME).read_text(encoding="utf-8")
    # The same folder elsewhere is not the configured output: refused.
    other = config.root / "elsewhere"
    other.mkdir()
    (other / "index.html").write_text("old", encoding="utf-8")
    with pytest.raises(DossierError, match=r"no \.dossier-output stamp"):
        check_output_target(other, config)


def test_default_output_folder_holding_a_project_is_refused(config: Config) -> None:
    config.output_dir.mkdir()
    (config.output_dir / "dossier.toml").write_text("", encoding="utf-8")
    with pytest.raises(DossierError, match=r"holds a project \(dossier.toml\)"):
        check_output_target(config.output_dir, config)


def test_new_folder_is_created_with_its_parents_and_stamped(config: Config) -> None:
    target = config.root / "out" / "deep" / "site"
    with staged_directory(target, config) as staging:
        assert staging.parent == target.parent
        assert staging.name.startswith(f".site.staging-{os.getpid()}-")
        write_output(staging, "new")
    assert sorted(p.name for p in target.iterdir()) == [STAMP_NAME, "index.html", "sub"]
    assert os.listdir(target.parent) == ["site"]  # no staging or old folder left behind


def test_empty_existing_folder_is_claimed(config: Config) -> None:
    target = config.root / "empty"
    target.mkdir()
    with staged_directory(target, config) as staging:
        write_output(staging, "new")
    assert (target / "index.html").read_text(encoding="utf-8") == "new"


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two renames"])
def test_stamped_folder_is_replaced(
    config: Config, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(output, "_renameat2", lambda: None)
    target = config.root / "published"
    with staged_directory(target, config) as staging:
        write_output(staging, "old")
        (staging / "only-old.html").write_text("old", encoding="utf-8")
    with staged_directory(target, config) as staging:
        write_output(staging, "new")
    assert not (target / "only-old.html").exists()
    assert (target / "sub" / "page.html").read_text(encoding="utf-8") == "new"
    assert not [name for name in os.listdir(config.root) if name.startswith(".published.")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux only")
def test_exchange_swaps_two_folders_in_one_step(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "a").write_text("1", encoding="utf-8")
    (second / "b").write_text("2", encoding="utf-8")
    if not output._exchange(first, second):
        pytest.skip("this file system cannot exchange (the two-rename fallback is used)")
    assert os.listdir(first) == ["b"] and os.listdir(second) == ["a"]


def test_crash_inside_the_block_keeps_the_old_output(config: Config) -> None:
    target = config.root / "published"
    with staged_directory(target, config) as staging:
        write_output(staging, "old")
    before = snapshot(config.root)
    with pytest.raises(RuntimeError, match="boom"), staged_directory(target, config) as staging:
        write_output(staging, "new")
        raise RuntimeError("boom")
    assert snapshot(config.root) == before


def test_failed_swap_is_a_dossier_error_and_keeps_the_old_output(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = config.root / "published"
    with staged_directory(target, config) as staging:
        write_output(staging, "old")
    before = snapshot(config.root)

    def refuse(staging: Path, target: Path) -> Path | None:
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(output, "_swap", refuse)
    with (
        pytest.raises(DossierError, match="cannot replace the output folder: Permission denied"),
        staged_directory(target, config) as staging,
    ):
        write_output(staging, "new")
    assert snapshot(config.root) == before


def test_unwritable_parent_is_refused_before_any_work(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root ignores file modes, so the refusal of os.access is simulated here; the test
    # below uses a real read-only folder when it can.
    monkeypatch.setattr(output.os, "access", lambda path, mode: False)
    with pytest.raises(DossierError, match="is not writable"):
        check_output_target(config.root / "out" / "site", config)


def test_folder_that_cannot_be_created_is_a_dossier_error(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_mkdir(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", no_mkdir)
    before = snapshot(config.root)
    with (
        pytest.raises(DossierError, match="cannot create the output folder: Permission denied"),
        staged_directory(config.root / "out" / "site", config),
    ):
        pass
    assert snapshot(config.root) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file modes")
def test_read_only_parent_is_refused(config: Config) -> None:
    parent = config.root / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        before = snapshot(config.root)
        with (
            pytest.raises(DossierError, match="is not writable"),
            staged_directory(parent / "site", config),
        ):
            pass
        assert snapshot(config.root) == before
    finally:
        parent.chmod(0o755)


def test_leftovers_of_dead_runs_are_removed(config: Config) -> None:
    target = config.root / "site"
    dead_pid = _dead_pid()
    alive_pid = os.getppid()  # whoever started the tests is still running
    leftovers = {
        f".site.staging-{dead_pid}-0a1b2c3d": True,
        f".site.retired-{dead_pid}-0a1b2c3d": True,
        f".site.staging-{os.getpid()}-99999999": True,  # our pid, but not ours: reused
        f".site.staging-{alive_pid}-0a1b2c3d": False,  # may be a build that is running
        f".build.staging-{dead_pid}-0a1b2c3d": False,  # another output's business
        ".site.previous": False,  # not our name
    }
    for name in leftovers:
        (config.root / name / "sub").mkdir(parents=True)
        (config.root / name / "sub" / "page.html").write_text("half", encoding="utf-8")
    with staged_directory(target, config) as staging:
        write_output(staging, "new")
    for name, removed in leftovers.items():
        assert (config.root / name).exists() is not removed, name
    assert (target / "index.html").read_text(encoding="utf-8") == "new"


def test_mount_point_is_refused_before_any_work(config: Config) -> None:
    mount = next((Path(p) for p in ("/proc", "/sys", "/dev") if os.path.ismount(p)), None)
    if mount is None:
        pytest.skip("no mount point to try")
    with pytest.raises(DossierError, match="mount point"):
        check_output_target(mount, config)


def test_old_output_of_a_run_killed_between_the_two_renames_is_restored(config: Config) -> None:
    # Without renameat2 a kill between the renames leaves the old output only under its
    # retired name; the next run puts it back (here the next run fails, so it stays).
    retired = config.root / f".site.retired-{_dead_pid()}-0a1b2c3d"
    retired.mkdir()
    (retired / "index.html").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), staged_directory(config.site_dir, config):
        raise RuntimeError("the check failed")
    assert (config.site_dir / "index.html").read_text(encoding="utf-8") == "old"
    assert not retired.exists()


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)
