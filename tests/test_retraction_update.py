"""`dossier retractions update` and `lookup` against a local HTTP server, and what follows.

Fixtures are served from 127.0.0.1 only (never Crossref or GitLab): the live export's shape
(a trailing comma on every line, ``3/9/2026 0:00`` dates), damaged downloads (wrong columns,
a cut-off row, truncated gzip, HTTP 500, no answer), and Crossref ``updated-by`` JSON. Every
record and DOI is fictitious (the reserved test prefix 10.5555). The base dossier's
references: jansen2020 (10.5555/fictief.2020.001) and devries2019 (…2019.002) under the
standing conclusion testpijn-2021; bakker2018 (…2018.003) under testpijn-kinderen-2021.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from conftest import BASE_DIR, Files, MakeProject, RunCli, base_files

from tooling.config import load_config
from tooling.crossref import notices_of_work, works_url
from tooling.diagnostics import DossierError
from tooling.fetch import fetch
from tooling.retraction_store import set_toml_values, snapshot_findings
from tooling.retractions import COLUMNS, MAX_SNAPSHOT_BYTES, Nature, Snapshot, parse_csv

REPO = Path(__file__).resolve().parents[1]
Y = f"{BASE_DIR}/dossier.yaml"
JANSEN, DEVRIES, BAKKER = (
    "10.5555/fictief.2020.001",
    "10.5555/fictief.2019.002",
    "10.5555/fictief.2018.003",
)
TODAY = dt.date.today().isoformat()


# --- fixture data in the live export's shape -------------------------------------------------


def rw_row(
    record: str,
    doi: str,
    nature: str = "Retraction",
    date: str = "3/14/2023 0:00",
    *,
    reason: str = "+Concerns/Issues About Data;",
    title: str = "Fictitious test record",
    author: str = "Anna Test",
    notes: str = "",
) -> list[str]:
    """One record (20 cells): a fictitious paper with the given DOI and notice."""
    cells = dict.fromkeys(COLUMNS, "")
    cells.update(
        {
            "Record ID": record,
            "Title": title,
            "Subject": "(HSC) Medicine;",
            "Institution": "Fictief Instituut, Testdorp;",
            "Journal": "Journal of Test Records",
            "Publisher": "Example Publisher",
            "Country": "Netherlands;",
            "Author": author,
            "ArticleType": "Research Article;",
            "RetractionDate": date,
            "RetractionDOI": f"10.5555/notice.{record}",
            "RetractionPubMedID": "0",
            "OriginalPaperDate": "1/15/2020 0:00",
            "OriginalPaperDOI": doi,
            "OriginalPaperPubMedID": "0",
            "RetractionNature": nature,
            "Reason": reason,
            "Paywalled": "No",
            "Notes": notes,
        }
    )
    return [cells[c] for c in COLUMNS]


def _cell(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ',"\n') else value


def live_csv(rows: list[list[str]], newline: str = "\n") -> bytes:
    """A CSV as Crossref's export writes it: header and rows end with a comma."""
    lines = [",".join(COLUMNS) + ","]
    lines += [",".join(_cell(c) for c in row) + "," for row in rows]
    return (newline.join(lines) + newline).encode("utf-8")


UNRELATED = rw_row("800001", "10.5555/unrelated.001", author="Zoë Müller")
OLD_CSV = live_csv([UNRELATED])
JANSEN_RETRACTED = rw_row("9001", JANSEN, title="Een verzonnen trial")
NEW_CSV = live_csv([UNRELATED, JANSEN_RETRACTED])


def with_templates(files: Files) -> Files:
    """The files plus the toolkit's templates (the report renders documents to see citations)."""
    for path in sorted((REPO / "templates").rglob("*")):
        if path.is_file():
            files[path.relative_to(REPO).as_posix()] = path.read_bytes()
    return files


def project_files(old: bytes = OLD_CSV, extra_toml: str = "") -> Files:
    files = with_templates(base_files())
    files["data/rw-old.csv"] = old
    files["dossier.toml"] = (
        '# A test project.\n[project]\ndossiers = "dossiers"\n\n[retractions]\n'
        "# the snapshot, as the update keeps it\n"
        f'database = "data/rw-old.csv"\nsnapshot_date = "2026-11-01"\n{extra_toml}'
    )
    return files


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root (but the cache), by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".dossier-cache" not in p.parts
    }


def toml(root: Path) -> dict[str, object]:
    data = tomllib.loads((root / "dossier.toml").read_text(encoding="utf-8"))
    retractions = data["retractions"]
    assert isinstance(retractions, dict)
    return retractions


# --- a local HTTP server ----------------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to wait before answering
    length: int | None = None  # a Content-Length to claim (more than the body: cut off)
    send_then_stall: int | None = None  # send this many bytes, then wait (for kills)


