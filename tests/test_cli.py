"""The `dossier` command line: output formats, summary counts, schema, scaffolding, exit codes."""

from __future__ import annotations

import hashlib
import json
import re

from conftest import BASE_DIR, BaseDossier, MakeProject, RunCli, base_files

from tooling.model import Dossier

Y = f"{BASE_DIR}/dossier.yaml"
B = f"{BASE_DIR}/references.bib"
FINDING_LINE = re.compile(
    r"^(?P<path>[^:\s]+)(?::(?P<line>\d+)(?::(?P<column>\d+))?)?: "
    r"(?P<code>[a-z][a-z0-9-]*) (?P<severity>error|warning): (?P<message>.+)$"
)
CSV_HEADER = (
    "Record ID,Title,Subject,Institution,Journal,Publisher,Country,Author,URLS,ArticleType,"
    "RetractionDate,RetractionDOI,RetractionPubMedID,OriginalPaperDate,OriginalPaperDOI,"
    "OriginalPaperPubMedID,RetractionNature,Reason,Paywalled,Notes\n"
)
CSV_ROW = (
    '9001,"Stimulatie van de nervus exemplaris",(HSC) Medicine,Fictief Instituut,'
    "Tijdschrift voor Voorbeeldgeneeskunde,Voorbeeld Uitgevers,Netherlands,Anna Jansen,,"
    "Research Article;,3/14/2023 0:00,10.5555/fictief.notice.001,0,1/15/2020 0:00,"
    "10.5555/FICTIEF.2020.001,0,Retraction,+Concerns/Issues About Data;,No,\n"
)


def broken_files() -> dict[str, str | bytes]:
    """The base dossier with one error (unknown reference) and one warning (unused reference)."""
    files = base_files()
    files[Y] = str(files[Y]).replace("evidence: [bakker2018]", "evidence: [bakker2081]")
    files[B] = str(files[B]) + "\n@misc{ongebruikt,\n  title = {Ongebruikt},\n}\n"
    return files


def place(files: dict[str, str | bytes], path: str, marker: str) -> str:
    """``path:line:column`` of the first occurrence of ``marker`` in a file."""
    text = str(files[path])
    index = text.index(marker)
    line = text.count("\n", 0, index) + 1
    return f"{path}:{line}:{index - text.rfind(chr(10), 0, index)}"


# --- text output ----------------------------------------------------------------------------------


def test_text_output_format(make_project: MakeProject, run_cli: RunCli) -> None:
    files = broken_files()
    code, out, err = run_cli(["check"], cwd=make_project(files))
    assert (code, err) == (1, "")
    *finding_lines, summary = out.splitlines()
    assert len(finding_lines) == 2
    for line in finding_lines:
        assert FINDING_LINE.match(line), line
    assert finding_lines == [
        f"{place(files, Y, 'bakker2081')}: unknown-reference error: conclusion "
        "'testpijn-kinderen-2021' cites 'bakker2081', which is not in dossiers/base/references.bib "
        "(add the entry or fix the key)",
        f"{place(files, B, '@misc{ongebruikt')}: unused-reference warning: "
        "reference 'ongebruikt' is never cited",
    ]
    assert summary.startswith(
        "1 dossier, 1 indication (1 subgroup), 4 references (0 flagged); 1 error, 1 warning"
    )


def test_schema_errors_count_nothing_else(make_project: MakeProject, run_cli: RunCli) -> None:
    files = base_files()
    files[Y] = str(files[Y]).replace("verdict: meets", "verdikt: meets")
    code, out, _ = run_cli(["check"], cwd=make_project(files))
    assert code == 1
    assert f"{place(files, Y, 'verdikt')}: unknown-key error: unknown key 'verdikt'" in out
    # A dossier that fails the schema is counted, but its indications and references are not.
    assert out.splitlines()[-1].startswith(
        "1 dossier, 0 indications, 0 references (0 flagged); 2 errors"
    )


def test_findings_are_sorted_by_place(make_project: MakeProject, run_cli: RunCli) -> None:
    _, out, _ = run_cli(["check", "--format", "json"], cwd=make_project(broken_files()))
    places = [
        (f["location"]["path"], f["location"]["line"], f["location"]["column"])
        for f in json.loads(out)["findings"]
    ]
    assert places == sorted(places)


def test_quiet_prints_errors_only(make_project: MakeProject, run_cli: RunCli) -> None:
    code, out, _ = run_cli(["check", "--quiet"], cwd=make_project(broken_files()))
    assert code == 1
    assert " error: " in out
    assert " warning: " not in out.splitlines()[0]
    assert "unused-reference" not in out


def test_warnings_alone_exit_zero(make_project: MakeProject, run_cli: RunCli) -> None:
    files = base_files()
    files[B] = str(files[B]) + "\n@misc{ongebruikt,\n  title = {Ongebruikt},\n}\n"
    code, out, _ = run_cli(["check"], cwd=make_project(files))
    assert code == 0
    assert "0 errors, 1 warning" in out


