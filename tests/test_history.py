"""A dossier as it stood on a day (`dossier render --as-of`, `history.as_of`): docs/history.md.

The example dossiers are rendered as of the days the issue names and their PDFs read back:
the neuromodulation position before and after its 2020 addendum, the IMSR dossier with its
2022 conclusion standing (2024) and fallen (today).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import pickle
import re
from pathlib import Path

import pytest
from conftest import BASE_DIR, MakeProject, RunCli, base_files, copy_project
from pypdf import PdfReader

from tooling import history
from tooling.cli import main
from tooling.config import load_config
from tooling.facts import conclusion_index, revised_conclusions, walk_indications
from tooling.load import load_dossier
from tooling.pipeline import check, open_retraction_db, render

NEURO = "neuromodulatie-chronische-pijn"
IMSR = "imsr-chronische-pijn"
EXAMPLES = [NEURO, IMSR, "injectie-denervatie-lage-rug", "neuro-pain-faq"]
Y = f"{BASE_DIR}/dossier.yaml"
B = f"{BASE_DIR}/references.bib"


def squash(text: str) -> str:
    return re.sub(r"[\s\-\u00ad\u2010\u2011\u2019']+", "", text).lower()


def pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return squash("".join(page.extract_text() for page in reader.pages))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("history") / "project")


def rendered(project: Path, slug: str, day: str) -> Path:
    """`dossier render DOSSIER --as-of DAY` into a folder of its own; the dossier's folder."""
    out = project / "build" / f"{slug}-{day}"
    code = main(
        [
            *("--root", str(project), "render", str(project / "dossiers" / slug)),
            *("--as-of", day, "-o", str(out), "--quiet"),
        ]
    )
    assert code == 0
    return out / slug


# -- the example dossiers, read back from their PDFs ------------------------------------------


def test_neuromodulation_position_before_its_addendum(project: Path) -> None:
    folder = rendered(project, NEURO, "2019-12-01")
    assert sorted(p.name for p in folder.glob("*.pdf")) == [
        "brief-tweede-kamer-2019.pdf",
        "standpunt.pdf",
    ]
    text = pdf_text(folder / "standpunt.pdf")
    assert squash("Zoals het gold op 1 december 2019") in text
    assert squash("12 november 2019") in text
    for later in ("2 september 2020", "tabel 3", "pagina 264", "addendum"):
        assert squash(later) not in text, later
    markdown = (folder / "standpunt.md").read_text(encoding="utf-8")
    assert "2020" not in markdown and "Addend" not in markdown


def test_neuromodulation_position_after_its_addendum(project: Path) -> None:
    folder = rendered(project, NEURO, "2020-10-01")
    assert (folder / "addendum-2020-09-02.pdf").is_file()
    text = pdf_text(folder / "standpunt.pdf")
    assert squash("Zoals het gold op 1 oktober 2020") in text
    assert squash("Addendum 2 september 2020") in text
    assert (
        squash("Op pagina 264 van het standpunt is een kleine wijziging doorgevoerd in tabel 3")
        in text
    )
    assert squash("2 september 2020") in pdf_text(folder / "addendum-2020-09-02.pdf")


def test_imsr_in_2024_has_its_2022_conclusion_standing(project: Path) -> None:
    config = load_config(project)
    checked = check(config, [project / "dossiers" / IMSR], as_of=dt.date(2024, 1, 1))
    assert checked.ok, [f.format() for f in checked.errors]
    result = render(checked)
    # No document of the dossier existed yet: the 2025 letter is left out, so no PDF at all.
    assert result.documents == []
    folder = rendered(project, IMSR, "2024-01-01")
    assert not list(folder.glob("*.pdf")) if folder.exists() else True
    (dossier,) = result.dossiers
    model = dossier.model
    assert [i.id for _, i in walk_indications(model)] == ["chronische-pijn"]
    assert conclusion_index(model)["imsr-2022"].revision is None
    assert not dossier.loaded.flags  # the retraction is recorded only in 2025
    page = result.pages[f"{IMSR}/index.md"]
    assert "staat niet meer" not in page
    assert "teruggetrokken" not in page
    assert "last resort" not in page.lower()
    assert "Voldoet" in page
    assert not any("last-resort" in path for path in result.pages)