class Server:
    """A small HTTP server on 127.0.0.1 for the fixtures; requests are counted."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.release = threading.Event()
        self.sent = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                owner.requests.append(self.path)
                route = owner.routes.get(path)
                if route is None:
                    self.send_error(404)
                    return
                if route.stall:
                    owner.release.wait(route.stall)
                with contextlib.suppress(OSError):
                    self.send_response(route.status)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    length = route.length if route.length is not None else len(route.body)
                    self.send_header("Content-Length", str(length))
                    self.end_headers()
                    if route.send_then_stall is not None:
                        self.wfile.write(route.body[: route.send_then_stall])
                        self.wfile.flush()
                        owner.sent.set()
                        owner.release.wait(30)
                    self.wfile.write(route.body)

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def update(run_cli: RunCli, root: Path, source: str, *extra: str) -> tuple[int, str, str]:
    return run_cli(
        ["retractions", "update", "--from", source, "--date", "2026-11-30", "--quiet",
         "--retries", "0", *extra],
        cwd=root,
    )  # fmt: skip


# --- update: the good path --------------------------------------------------------------------


def test_update_stores_the_snapshot_compressed_and_pins_it(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    server.routes["/rw.csv"] = Route(NEW_CSV)
    root = make_project(project_files())
    code, out, err = update(run_cli, root, server.url("/rw.csv"))
    assert code == 1, out + err  # jansen2020 is newly retracted under a standing conclusion
    settings = toml(root)
    assert settings["database"] == "data/retraction-watch-2026-11-30.csv.gz"
    assert settings["snapshot_date"] == "2026-11-30"
    assert settings["sha256"] == hashlib.sha256(NEW_CSV).hexdigest()
    assert settings["ledger"] == "data/retraction-watch-ledger.json"
    stored = root / "data" / "retraction-watch-2026-11-30.csv.gz"
    assert gzip.decompress(stored.read_bytes()) == NEW_CSV
    # Comments and the other keys of dossier.toml are kept; the old example-style file was
    # not made by an update, so it stays.
    text = (root / "dossier.toml").read_text(encoding="utf-8")
    assert text.startswith("# A test project.\n[project]\n")
    assert "# the snapshot, as the update keeps it\n" in text
    assert (root / "data" / "rw-old.csv").exists()
    ledger = json.loads((root / "data" / "retraction-watch-ledger.json").read_text("utf-8"))
    assert [(e["doi"], e["key"], e["found"]) for e in ledger["found"]] == [
        (JANSEN, "9001|Retraction", TODAY)
    ]
    # The check reads the compressed snapshot and names it.
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 1
    assert "retraction database data/retraction-watch-2026-11-30.csv.gz (2026-11-30, sha256" in out


def test_the_report_names_the_conclusion_and_its_documents_in_dutch(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    server.routes["/rw.csv"] = Route(NEW_CSV)
    root = make_project(project_files())
    code, out, _ = update(run_cli, root, server.url("/rw.csv"))
    assert code == 1
    assert "# Retraction Watch: nieuwe momentopname" in out
    assert "## Nieuw teruggetrokken (1)" in out
    assert f"jansen2020 (dossier base, doi {JANSEN}): teruggetrokken op 14 maart 2023." in out
    assert "Reden: Concerns/Issues About Data. Retraction Watch-record 9001." in out
    assert "Conclusie testpijn-2021 (Testpijn, 30 november 2021): staat, en er is nog geen " in out
    assert f"({Y}:" in out  # where the conclusion cites it
    # The position lists the conclusion's evidence, the letter's body cites it.
    assert (
        "Documenten: 'Standpunt fictieve nervusstimulatie' (standpunt) en 'Brief aan een "
        "beroepsvereniging: Fictieve nervusstimulatie' (brief-vereniging-2024)."
    ) in out
    assert out.rstrip().endswith(
        "Besluit nodig: 1 staande conclusie(s) rusten op een nieuw teruggetrokken publicatie "
        "zonder vastgelegd besluit."
    )
    assert "voorbeelddata" in out  # both snapshots are test data, and say so


def test_the_json_report(make_project: MakeProject, run_cli: RunCli, server: Server) -> None:
    server.routes["/rw.csv"] = Route(NEW_CSV)
    root = make_project(project_files())
    code, out, _ = update(
        run_cli, root, server.url("/rw.csv"), "--format", "json", "--report", "report.json"
    )
    assert code == 1
    data = json.loads(out)
    assert data == json.loads((root / "report.json").read_text(encoding="utf-8"))
    assert (data["command"], data["exit_code"], data["needs_decision"]) == ("update", 1, 1)
    assert data["snapshot"]["path"] == "data/retraction-watch-2026-11-30.csv.gz"
    assert data["snapshot"]["label"] == "voorbeelddata"
    assert data["previous"]["path"] == "data/rw-old.csv"
    (change,) = data["changes"]
    assert {k: change[k] for k in ("doi", "nature", "date", "record_id", "found")} == {
        "doi": JANSEN,
        "nature": "Retraction",
        "date": "2023-03-14",
        "record_id": "9001",
        "found": TODAY,
    }
    (reference,) = change["references"]
    assert (reference["dossier"], reference["key"]) == ("base", "jansen2020")
    (conclusion,) = reference["conclusions"]
    assert conclusion["id"] == "testpijn-2021"
    assert (conclusion["stands"], conclusion["needs_decision"], conclusion["decision"]) == (
        True,
        True,
        None,
    )
    assert [d["kind"] for d in reference["documents"]] == ["position", "letter"]


REVIEW = (
    "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n",
    "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n"
    "        reviews:\n"
    "          - date: {date}\n"
    "            reason: De conclusie rust ook op de studie van De Vries.\n"
    "            references: [jansen2020]\n",
)


def _edit(root: Path, old: str, new: str) -> None:
    path = root / Y
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_check_fails_until_a_review_is_recorded(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    server.routes["/rw.csv"] = Route(NEW_CSV)
    root = make_project(project_files())
    assert update(run_cli, root, server.url("/rw.csv"))[0] == 1
    code, out, _ = run_cli(["check", "--format", "json"], cwd=root)
    assert code == 1
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert [(f["code"], f["location"]["path"]) for f in errors] == [("retraction-undecided", Y)]
    # A review dated before the retraction cannot have answered it.
    _edit(root, REVIEW[0], REVIEW[1].format(date="2022-01-10"))
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 1
    assert "its review of 2022-01-10 predates the retraction" in out
    # A review after it is the decision: the check passes, the use is still shown.
    _edit(root, "date: 2022-01-10", "date: 2026-12-01")
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 0, out
    assert "retraction-undecided" not in out
    assert "cites 'jansen2020', which has a retraction of 2023-03-14" in out
    assert "(reviewed on 2026-12-01: the conclusion still stands)" in out
    # The next update sees the decision: nothing new, nothing blocking.
    code, out, _ = update(run_cli, root, server.url("/rw.csv"))
    assert code == 0
    assert "momentopname is ongewijzigd" in out and "Niets nieuws" in out


def test_a_reassessment_is_a_decision(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    server.routes["/rw.csv"] = Route(NEW_CSV)
    files = project_files()
    files[Y] = str(files[Y]).replace(
        REVIEW[0],
        REVIEW[0] + "        revision:\n          kind: under_reassessment\n"
        "          date: 2026-12-01\n          reason: Een van de studies is teruggetrokken.\n",
    )
    root = make_project(files)
    code, out, _ = update(run_cli, root, server.url("/rw.csv"))
    assert code == 0, out
    assert "Conclusie testpijn-2021 (Testpijn, 30 november 2021): in herbeoordeling sinds" in out
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 0, out


def test_a_retraction_already_known_is_not_new(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    """Only what the update found new needs a decision: an old retraction stays a warning."""
    server.routes["/rw.csv"] = Route(NEW_CSV)
    root = make_project(project_files(old=NEW_CSV))
    code, out, _ = update(run_cli, root, server.url("/rw.csv"))
    assert code == 0
    assert "Niets nieuws voor de referenties van dit project." in out
    assert not (root / "data" / "retraction-watch-ledger.json").exists()
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 0
    assert "flagged-evidence warning" in out


@pytest.mark.parametrize(
    ("nature", "section", "word"),
    [
        ("Correction", "## Nieuwe correcties (1)", "gecorrigeerd"),
        ("Expression of concern", "## Nieuwe expressions of concern (1)", "expression of concern"),
    ],
)
def test_corrections_and_concerns_are_warnings(
    make_project: MakeProject,
    run_cli: RunCli,
    server: Server,
    nature: str,
    section: str,
    word: str,
) -> None:
    server.routes["/rw.csv"] = Route(live_csv([UNRELATED, rw_row("9002", BAKKER, nature)]))
    root = make_project(project_files())
    code, out, _ = update(run_cli, root, server.url("/rw.csv"))
    assert code == 0
    assert section in out
    assert f"bakker2018 (dossier base, doi {BAKKER}): {word} op 14 maart 2023." in out
    assert "Conclusie testpijn-kinderen-2021" in out and "(waarschuwing)" in out
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 0
    assert "flagged-evidence warning: conclusion 'testpijn-kinderen-2021' cites 'bakker2018'" in out


def test_a_reinstatement_is_reported(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    retracted = rw_row("9003", DEVRIES, "Retraction", "3/1/2021 0:00")
    reinstated = rw_row("9004", DEVRIES, "Reinstatement", "3/9/2026 0:00")
    server.routes["/rw.csv"] = Route(live_csv([UNRELATED, retracted, reinstated]))
    root = make_project(project_files(old=live_csv([UNRELATED, retracted])))
    code, out, _ = update(run_cli, root, server.url("/rw.csv"))
    assert code == 0
    assert "## Nieuw hersteld (reinstatement) (1)" in out
    assert (
        "devries2019 (dossier base, doi 10.5555/fictief.2019.002): hersteld op 9 maart 2026." in out
    )
    assert "de publicatie is (weer) zonder melding" in out
    code, out, _ = run_cli(["check"], cwd=root)
    assert (code, "flagged-evidence" in out) == (0, False)


def test_update_from_a_local_file_works_offline(make_project: MakeProject, run_cli: RunCli) -> None:
    root = make_project(project_files())
    source = root / "download.csv.gz"
    source.write_bytes(gzip.compress(NEW_CSV))
    code, _, _ = update(run_cli, root, str(source))
    assert code == 1
    stored = root / toml(root)["database"]  # type: ignore[operator]
    assert stored.read_bytes() == source.read_bytes()  # already compressed: kept as it came


def test_invalid_utf8_bytes_are_tolerated_and_located(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    damaged = NEW_CSV.replace(b"Een verzonnen trial", b"Een verzonnen \x9d trial")
    line = damaged[: damaged.index(b"\x9d")].count(b"\n") + 1
    server.routes["/rw.csv"] = Route(damaged)
    root = make_project(project_files())
    code, out, _ = update(run_cli, root, server.url("/rw.csv"))
    assert code == 1
    assert f"1 ongeldige bytes vervangen (regel {line})" in out
    assert toml(root)["sha256"] == hashlib.sha256(damaged).hexdigest()  # stored as published


def test_an_unchanged_snapshot_only_moves_the_date(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    server.routes["/rw.csv"] = Route(NEW_CSV)
    root = make_project(project_files())
    assert update(run_cli, root, server.url("/rw.csv"))[0] == 1
    before = tree(root)
    code, out, _ = run_cli(
        ["retractions", "update", "--from", server.url("/rw.csv"), "--date", "2026-12-07",
         "--quiet", "--retries", "0"],
        cwd=root,
    )  # fmt: skip
    assert code == 1  # still undecided
    assert "momentopname is ongewijzigd" in out
    after = tree(root)
    assert set(after) == set(before)
    assert toml(root)["snapshot_date"] == "2026-12-07"
    assert toml(root)["database"] == "data/retraction-watch-2026-11-30.csv.gz"


def test_the_next_update_replaces_the_previous_snapshot(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    server.routes["/a.csv"] = Route(NEW_CSV)
    server.routes["/b.csv"] = Route(
        live_csv([UNRELATED, JANSEN_RETRACTED, rw_row("9002", BAKKER, "Correction")])
    )
    root = make_project(project_files())
    update(run_cli, root, server.url("/a.csv"))
    _, out, _ = run_cli(
        ["retractions", "update", "--from", server.url("/b.csv"), "--date", "2026-12-07",
         "--quiet", "--retries", "0"],
        cwd=root,
    )  # fmt: skip
    assert "Vorige momentopname verwijderd: data/retraction-watch-2026-11-30.csv.gz." in out
    assert sorted(p.name for p in (root / "data").iterdir()) == [
        "retraction-watch-2026-12-07.csv.gz",
        "retraction-watch-ledger.json",
        "rw-old.csv",
    ]
    ledger = json.loads((root / "data" / "retraction-watch-ledger.json").read_text("utf-8"))
    assert [e["key"] for e in ledger["found"]] == ["9002|Correction", "9001|Retraction"]


# --- update: bad downloads change nothing -----------------------------------------------------

_HEADER_ONLY = live_csv([])
BAD: dict[str, tuple[Route, tuple[str, ...], str]] = {
    "wrong-columns": (
        Route(b"doi,nature\n10.5555/x,Retraction\n"),
        (),
        "rw.csv:1: error: not a Retraction Watch CSV: expected the 20 columns",
    ),
    "cut-off-row": (
        Route(NEW_CSV + b"9005,Fictitious,cut"),
        (),
        "rw.csv:4: error: row has 3 columns, expected 21 (the file may be cut off",
    ),
    "a-21st-value": (
        Route(NEW_CSV.replace(b"No,,\n", b"No,,extra\n", 1)),
        (),
        "rw.csv:2: error: row has 21 columns, expected 21",
    ),
    "truncated-gzip": (
        Route(gzip.compress(NEW_CSV)[:-20]),
        (),
        "rw.csv: error: the gzip file is truncated",
    ),
    "http-500": (
        Route(b"oops", status=500, headers={"Retry-After": "0"}),
        ("--retries", "1"),
        "error: download failed: HTTP 500 Internal Server Error (after 2 tries)",
    ),
    "http-404": (Route(b"", status=404), (), "error: download failed: HTTP 404"),
    "no-answer": (
        Route(NEW_CSV, stall=5),
        ("--timeout", "0.3"),
        "error: download failed: no answer within 0.3 s",
    ),
    "connection-closed": (
        Route(NEW_CSV[:100], length=len(NEW_CSV)),
        (),
        "error: download failed: the connection closed after",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_a_bad_download_leaves_the_old_snapshot_and_config(
    make_project: MakeProject, run_cli: RunCli, server: Server, case: str
) -> None:
    route, extra, message = BAD[case]
    server.routes["/rw.csv"] = route
    root = make_project(project_files())
    before = tree(root)
    code, out, err = update(run_cli, root, server.url("/rw.csv"), *extra)
    assert code == 2, out + err
    assert "Traceback" not in err
    assert message in err, err
    assert tree(root) == before
    assert not [p for p in root.rglob(".*tmp-*")], "no temporary file is left"
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 0 and "data/rw-old.csv" in out


def test_a_snapshot_much_smaller_than_the_last_is_refused(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    # Rows without a usable DOI: a real-looking (not example) snapshot without inventing DOIs.
    old = live_csv([rw_row(str(800100 + n), "unavailable") for n in range(20)])
    root = make_project(project_files(old=old))
    smaller = root / "smaller.csv"
    smaller.write_bytes(live_csv([rw_row(str(800100 + n), "unavailable") for n in range(5)]))
    before = tree(root)
    code, _, err = update(run_cli, root, str(smaller))
    assert code == 2
    assert "the new snapshot has 5 rows, the previous one 20: it may be cut off" in err
    assert tree(root) == before
    assert update(run_cli, root, str(smaller), "--force")[0] == 0


# --- update killed midway ------------------------------------------------------------------------

KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tooling.config import load_config
    from tooling.retraction_update import Options, source_of, update

    root, source, moment = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

    def pause(at):
        if at == moment:
            print("ready", flush=True)
            time.sleep(60)

    config = load_config(root)
    update(config, source_of(config, source), Options(retries=0, pause=pause, date="2026-11-30"))
    print("finished", flush=True)
    """
)


