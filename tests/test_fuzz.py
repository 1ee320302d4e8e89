"""Property tests: whatever happens to a valid dossier, `dossier check` answers without crashing.

Mutations of the YAML text (garbage, raw bytes, duplicated, deleted, swapped or re-indented
lines, truncation, swapped dates, renamed keys) and of the parsed structure (deleted keys,
values of another type, renamed keys, swapped dates) must give exit code 0, 1 or 2, never an
exception, and every finding in dossier.yaml must point at a line of the file.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import string
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BASE_DIR, MakeProject, base_files, write_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tooling.cli import main

Y = f"{BASE_DIR}/dossier.yaml"
B = f"{BASE_DIR}/references.bib"
L = f"{BASE_DIR}/brief.md"
BASE = base_files()
BASE_TEXT = str(BASE[Y])
BASE_TREE = yaml.safe_load(BASE_TEXT)
BASE_LINES = BASE_TEXT.splitlines(keepends=True)
DATE = re.compile(r"\b\d{4}(?:-\d{2}(?:-\d{2})?)?\b")
KEY = re.compile(r"^( *(?:- )?)([A-Za-z_]+):", re.MULTILINE)
KEYS = sorted({m.group(2) for m in KEY.finditer(BASE_TEXT)})

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Control characters are left out (of text and of raw bytes): a YAML ReaderError still loses its
# line (see the xfail case 'control-character' in test_malformed.py); add them back once fixed.
garbage_text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
        st.sampled_from("\t\n\r :-[]{}#&*!|>'\"%@`,?\\"),
    ),
    min_size=1,
    max_size=12,
)
any_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=15),
    st.dates(),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.sampled_from(KEYS), st.text(max_size=5), max_size=2),
)
new_key = st.one_of(
    st.sampled_from(KEYS),
    st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=10),
)


def run_check(root: Path, shown: str | bytes) -> tuple[int, list[dict[str, Any]], str]:
    """`dossier check --format json` in-process; any escaping exception fails with the input."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--root", str(root), "check", "--format", "json"])
    except BaseException as exc:  # every escape is a bug, SystemExit and RecursionError too
        pytest.fail(f"{type(exc).__name__}: {exc}\n--- mutated input ---\n{shown!r}")
    assert code in {0, 1, 2}, shown
    assert "Traceback" not in out.getvalue() + err.getvalue()
    if code == 2:
        assert err.getvalue().startswith("dossier: "), err.getvalue()
        return code, [], err.getvalue()
    return code, json.loads(out.getvalue())["findings"], err.getvalue()


def assert_located(findings: list[dict[str, Any]], files: dict[str, str | bytes]) -> None:
    """Every finding has a path; those in dossier.yaml point at a line the file has."""
    content = files.get(Y, b"")
    line_count = (content.count("\n") if isinstance(content, str) else content.count(b"\n")) + 1
    for finding in findings:
        location = finding["location"]
        assert location["path"], finding
        if location["path"] == Y:
            # libyaml marks an error at the end of a file without a final newline one line
            # past the last line; an editor still lands at the end, so that one is allowed.
            assert 1 <= location["line"] <= line_count + 1, (finding, content)
            assert location["column"] >= 1, (finding, content)


def check_files(root: Path, files: dict[str, str | bytes], shown: str | bytes) -> int:
    write_files(root, files)
    code, findings, _ = run_check(root, shown)
    assert_located(findings, files)
    if code == 0:
        assert all(f["severity"] == "warning" for f in findings)
    return code


@pytest.fixture
def project(make_project: MakeProject) -> Path:
    return make_project(BASE)


