"""The benchmark corpus at small scale, and the fast paths checked against their references.

bench/corpus.py writes dossiers, BibTeX files and a Retraction Watch CSV together with the
answer key; `dossier check` must reproduce that key, with one process or two. The faster
code paths a large check relies on (the position tree of yamlsource, the BibTeX scanner,
the helper processes) are compared here with the straightforward code they replace.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import load_bench

from tooling.bibliography import _parse_with_bibtexparser, parse_bibliography
from tooling.cli import main
from tooling.config import load_config
from tooling.pipeline import check
from tooling.yamlsource import SourceMap, load_yaml

REPO = Path(__file__).resolve().parent.parent


corpus = load_bench("corpus")


# 8 dossiers x 4 indications, 80 references (a quarter with records), 400 CSV rows.
SMALL = {
    "dossiers": 8,
    "indications": 4,
    "references": 80,
    "retraction_rows": 400,
    "seed": 7,
    "matched_share": 0.25,
}


@pytest.fixture(scope="module")
def info(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return corpus.generate_corpus(tmp_path_factory.mktemp("corpus"), **SMALL)


def test_generator_is_deterministic(info: Any, tmp_path: Path) -> None:
    again = corpus.generate_corpus(tmp_path, **SMALL)
    files = sorted(p.relative_to(info.root) for p in info.root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    for name in files:
        assert (info.root / name).read_bytes() == (tmp_path / name).read_bytes(), name
    assert again.flagged == info.flagged and again.cleared == info.cleared


def test_answer_key_covers_every_scenario(info: Any) -> None:
    assert info.retraction_rows == 400
    assert len(info.bib_paths) == 8 and len(info.doi_by_key) == 80
    assert set(info.flagged) | info.cleared == info.any_record
    assert not set(info.flagged) & info.cleared
    assert set(info.flagged.values()) == {"Retraction", "Correction", "Expression of concern"}
    assert info.cleared  # some retractions were reinstated


@pytest.fixture(scope="module")
def serial(info: Any) -> Any:
    return check(load_config(info.root), jobs=1)


def test_check_reproduces_the_answer_key(info: Any, serial: Any) -> None:
    assert serial.errors == []
    flagged = {
        info.doi_by_key[key]: notice.nature.value
        for dossier in serial.loaded
        for key, notice in dossier.flags.items()
    }
    assert flagged == info.flagged
    summary = serial.summary()
    assert (summary["dossiers"], summary["indications"], summary["references"]) == (8, 32, 80)
    assert summary["retraction_database"]["records"] == 400


@pytest.mark.parametrize("jobs", [2, 3])
def test_helper_processes_give_the_same_result(info: Any, serial: Any, jobs: int) -> None:
    parallel = check(load_config(info.root), jobs=jobs)
    assert parallel.findings == serial.findings
    assert parallel.snapshot == serial.snapshot
    assert [d.slug for d in parallel.loaded] == [d.slug for d in serial.loaded]
    for ours, theirs in zip(parallel.loaded, serial.loaded, strict=True):
        assert ours.model == theirs.model
        assert (
            ours.model is not None and ours.model.model_fields_set == theirs.model.model_fields_set
        )
        assert ours.references == theirs.references and ours.flags == theirs.flags
        assert ours.citations == theirs.citations and ours.prose == theirs.prose
        assert ours.source == theirs.source


def test_benchmark_reads_the_flags_from_the_cli_output(
    info: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bench_check = load_bench("check")
    code = main(["--root", str(info.root), "check", "--format", "json"])
    output = capsys.readouterr().out
    assert code == 0
    flagged, count = bench_check.flagged_from_check(output, info)
    assert flagged == info.flagged and count == len(flagged)
    assert json.loads(output)["summary"]["errors"] == 0


# --- fast paths against their references ----------------------------------------------------


def reference_positions(text: str) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Positions by path as the first yamlsource recorded them, walking PyYAML's nodes."""
    values: dict[Any, Any] = {}
    keys: dict[Any, Any] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                keys[(*path, key_node.value)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                walk(value_node, (*path, key_node.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    walk(yaml.compose(text, Loader=yaml.SafeLoader), ())
    return values, keys


def yaml_files(info: Any) -> Iterator[Path]:
    yield from sorted(REPO.glob("dossiers/*/dossier.yaml"))
    yield from sorted(REPO.glob("tests/fixtures/*/dossier.yaml"))
    yield from sorted(info.dossiers_dir.glob("*/dossier.yaml"))[:2]


def test_position_tree_matches_the_reference(info: Any) -> None:
    for path in yaml_files(info):
        text = path.read_text(encoding="utf-8")
        _, source = load_yaml(text, str(path))
        values, keys = reference_positions(text)
        assert source.values == values and source.keys == keys, path
        flat = SourceMap(str(path), values, keys)
        revived = pickle.loads(pickle.dumps(source))
        probes = (
            [list(p) for p in values]
            + [[*p, "no-such-key"] for p in list(values)[:50]]
            + [["function-after[x]", *p] for p in list(values)[:50]]
            + [[], [99], ["title", 0]]
        )
        for probe in probes:
            for key in (False, True):
                expected = flat.locate(probe, key=key)
                assert source.locate(probe, key=key) == expected, (path, probe, key)
                assert revived.locate(probe, key=key) == expected, (path, probe, key)


def test_bibtex_scanner_matches_bibtexparser_on_the_corpus(info: Any) -> None:
    for path in info.bib_paths[:3]:
        text = path.read_text(encoding="utf-8")
        assert parse_bibliography(text, "x.bib") == _parse_with_bibtexparser(text, "x.bib")


def test_without_the_dossiers_the_findings_and_counts_are_the_same(info: Any, serial: Any) -> None:
    light = check(load_config(info.root), jobs=2, keep=False)
    assert light.dossiers == ()
    assert light.findings == serial.findings and light.summary() == serial.summary()


def test_a_helper_that_dies_leaves_its_work_to_this_process(
    info: Any, serial: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import tooling.check_processes

    parent = os.getpid()
    real = tooling.check_processes.load_dossier

    def die_in_a_helper(*args: Any) -> Any:
        if os.getpid() != parent:
            os._exit(3)  # as when the kernel kills a helper that ran out of memory
        return real(*args)

    monkeypatch.setattr(tooling.check_processes, "load_dossier", die_in_a_helper)
    parallel = check(load_config(info.root), jobs=2)
    assert parallel.findings == serial.findings
    assert [d.slug for d in parallel.loaded] == [d.slug for d in serial.loaded]
    assert parallel.summary() == serial.summary()