def test_imsr_today_has_its_2022_conclusion_fallen(project: Path) -> None:
    folder = rendered(project, IMSR, dt.date.today().isoformat())
    letter = pdf_text(folder / "brief-vra-2025-05-07.pdf")
    assert squash("niet gehandhaafd kan blijven") in letter
    assert squash("last resort") in letter
    config = load_config(project)
    checked = check(config, [project / "dossiers" / IMSR], as_of=dt.date.today())
    result = render(checked)
    assert "staat niet meer" in result.pages[f"{IMSR}/index.md"]
    (dossier,) = result.dossiers
    assert [r.conclusion.id for r in revised_conclusions(dossier.model) if not r.stands] == [
        "imsr-2022"
    ]
    assert {f"{IMSR}/last-resort.md", f"{IMSR}/geen-last-resort.md"} <= set(result.pages)


# -- as_of itself -----------------------------------------------------------------------------


@pytest.mark.parametrize("slug", EXAMPLES)
def test_far_future_is_the_current_model(slug: str) -> None:
    config = load_config(None)
    loaded = load_dossier(config.dossiers_dir / slug, config, open_retraction_db(config))
    assert loaded.model is not None
    later = history.as_of(loaded.model, dt.date(9999, 12, 31))
    assert later == loaded.model
    assert later is loaded.model  # nothing copied when nothing is later
    assert history.at(loaded, dt.date(9999, 12, 31)).flags == loaded.flags


def test_partial_dates_count_from_their_first_day(make_project: MakeProject) -> None:
    files = base_files()
    text = str(files[Y]).replace("date: 2021-11-30", "date: 2021")
    files[Y] = text
    root = make_project(files)
    config = load_config(root)
    loaded = load_dossier(root / BASE_DIR, config, None)
    assert loaded.model is not None
    ids = conclusion_index(history.as_of(loaded.model, dt.date(2021, 1, 1)))
    assert "testpijn-2021" in ids
    assert "testpijn-2021" not in conclusion_index(
        history.as_of(loaded.model, dt.date(2020, 12, 31))
    )


def test_findings_as_of_a_day_point_at_the_file(make_project: MakeProject) -> None:
    """The as-of model has shorter lists; a finding still names the line in dossier.yaml."""
    files = base_files()
    text = str(files[Y])
    start = text.index("letters:\n") + len("letters:\n")
    end = text.index("faq:\n")
    later = text[start:end]
    earlier = (
        later.replace("brief-vereniging-2024", "brief-vereniging-2023")
        .replace("date: 2024-05-01", "date: 2023-05-01")
        .replace("date: 2024-04-02", "date: 2023-04-02")
        .replace("reply_deadline: 2024-06-01", "reply_deadline: 2023-04-01")
    )
    files[Y] = text[:start] + later + earlier + text[end:]
    root = make_project(files)
    checked = check(load_config(root), as_of=dt.date(2023, 6, 1))
    (finding,) = [f for f in checked.findings if f.code == "date-order"]
    written = str(files[Y])
    line = written[: written.index("reply_deadline: 2023-04-01")].count("\n") + 1
    assert (finding.location.path, finding.location.line) == (Y, line)
    assert "brief-vereniging-2023" in finding.message


def test_a_shifted_source_map_survives_pickling(make_project: MakeProject) -> None:
    root = make_project(base_files())
    config = load_config(root)
    loaded = history.at(load_dossier(root / BASE_DIR, config, None), dt.date(2024, 1, 1))
    assert isinstance(loaded.source, history.ShiftedSource)
    again = pickle.loads(pickle.dumps(loaded.source))
    path = ("faq",)
    assert again.locate(path) == loaded.source.locate(path)
    assert again.original(("letters", 0)) == ("letters", 0)


def test_a_notice_dated_later_does_not_flag(make_project: MakeProject) -> None:
    files = base_files()
    files[B] = str(files[B]).replace(
        "doi = {10.5555/fictief.2020.001},\n",
        "doi = {10.5555/fictief.2020.001},\n  retraction = {Retraction},\n"
        "  retraction_date = {2023-05-01},\n",
    )
    root = make_project(files)
    config = load_config(root)
    loaded = load_dossier(root / BASE_DIR, config, open_retraction_db(config))
    assert "jansen2020" in loaded.flags
    assert "jansen2020" not in history.at(loaded, dt.date(2023, 4, 30)).flags
    assert "jansen2020" in history.at(loaded, dt.date(2023, 5, 1)).flags


def test_an_undated_notice_counts_from_the_revision_that_records_it() -> None:
    config = load_config(None)
    loaded = load_dossier(config.dossiers_dir / IMSR, config, open_retraction_db(config))
    assert set(loaded.flags) == {"imsr-2022-artikel-a", "imsr-2022-artikel-b"}
    assert history.recorded(loaded.model) == {  # type: ignore[arg-type]
        "imsr-2022-artikel-a": dt.date(2025, 5, 7),
        "imsr-2022-artikel-b": dt.date(2025, 5, 7),
    }
    assert not history.at(loaded, dt.date(2025, 5, 6)).flags
    assert set(history.at(loaded, dt.date(2025, 5, 7)).flags) == set(loaded.flags)