# --- the summary line -----------------------------------------------------------------------------


def test_summary_line_counts(base_dossier: BaseDossier, run_cli: RunCli) -> None:
    code, out, _ = run_cli(["check"], cwd=base_dossier())
    assert code == 0
    assert out == (
        "1 dossier, 1 indication (1 subgroup), 3 references (0 flagged); 0 errors, 0 warnings; "
        "checked against no retraction database configured\n"
    )


def test_summary_counts_every_dossier(make_project: MakeProject, run_cli: RunCli) -> None:
    files = {**base_files(), **base_files("dossiers/tweede")}
    code, out, _ = run_cli(["check"], cwd=make_project(files))
    assert code == 0
    assert out.startswith(
        "2 dossiers, 2 indications (2 subgroups), 6 references (0 flagged); 0 errors"
    )


def test_summary_names_the_retraction_snapshot(make_project: MakeProject, run_cli: RunCli) -> None:
    csv = CSV_HEADER + CSV_ROW
    files = {
        **base_files(),
        "dossier.toml": '[retractions]\ndatabase = "data/rw.csv"\nsnapshot_date = "2026-01-01"\n',
        "data/rw.csv": csv,
    }
    code, out, _ = run_cli(["check"], cwd=make_project(files))
    digest = hashlib.sha256(csv.encode("utf-8")).hexdigest()
    summary = out.splitlines()[-1]
    assert "3 references (1 flagged)" in summary
    assert (
        f"checked against retraction database data/rw.csv (2026-01-01, sha256 {digest[:12]})"
        in summary
    )
    # jansen2020 is retracted, devries2019 still stands: flagged, not an error.
    assert code == 0
    assert "flagged-evidence warning: conclusion 'testpijn-2021' cites 'jansen2020'" in out


def test_pinned_sha256_is_accepted(make_project: MakeProject, run_cli: RunCli) -> None:
    csv = CSV_HEADER + CSV_ROW
    digest = hashlib.sha256(csv.encode("utf-8")).hexdigest()
    files = {
        **base_files(),
        "dossier.toml": f'[retractions]\ndatabase = "data/rw.csv"\nsha256 = "{digest.upper()}"\n',
        "data/rw.csv": csv,
    }
    code, out, err = run_cli(["check"], cwd=make_project(files))
    assert (code, err) == (0, ""), out


# --- JSON output ----------------------------------------------------------------------------------


def test_json_output(make_project: MakeProject, run_cli: RunCli) -> None:
    code, out, err = run_cli(["check", "--format", "json"], cwd=make_project(broken_files()))
    assert (code, err) == (1, "")
    data = json.loads(out)
    summary = data["summary"]
    assert {
        k: summary[k]
        for k in ("dossiers", "indications", "subgroups", "references", "flagged_references")
    } == {
        "dossiers": 1,
        "indications": 1,  # the subgroup is counted as such (facts.count), once
        "subgroups": 1,
        "references": 4,
        "flagged_references": 0,
    }
    assert summary["errors"] == sum(f["severity"] == "error" for f in data["findings"]) == 1
    assert summary["warnings"] == sum(f["severity"] == "warning" for f in data["findings"]) == 1
    assert summary["retraction_database"] == {"path": "", "sha256": "", "date": "", "records": 0}
    for finding in data["findings"]:
        assert set(finding) == {"code", "severity", "message", "location", "hint"}
        assert set(finding["location"]) == {"path", "line", "column"}


def test_json_output_of_a_clean_dossier(make_project: MakeProject, run_cli: RunCli) -> None:
    code, out, _ = run_cli(["check", "--format", "json"], cwd=make_project(base_files()))
    data = json.loads(out)
    assert code == 0
    assert data["findings"] == []
    assert (data["summary"]["indications"], data["summary"]["subgroups"]) == (1, 1)
    assert data["summary"]["references"] == 3


# --- choosing dossiers ----------------------------------------------------------------------------


def test_check_named_dossier_only(make_project: MakeProject, run_cli: RunCli) -> None:
    broken = {k.replace(BASE_DIR, "dossiers/kapot"): v for k, v in broken_files().items()}
    root = make_project({**base_files(), **broken})
    code, out, _ = run_cli(["check", BASE_DIR], cwd=root)
    assert code == 0, out
    assert out.startswith("1 dossier,")
    code, out, _ = run_cli(["check", f"{BASE_DIR}/dossier.yaml"], cwd=root)
    assert code == 0, out
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 1
    assert out.splitlines()[-1].startswith("2 dossiers")


