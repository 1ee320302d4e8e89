"""Shared fixtures: throwaway projects, the valid base dossier and an in-process CLI runner."""

from __future__ import annotations

import importlib.util
import itertools
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from tooling.cli import main

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROJECT_PARTS = ("dossiers", "templates", "data", "dossier.toml", "mkdocs.yml")
BASE = FIXTURES / "base"
BASE_DIR = "dossiers/base"
"""Where `base_dossier` puts the base fixture inside a project (also its display path)."""

Files = dict[str, str | bytes]
MakeProject = Callable[[Mapping[str, str | bytes]], Path]
RunCli = Callable[..., tuple[int, str, str]]
BaseDossier = Callable[..., Path]


def load_bench(name: str) -> ModuleType:
    """bench/<name>.py as the module ``bench_<name>`` (bench/site.py would shadow ``site``)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def copy_project(target: Path) -> Path:
    """A copy of the parts of this repository a build reads, to change without harm."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        elif source.exists():
            shutil.copy2(source, target / part)
    return target


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project built once per test run (`dossier build`): the site folder.

    Shared by the site and browser tests; they only read it.
    """
    project = copy_project(tmp_path_factory.mktemp("built") / "project")
    out = project / "site"
    code = main(["--root", str(project), "build", "--quiet", "-o", str(out)])
    assert code == 0, "the example project must build"
    return out


def base_files(prefix: str = BASE_DIR) -> Files:
    """The files of tests/fixtures/base as a dict ``{project path: text}``, ready to mutate."""
    return {
        f"{prefix}/{path.relative_to(BASE).as_posix()}": path.read_text(encoding="utf-8")
        for path in sorted(BASE.rglob("*"))
        if path.is_file()
    }


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write ``{relative path: text or bytes}`` under ``root``; a value of None is skipped."""
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Factory: write a throwaway project from ``{path: text | bytes}`` and return its root.

    Each call gets a fresh folder under ``tmp_path``. A ``dossier.toml`` is written only when
    the files include one; without it, the project root is simply the folder itself.
    """
    counter = itertools.count()

    def make(files: Mapping[str, str | bytes]) -> Path:
        root = tmp_path / f"project{next(counter)}"
        root.mkdir()
        write_files(root, files)
        return root

    return make


@pytest.fixture
def base_dossier(make_project: MakeProject) -> BaseDossier:
    """Factory: a project holding a copy of tests/fixtures/base under ``dossiers/base``.

    ``overrides`` replace (or add) files, by project path; ``drop`` removes files.
    """

    def make(overrides: Mapping[str, str | bytes] | None = None, drop: Sequence[str] = ()) -> Path:
        files = base_files()
        files.update(overrides or {})
        for name in drop:
            del files[name]
        return make_project(files)

    return make


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run ``dossier <args>`` in-process in ``cwd`` (with ``--root cwd``).

    Returns (exit code, stdout, stderr). argparse's own exits (usage errors) are caught and
    returned like any other exit code.
    """

    def run(args: Sequence[str], cwd: Path | None = None) -> tuple[int, str, str]:
        argv = list(args)
        if cwd is not None:
            monkeypatch.chdir(cwd)
            argv = ["--root", str(cwd), *argv]
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run