def test_an_indication_a_letter_names_is_there_before_its_conclusions() -> None:
    config = load_config(None)
    loaded = load_dossier(config.dossiers_dir / NEURO, config, None)
    assert loaded.model is not None
    then = history.as_of(loaded.model, dt.date(2019, 7, 1))  # the letter (2019), no position
    assert then.position is None
    assert [i.id for i in then.indications] == [i.id for i in loaded.model.indications]
    assert all(not i.conclusions and not i.subgroups for i in then.indications)


def test_conditional_coverage_keeps_its_term_on_a_day_inside_it() -> None:
    from tooling.model import CoveragePeriod

    periods = [
        CoveragePeriod(status="conditional", start="2019-01-01", end="2023-07-01", study="S"),
        CoveragePeriod(status="insured", start="2019-01-01", end="2023-07-01"),
        CoveragePeriod(
            status="conditional",
            start="2019-01-01",
            end="2022-01-01",
            agreed_until="2024-01-01",
            study="S",
        ),
    ]
    walk = history._AsOf(dt.date(2021, 1, 1))
    ends = [walk.period(p).end for p in periods]
    # the conditional term is known from its start; an insured period was still running; a
    # conditional period that ended early had, on the day, the end first agreed
    assert [str(e) if e else None for e in ends] == ["2023-07-01", None, "2024-01-01"]


def test_the_check_holds_each_version_to_its_own_date(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    """A version published in 2019 rests on coverage whose basis is dated 2021: consistent
    today, not on the version's date; the plain check says so, at the line of the basis."""
    files = base_files()
    files[Y] += (
        "versions:\n"
        "  - id: eerste-versie\n"
        "    date: 2019-06-01\n"
        "    status: definitive\n"
        "    note: Een verzonnen eerdere versie.\n"
    )
    root = make_project(files)
    code, out, err = run_cli(["check"], cwd=root)
    assert code == 1, out + err
    found = [line for line in out.splitlines() if "as of version 'eerste-versie'" in line]
    assert found, out
    assert all(line.startswith(f"{Y}:") and " error: " in line for line in found)
    assert "testpijn-2021" in found[0]
    # the same finding as `check --as-of` the version's date gives, said once
    code, out_then, _ = run_cli(["check", "--as-of", "2019-06-01"], cwd=root)
    assert code == 1
    assert found[0].replace("as of version 'eerste-versie' (2019-06-01): ", "") in out_then


# -- the command line -------------------------------------------------------------------------


def test_as_of_needs_a_day(make_project: MakeProject, run_cli: RunCli) -> None:
    root = make_project(base_files())
    for bad in ("2019", "2019-02-30", "gisteren"):
        code, _, err = run_cli(["render", "--as-of", bad], cwd=root)
        assert code == 2, bad
        assert "--as-of" in err and "Traceback" not in err
    code, _, _ = run_cli(["check", "--as-of", "2019-02-30"], cwd=root)
    assert code == 2


def test_a_malformed_version_is_a_finding_with_its_line(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    files = base_files()
    files[Y] = str(files[Y]) + (
        "versions:\n  - id: v1\n    date: 2022-13-01\n    status: concept\n"
        "  - id: v2\n    date: 2023-02-15\n    status: definitief\n"
    )
    code, out, err = run_cli(["check", "--format", "json"], cwd=make_project(files))
    assert code == 1 and "Traceback" not in out + err
    found = {(f["code"], f["location"]["line"]) for f in json.loads(out)["findings"]}
    written = str(files[Y]).splitlines()
    assert ("bad-date", written.index("    date: 2022-13-01") + 1) in found
    assert ("schema-type", written.index("    status: definitief") + 1) in found


def test_versions_of_the_examples_pass_as_of_their_own_dates() -> None:
    """Each listed version, checked as the dossier stood on its date, has no errors."""
    config = load_config(None)
    for slug in EXAMPLES:
        loaded = load_dossier(config.dossiers_dir / slug, config, None)
        assert loaded.model is not None
        for version in loaded.model.versions:
            checked = check(
                config,
                [config.dossiers_dir / slug],
                keep=False,
                as_of=version.date.latest(),
            )
            assert checked.ok, (slug, version.id, [f.format() for f in checked.errors])