def test_one_broken_dossier_does_not_hide_another(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    files = base_files()
    files["dossiers/leeg/dossier.yaml"] = ""
    files[B] = str(files[B]) + "\n@misc{ongebruikt,\n  title = {Ongebruikt},\n}\n"
    _, out, _ = run_cli(["check"], cwd=make_project(files))
    assert "dossiers/leeg/dossier.yaml:1:1: schema-type error" in out
    assert "unused-reference warning" in out


# --- schema, rules, new ---------------------------------------------------------------------------


def test_schema_file(make_project: MakeProject, run_cli: RunCli) -> None:
    root = make_project({"dossier.toml": ""})
    code, out, _ = run_cli(["schema", "-o", str(root / "out" / "s.json")], cwd=root)
    assert code == 0
    assert out == "wrote out/s.json\n"
    schema = json.loads((root / "out" / "s.json").read_text(encoding="utf-8"))
    assert set(Dossier.model_fields) <= set(schema["properties"])
    assert set(schema["required"]) == {
        name for name, f in Dossier.model_fields.items() if f.is_required()
    }
    assert schema["additionalProperties"] is False


def test_schema_default_path_and_stdout(make_project: MakeProject, run_cli: RunCli) -> None:
    root = make_project({"dossier.toml": ""})
    code, out, _ = run_cli(["schema"], cwd=root)
    assert (code, out) == (0, "wrote schema/dossier.schema.json\n")
    written = (root / "schema" / "dossier.schema.json").read_text(encoding="utf-8")
    code, out, _ = run_cli(["schema", "-o", "-"], cwd=root)
    assert code == 0
    assert out == written


def test_rules_lists_every_code(run_cli: RunCli) -> None:
    from tooling.checks import CHECKS, LOADER_CHECKS

    code, out, _ = run_cli(["checks"])
    assert code == 0
    for name in [c for c, _, _ in LOADER_CHECKS] + [r.code for r in CHECKS]:
        assert f"| `{name}` |" in out


def test_new_dossier_passes_check(make_project: MakeProject, run_cli: RunCli) -> None:
    root = make_project({"dossier.toml": "[project]\n"})
    code, out, err = run_cli(["new", "x"], cwd=root)
    assert (code, err) == (0, "")
    assert out.startswith("created dossiers/x: ")
    assert (root / "dossiers" / "x" / "dossier.yaml").is_file()
    assert (root / "dossiers" / "x" / "references.bib").is_file()
    code, out, err = run_cli(["check"], cwd=root)
    assert (code, err) == (0, ""), out
    assert out.startswith("1 dossier, 1 indication, 0 references")
    assert "0 errors, 0 warnings" in out


def test_new_dossier_with_title(make_project: MakeProject, run_cli: RunCli) -> None:
    root = make_project({"dossier.toml": "[project]\n"})
    code, _, _ = run_cli(["new", "tavi-2030", "--title", "TAVI: een test"], cwd=root)
    assert code == 0
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 0, out
    # The title went through YAML intact, even with a colon in it.
    from tooling.yamlsource import load_yaml

    text = (root / "dossiers" / "tavi-2030" / "dossier.yaml").read_text(encoding="utf-8")
    data, _ = load_yaml(text, "dossier.yaml")
    assert data["title"] == "TAVI: een test"


def test_new_never_overwrites(base_dossier: BaseDossier, run_cli: RunCli) -> None:
    root = base_dossier(drop=[B])
    before = (root / Y).read_bytes()
    code, _, err = run_cli(["new", "base"], cwd=root)
    assert code == 2
    assert "already exists" in err
    assert (root / Y).read_bytes() == before


# --- usage errors ---------------------------------------------------------------------------------


def test_unknown_verb_exits_2(run_cli: RunCli) -> None:
    code, out, err = run_cli(["controleer"])
    assert code == 2
    assert "invalid choice: 'controleer'" in err
    assert "Traceback" not in out + err


def test_no_verb_exits_2(run_cli: RunCli) -> None:
    code, _, err = run_cli([])
    assert code == 2
    assert "usage: dossier" in err


def test_help_exits_0(run_cli: RunCli) -> None:
    code, out, _ = run_cli(["--help"])
    assert code == 0
    assert "check" in out


def test_many_findings_of_one_kind_are_summarised(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    """Beyond PER_CODE findings of one code, the rest are counted; --all prints every one."""
    from tooling.cli import PER_CODE

    files = base_files()
    extra = PER_CODE + 7
    files[B] = str(files[B]) + "".join(
        f"\n@misc{{ongebruikt{i},\n  title = {{Ongebruikt {i}}},\n}}\n" for i in range(extra)
    )
    root = make_project(files)
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 0
    lines = out.splitlines()
    assert sum(" unused-reference warning: " in line for line in lines) == PER_CODE
    assert f"... and 7 more 'unused-reference' findings ({extra} in all;" in out
    assert f"0 errors, {extra} warnings" in lines[-1]
    code, out, _ = run_cli(["check", "--all"], cwd=root)
    assert sum(" unused-reference warning: " in line for line in out.splitlines()) == extra
    code, out, _ = run_cli(["check", "--quiet"], cwd=root)
    assert (
        "unused-reference" not in out and f"{extra} warnings" in out
    )  # errors only, and the count