def _run_until(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line == "ready", f"the update ended early (exit {process.poll()})"
    return process


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert process.stdout is not None
    process.stdout.close()


def _consistent(root: Path, run_cli: RunCli) -> str:
    """The project after a kill: its config names a complete snapshot; returns which one."""
    settings = toml(root)
    database = root / str(settings["database"])
    data = database.read_bytes()
    csv = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    assert hashlib.sha256(csv).hexdigest() == settings.get(
        "sha256", hashlib.sha256(csv).hexdigest()
    )
    parse_csv(csv, str(database))  # complete and valid
    code, out, err = run_cli(["check"], cwd=root)
    assert code in (0, 1) and "Traceback" not in out + err, out + err
    assert not [
        p
        for p in root.rglob("*")
        if p.is_file() and ".tmp-" in p.name and not p.name.startswith(".")
    ]
    return str(settings["database"])


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize(
    ("moment", "after"),
    [
        ("downloaded", "data/rw-old.csv"),
        ("snapshot-written", "data/rw-old.csv"),
        ("ledger-written", "data/rw-old.csv"),
        ("config-written", "data/retraction-watch-2026-11-30.csv.gz"),
    ],
)
def test_a_killed_update_leaves_a_working_project(
    make_project: MakeProject, run_cli: RunCli, moment: str, after: str
) -> None:
    root = make_project(project_files())
    source = root / "new.csv"
    source.write_bytes(NEW_CSV)
    script = root / "killed.py"
    script.write_text(KILLED, encoding="utf-8")
    _kill(_run_until([str(script), str(root), str(source), moment], root))
    assert _consistent(root, run_cli) == after
    # The next update completes, and clears what the killed one left.
    assert update(run_cli, root, str(source))[0] == 1
    assert _consistent(root, run_cli) == "data/retraction-watch-2026-11-30.csv.gz"
    assert not [p for p in root.rglob(".*.tmp-*")]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_an_update_killed_while_downloading(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    server.routes["/rw.csv"] = Route(NEW_CSV, send_then_stall=200)
    root = make_project(project_files())
    before = tree(root)
    process = subprocess.Popen(
        [sys.executable, "-m", "tooling", "--root", str(root), "retractions", "update",
         "--from", server.url("/rw.csv"), "--retries", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )  # fmt: skip
    assert server.sent.wait(30), "the download did not start"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert tree(root) == before
    assert _consistent(root, run_cli) == "data/rw-old.csv"


# --- lookup: Crossref's updated-by per DOI ----------------------------------------------------


def work(doi: str, *updates: dict[str, object]) -> bytes:
    """A /works/<doi> answer of Crossref's REST API with these updated-by entries."""
    return json.dumps(
        {
            "status": "ok",
            "message-type": "work",
            "message": {"DOI": doi, "updated-by": list(updates)},
        }
    ).encode("utf-8")


RW_RETRACTION = {
    "DOI": "10.5555/notice.9001",
    "type": "retraction",
    "label": "Retraction",
    "source": "retraction-watch",
    "record-id": "9001",
    "updated": {"date-parts": [[2023, 3, 14]], "date-time": "2023-03-14T00:00:00Z"},
}
PUBLISHER_CORRECTION = {
    "DOI": "10.5555/publisher.erratum",
    "type": "correction",
    "source": "publisher",
    "updated": {"date-parts": [[2021, 1, 2]]},
}


def serve_works(server: Server) -> None:
    server.routes[f"/works/{JANSEN.replace('/', '%2F')}"] = Route(
        work(JANSEN, RW_RETRACTION, PUBLISHER_CORRECTION)
    )
    server.routes[f"/works/{DEVRIES.replace('/', '%2F')}"] = Route(work(DEVRIES))
    # bakker2018: Crossref does not know the DOI (404)


def lookup(run_cli: RunCli, root: Path, server: Server, *extra: str) -> tuple[int, str, str]:
    return run_cli(
        ["retractions", "lookup", "--api", server.url(""), "--quiet", "--retries", "0", *extra],
        cwd=root,
    )


def test_lookup_asks_per_doi_and_merges_into_the_notices(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    serve_works(server)
    files = with_templates(base_files())
    files["dossier.toml"] = '[retractions]\nmailto = "redactie@voorbeeld.invalid"\n'
    root = make_project(files)
    code, out, _ = lookup(run_cli, root, server)
    assert code == 1, out
    assert "# Crossref: meldingen per DOI opgevraagd" in out
    assert "Aan Crossref gevraagd: 3 van de 3 DOI's (1 onbekend bij Crossref)" in out
    assert f"jansen2020 (dossier base, doi {JANSEN}): teruggetrokken op 14 maart 2023." in out
    assert "gecorrigeerd" not in out  # the publisher's own update is not Retraction Watch's
    assert all("mailto=redactie%40voorbeeld.invalid" in r for r in server.requests)
    settings = toml(root)
    assert settings["lookup"] == "data/crossref-lookup.json"
    cache = json.loads((root / "data" / "crossref-lookup.json").read_text("utf-8"))
    assert cache["updated"] == TODAY
    assert cache["dois"][JANSEN]["checked"] == TODAY
    assert cache["dois"][JANSEN]["notices"] == [
        {
            "nature": "Retraction",
            "date": "2023-03-14",
            "notice_doi": "10.5555/notice.9001",
            "record_id": "9001",
        }
    ]
    assert cache["dois"][BAKKER]["known"] is False
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 1
    assert "retraction-undecided error: conclusion 'testpijn-2021' cites 'jansen2020'" in out
    assert "checked against retraction database data/crossref-lookup.json" in out
    # Asked today already: the next lookup answers from the cache, unless told to refresh.
    asked = len(server.requests)
    code, out, _ = lookup(run_cli, root, server)
    assert (code, len(server.requests)) == (1, asked)
    assert "Niets nieuws" in out
    lookup(run_cli, root, server, "--refresh")
    assert len(server.requests) == asked + 3


def test_lookup_does_not_repeat_what_the_snapshot_has(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    serve_works(server)
    root = make_project(project_files(old=NEW_CSV))  # record 9001 is in the CSV already
    code, out, _ = lookup(run_cli, root, server)
    assert code == 0
    assert "Niets nieuws" in out
    code, out, _ = run_cli(["check", "--format", "json"], cwd=root)
    flags = [f for f in json.loads(out)["findings"] if f["code"] == "flagged-evidence"]
    assert len(flags) == 1  # one notice, from either source


def test_lookup_failure_changes_nothing(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    serve_works(server)
    server.routes[f"/works/{DEVRIES.replace('/', '%2F')}"] = Route(b"{", status=200)
    root = make_project(project_files())
    before = tree(root)
    code, _, err = lookup(run_cli, root, server)
    assert code == 2
    assert f"Crossref's answer for {DEVRIES} is not the JSON of a work" in err
    assert tree(root) == before


def test_notices_of_a_work() -> None:
    reinstated = {
        **RW_RETRACTION,
        "type": "reinstatement",
        "label": "Reinstatement",
        "record-id": 7,
    }
    odd = {"source": "retraction-watch", "type": "withdrawal", "label": "Withdrawal"}
    notices = notices_of_work(
        {"updated-by": [RW_RETRACTION, PUBLISHER_CORRECTION, reinstated, odd, "x"]}
    )
    assert [(n.nature, n.record_id, n.date) for n in notices] == [
        (Nature.RETRACTION, "9001", dt.date(2023, 3, 14)),
        (Nature.REINSTATEMENT, "7", dt.date(2023, 3, 14)),
    ]
    assert works_url("https://api.example.invalid/", "10.5555/a b", "x@y.invalid") == (
        "https://api.example.invalid/works/10.5555%2Fa%20b?mailto=x%40y.invalid"
    )


# --- honest labels and the age warning -----------------------------------------------------


def test_every_output_naming_the_example_snapshot_says_voorbeelddata(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    from tooling.pipeline import check, render

    files = with_templates(base_files())
    files["data/rw.csv"] = (REPO / "data" / "retraction-watch-example.csv").read_bytes()
    files["dossier.toml"] = (
        '[retractions]\ndatabase = "data/rw.csv"\nsnapshot_date = "2020-01-01"\n'
    )
    root = make_project(files)
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 0
    assert "voorbeelddata: example records only" in out.splitlines()[-1]
    assert "stale-retraction-data" not in out  # example data has no age worth a warning
    _, out, _ = run_cli(["check", "--format", "json"], cwd=root)
    status = json.loads(out)["summary"]["retraction_snapshot"]
    assert (status["example"], status["label"]) == (True, "voorbeelddata")
    page = render(check(load_config(root))).pages["controle.md"]
    assert "**Voorbeelddata.**" in page and "(voorbeelddata)" in page


def test_real_data_is_not_labelled_and_warns_when_old(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    files = base_files()
    # No usable DOI at all: not example data, and nothing invented.
    files["data/rw.csv"] = live_csv([rw_row("800200", "unavailable")])
    old = (dt.date.today() - dt.timedelta(days=45)).isoformat()
    files["dossier.toml"] = f'[retractions]\ndatabase = "data/rw.csv"\nsnapshot_date = "{old}"\n'
    root = make_project(files)
    code, out, _ = run_cli(["check"], cwd=root)
    assert code == 0
    assert "voorbeelddata" not in out
    assert (
        f"dossier.toml:3:1: stale-retraction-data warning: retraction data data/rw.csv is 45 "
        f"days old ({old}); [retractions] max_age_days is 30 (run `dossier retractions update`"
    ) in out
    (root / "dossier.toml").write_text(
        files["dossier.toml"] + "max_age_days = 60\n",
        encoding="utf-8",  # type: ignore[operator]
    )
    assert "stale-retraction-data" not in run_cli(["check"], cwd=root)[1]


def test_snapshot_findings_edges(make_project: MakeProject) -> None:
    root = make_project({"dossier.toml": "[retractions]\nmax_age_days = 0\n"})
    config = load_config(root)
    old = Snapshot("data/x.csv", "ab", "2000-01-01", 3)
    assert snapshot_findings(config, old) == []  # 0 turns the warning off
    root = make_project({"dossier.toml": '[retractions]\ndatabase = "x.csv"\n'})
    (finding,) = snapshot_findings(load_config(root), Snapshot("x.csv", "ab", "", 3))
    assert "has no date, so its age is unknown" in finding.message


@pytest.mark.parametrize("value", ["-1", '"30"', "true"])
def test_max_age_days_must_be_a_number_of_days(make_project: MakeProject, value: str) -> None:
    root = make_project({"dossier.toml": f"[retractions]\nmax_age_days = {value}\n"})
    with pytest.raises(DossierError, match="'max_age_days' must be a whole number of days"):
        load_config(root)


# --- the pieces ------------------------------------------------------------------------------


def test_the_live_export_shape_is_read() -> None:
    parsed = parse_csv(live_csv([UNRELATED, JANSEN_RETRACTED], newline="\r\n"), "rw.csv")
    assert (parsed.rows, parsed.trailing_comma, parsed.example, parsed.replaced) == (
        2,
        True,
        True,
        0,
    )
    assert set(parsed.records) == {"10.5555/unrelated.001", JANSEN}


def test_a_gzip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from tooling import retractions

    monkeypatch.setattr(retractions, "MAX_SNAPSHOT_BYTES", 1000)
    with pytest.raises(DossierError, match="inflates to more than 1,000 bytes"):
        retractions.decompress(gzip.compress(b"x" * 5000), "rw.csv.gz")
    assert MAX_SNAPSHOT_BYTES == 1_000_000_000


def test_damaged_gzip_is_named() -> None:
    from tooling import retractions

    data = bytearray(gzip.compress(NEW_CSV))
    data[30] ^= 0xFF
    with pytest.raises(DossierError, match="the gzip file is damaged"):
        retractions.decompress(bytes(data), "rw.csv.gz")


def test_only_http_urls_are_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("no", encoding="utf-8")
    with pytest.raises(DossierError, match="not an http"):
        fetch(secret.as_uri())


def test_the_toml_editor_keeps_comments_and_order() -> None:
    text = (
        '# top\n[project]\nsite = "site"\n\n[retractions]\n# the snapshot\n'
        'database = "old.csv"  # set by hand\nsnapshot_date = "2020-01-01"\n\n[other]\nx = 1\n'
    )
    result = set_toml_values(text, "retractions", {"database": "new.csv.gz", "sha256": "ab"})
    assert result == (
        '# top\n[project]\nsite = "site"\n\n[retractions]\n# the snapshot\n'
        'database = "new.csv.gz"\nsnapshot_date = "2020-01-01"\nsha256 = "ab"\n\n[other]\nx = 1\n'
    )
    assert set_toml_values("", "retractions", {"a": "b"}) == '\n[retractions]\na = "b"\n'
    assert 'ledger = "a \\"b\\""' in set_toml_values(
        "[retractions]\n", "retractions", {"ledger": 'a "b"'}
    )
    with pytest.raises(DossierError, match=r"cannot update dossier\.toml safely"):
        set_toml_values('[retractions]\ndatabase = """\nx\n"""\n', "retractions", {"database": "y"})


# --- the scheduled job and the docs --------------------------------------------------------------


def test_the_weekly_job_uses_only_the_toolkit() -> None:
    job = yaml.safe_load((REPO / "docs" / "ci" / "retraction-watch-weekly.yml").read_text("utf-8"))
    schedule = job[True]["schedule"]  # YAML 1.1 reads the key `on` as True
    (cron,) = [entry["cron"] for entry in schedule]
    assert cron.split()[2:] == ["*", "*", "1"]  # every Monday
    commands = [
        line.strip()
        for jobs in job["jobs"].values()
        for step in jobs["steps"]
        if "run" in step
        for line in step["run"].splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert commands, "the job runs commands"
    for command in commands:
        assert command.startswith(("scripts/setup", ".venv/bin/dossier ")), command
    assert any("dossier retractions update" in c for c in commands)
    assert any(c.startswith(".venv/bin/dossier check") for c in commands)


def test_readme_and_docs_say_where_the_data_comes_from() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "dossier retractions update" in readme and "docs/retractions.md" in readme
    docs = (REPO / "docs" / "retractions.md").read_text(encoding="utf-8")
    for fact in (
        "api.labs.crossref.org/data/retractionwatch",
        "gitlab.com/crossref/retraction-watch-data",
        "updated-by",
        "voorbeelddata",
        "max_age_days",
        "reviews:",
        "docs/ci/retraction-watch-weekly.yml",
    ):
        assert fact in docs, fact


def test_the_check_on_two_processes_sees_the_ledger_and_the_lookup(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    """Helper processes get the records of their references: the news and lookups go along."""
    from tooling.pipeline import check

    serve_works(server)
    files = {**project_files(), **base_files("dossiers/tweede")}
    root = make_project(files)
    assert lookup(run_cli, root, server)[0] == 1
    config = load_config(root)
    one, two = check(config, jobs=1), check(config, jobs=2)
    assert [f.format() for f in two.findings] == [f.format() for f in one.findings]
    undecided = [f.location.path for f in two.errors if f.code == "retraction-undecided"]
    assert undecided == ["dossiers/base/dossier.yaml", "dossiers/tweede/dossier.yaml"]


def test_update_in_a_project_without_retraction_settings(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    root = make_project(with_templates(base_files()))
    (root / "new.csv").write_bytes(NEW_CSV)
    code, out, _ = update(run_cli, root, "new.csv")
    assert code == 1
    assert "Er was nog geen momentopname." in out
    assert toml(root)["database"] == "data/retraction-watch-2026-11-30.csv.gz"
    assert run_cli(["check"], cwd=root)[0] == 1


def test_the_default_source_asks_with_the_configured_address(make_project: MakeProject) -> None:
    from tooling.retraction_update import source_of

    root = make_project(
        {"dossier.toml": '[retractions]\nmailto = "redactie+rw@voorbeeld.invalid"\n'}
    )
    source = source_of(load_config(root), None)
    assert source.url == (
        "https://api.labs.crossref.org/data/retractionwatch?mailto=redactie%2Brw@voorbeeld.invalid"
    )
    assert source.display == "https://api.labs.crossref.org/data/retractionwatch"  # no address
    assert source_of(load_config(root), "data/x.csv").path == Path("data/x.csv")
    assert source_of(load_config(root), "https://example.invalid/rw.csv").url.endswith("rw.csv")


def test_retractions_needs_an_action(run_cli: RunCli) -> None:
    code, _, err = run_cli(["retractions"])
    assert code == 2
    assert "{update,lookup}" in err


def test_progress_goes_to_stderr(
    make_project: MakeProject, run_cli: RunCli, server: Server
) -> None:
    server.routes["/rw.csv"] = Route(NEW_CSV)
    root = make_project(project_files())
    code, out, err = run_cli(
        ["retractions", "update", "--from", server.url("/rw.csv"), "--retries", "0"], cwd=root
    )
    assert code == 1 and out.startswith("# Retraction Watch")
    size = f"{len(NEW_CSV) / 1000:.1f} kB"
    assert f"dossier: fetching {server.url('/rw.csv')}\n" in err
    assert f"[{'#' * 30}] {size} of {size}\n" in err
    assert len(err.splitlines()) <= 8  # not a terminal: a line per quarter, no redrawing


# --- the index committed beside a large snapshot ------------------------------------------------


@pytest.fixture
def small_is_large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the fixture snapshots (a few hundred bytes) as real-size ones."""
    import tooling.retraction_store
    import tooling.retraction_update

    monkeypatch.setattr(tooling.retraction_store, "CACHE_MIN_BYTES", 1)
    monkeypatch.setattr(tooling.retraction_update, "CACHE_MIN_BYTES", 1)


INDEX = "data/retraction-watch-2026-11-30.index.json.gz"


def test_a_fresh_clone_reads_the_index_instead_of_the_csv(
    make_project: MakeProject,
    run_cli: RunCli,
    small_is_large: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shutil

    import tooling.retraction_store

    root = make_project(project_files())
    source = root / "download.csv.gz"
    source.write_bytes(gzip.compress(NEW_CSV))
    assert update(run_cli, root, str(source))[0] == 1
    index = root / INDEX
    assert index.is_file()
    data = json.loads(gzip.decompress(index.read_bytes()))
    assert data["sha256"] == hashlib.sha256(NEW_CSV).hexdigest()
    assert [r[4] for r in data["records"][JANSEN]] == ["9001"]
    _, expected, _ = run_cli(["check"], cwd=root)

    shutil.rmtree(root / ".dossier-cache")  # as a fresh clone: no cache

    def no_parsing(*args: object) -> object:
        raise AssertionError("the CSV was parsed although its index is there")

    monkeypatch.setattr(tooling.retraction_store, "parse_csv", no_parsing)
    code, out, err = run_cli(["check"], cwd=root)
    assert (code, out) == (1, expected), err
    # ... and the check left the cache for the next run
    assert list((root / ".dossier-cache" / "retractions").iterdir())


def test_the_index_is_the_same_bytes_every_time(
    make_project: MakeProject, run_cli: RunCli, small_is_large: None
) -> None:
    made = []
    for _ in range(2):
        root = make_project(project_files())
        source = root / "download.csv.gz"
        source.write_bytes(gzip.compress(NEW_CSV, mtime=0))
        update(run_cli, root, str(source))
        made.append((root / INDEX).read_bytes())
    assert made[0] == made[1]


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda raw: raw[: len(raw) // 2], "damaged retraction index: the gzip file is truncated"),
        (lambda raw: gzip.compress(b'{"format": "something else"}'), "not an index of this"),
        (
            lambda raw: gzip.compress(
                json.dumps(
                    {**json.loads(gzip.decompress(raw)), "records": {"10.5555/x": [["a"]]}}
                ).encode()
            ),
            "the records of '10.5555/x' are not five texts each",
        ),
        (
            lambda raw: gzip.compress(
                json.dumps({**json.loads(gzip.decompress(raw)), "stored_sha256": "0" * 64}).encode()
            ),
            "made from another snapshot",
        ),
    ],
)
def test_a_damaged_or_foreign_index_is_an_error_naming_it(
    make_project: MakeProject,
    run_cli: RunCli,
    small_is_large: None,
    damage: object,
    says: str,
) -> None:
    import shutil

    root = make_project(project_files())
    source = root / "download.csv.gz"
    source.write_bytes(gzip.compress(NEW_CSV))
    update(run_cli, root, str(source))
    shutil.rmtree(root / ".dossier-cache")
    index = root / INDEX
    index.write_bytes(damage(index.read_bytes()))  # type: ignore[operator]
    code, _, err = run_cli(["check"], cwd=root)
    assert code == 2
    assert f"{INDEX}: error: " in err
    assert says in err
    assert "Traceback" not in err


def test_the_next_update_replaces_the_previous_index(
    make_project: MakeProject, run_cli: RunCli, small_is_large: None
) -> None:
    root = make_project(project_files())
    source = root / "download.csv.gz"
    source.write_bytes(gzip.compress(NEW_CSV))
    update(run_cli, root, str(source))
    assert (root / INDEX).is_file()
    source.write_bytes(
        gzip.compress(live_csv([UNRELATED, JANSEN_RETRACTED, rw_row("9002", BAKKER, "Correction")]))
    )
    code, _, err = run_cli(
        ["retractions", "update", "--from", str(source), "--date", "2026-12-07", "--quiet"],
        cwd=root,
    )
    assert code in (0, 1), err
    names = sorted(p.name for p in (root / "data").iterdir() if "index" in p.name)
    assert names == ["retraction-watch-2026-12-07.index.json.gz"]