# --- mutations of the text ------------------------------------------------------------------------


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> str | bytes:
    lines = text.splitlines(keepends=True)
    kind = draw(
        st.sampled_from(
            [
                "insert",
                "bytes",
                "delete-line",
                "duplicate-line",
                "swap-lines",
                "truncate",
                "swap-dates",
                "rename-key",
                "indent",
                "replace-value",
            ]
        )
    )
    position = draw(st.integers(0, max(len(text) - 1, 0)))
    index = draw(st.integers(0, max(len(lines) - 1, 0)))
    if kind == "insert":
        return text[:position] + draw(garbage_text) + text[position:]
    if kind == "bytes":
        raw = text.encode("utf-8")
        cut = min(position, len(raw))
        junk = draw(st.lists(st.integers(0x80, 0xFF), min_size=1, max_size=4))  # no controls
        return raw[:cut] + bytes(junk) + raw[cut:]
    if kind == "delete-line" and lines:
        del lines[index]
    elif kind == "duplicate-line" and lines:
        lines.insert(index, lines[index])
    elif kind == "swap-lines" and len(lines) > 1:
        other = draw(st.integers(0, len(lines) - 1))
        lines[index], lines[other] = lines[other], lines[index]
    elif kind == "truncate":
        return text[:position]
    elif kind == "swap-dates":
        dates = list(DATE.finditer(text))
        if len(dates) > 1:
            a, b = sorted(
                draw(st.lists(st.sampled_from(dates), min_size=2, max_size=2, unique=True)),
                key=lambda m: m.start(),
            )
            return (
                text[: a.start()]
                + b.group()
                + text[a.end() : b.start()]
                + a.group()
                + text[b.end() :]
            )
    elif kind == "rename-key":
        keys = list(KEY.finditer(text))
        if keys:
            m = draw(st.sampled_from(keys))
            return text[: m.start(2)] + draw(new_key) + text[m.end(2) :]
    elif kind == "indent" and lines:
        line = lines[index]
        lines[index] = (
            (" " * draw(st.integers(1, 3)) + line) if draw(st.booleans()) else line.lstrip(" ")
        )
    elif kind == "replace-value" and lines and ": " in lines[index]:
        head = lines[index].split(": ", 1)[0]
        lines[index] = f"{head}: {draw(garbage_text)}\n"
    return "".join(lines)


@FUZZ
@given(data=st.data())
def test_text_mutations_never_crash(data: st.DataObject, project: Path) -> None:
    content: str | bytes = BASE_TEXT
    for _ in range(data.draw(st.integers(1, 3), label="rounds")):
        if isinstance(content, bytes):
            break
        content = data.draw(text_mutation(content))
    files = {**BASE, Y: content}
    check_files(project, files, content)


# --- mutations of the structure -------------------------------------------------------------------


def walk(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Paths of every value below the root."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*path, i)
            yield from walk(value, (*path, i))


def parent_of(tree: Any, path: tuple[str | int, ...]) -> Any:
    node = tree
    for part in path[:-1]:
        node = node[part]
    return node


def dates_in(tree: Any) -> list[tuple[str | int, ...]]:
    return [p for p in walk(tree) if isinstance(parent_of(tree, p)[p[-1]], dt.date)]


@FUZZ
@given(data=st.data())
def test_structure_mutations_never_crash(data: st.DataObject, project: Path) -> None:
    tree = copy.deepcopy(BASE_TREE)
    for _ in range(data.draw(st.integers(1, 3), label="rounds")):
        paths = list(walk(tree))
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        parent, last = parent_of(tree, path), path[-1]
        kind = data.draw(st.sampled_from(["delete", "retype", "rename", "swap-dates", "duplicate"]))
        if kind == "delete":
            del parent[last]
        elif kind == "retype":
            parent[last] = data.draw(any_value, label="value")
        elif kind == "rename" and isinstance(parent, dict):
            value = parent.pop(last)
            parent[data.draw(new_key, label="key")] = value
        elif kind == "swap-dates":
            dates = dates_in(tree)
            if len(dates) > 1:
                a, b = data.draw(
                    st.lists(st.sampled_from(dates), min_size=2, max_size=2, unique=True)
                )
                pa, pb = parent_of(tree, a), parent_of(tree, b)
                pa[a[-1]], pb[b[-1]] = pb[b[-1]], pa[a[-1]]
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(int(last), copy.deepcopy(parent[last]))
    text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    files = {**BASE, Y: text}
    check_files(project, files, text)


# --- the other inputs -----------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_bibliography_and_letter_mutations_never_crash(data: st.DataObject, project: Path) -> None:
    target = data.draw(st.sampled_from([B, L]), label="file")
    content = data.draw(text_mutation(str(BASE[target])))
    files = {**BASE, target: content}
    check_files(project, files, content)


def test_fuzz_inputs_start_valid(project: Path) -> None:
    """The mutations start from a dossier the check accepts without findings."""
    code, findings, _ = run_check(project, BASE_TEXT)
    assert (code, findings) == (0, [])
