"""The decision aid in a real browser gives the answers `dossier decide` gives.

Every case of every example dossier's ``cases/`` is filled into the form of the decision
tables page (Debian's chromium via Playwright, under the site's Content-Security-Policy) and
the browser's answer is held to the Python evaluator's, output by output, with the inputs
still needed, the derived values and the rows that fired. A few hundred generated cases go
through both evaluators too. Outside CI a missing chromium skips; with ``CI=true`` it fails.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import test_browser

from tooling.config import load_config
from tooling.decision_checks import case_setup
from tooling.decision_model import parse_date
from tooling.decision_tables import Program, compile_decisions, evaluate
from tooling.load import LoadedDossier, load_dossier
from tooling.site.paths import decisions_page

REPO = Path(__file__).resolve().parent.parent
# The browser tests' fixtures: one built site, one server, one chromium for the run.
site = test_browser.site
server = test_browser.server
browser = test_browser.browser
page = test_browser.page
SLUGS = ("neuro-pain-faq", "neuromodulatie-chronische-pijn", "injectie-denervatie-lage-rug")


def _loaded(slug: str) -> LoadedDossier:
    return load_dossier(REPO / "dossiers" / slug, load_config(REPO), None)


def _program(loaded: LoadedDossier) -> Program:
    assert loaded.model is not None and loaded.decisions is not None
    program, problems = compile_decisions(loaded.model, loaded.decisions)
    assert problems == []
    return program


def _cases() -> Iterator[tuple[str, str, int]]:
    for slug in SLUGS:
        loaded = _loaded(slug)
        assert loaded.decisions is not None
        for k, file in enumerate(loaded.decisions.cases):
            for i in range(len(file.cases)):
                yield slug, f"{k}", i


CASES = list(_cases())


def _page_url(base: str, slug: str) -> str:
    return urljoin(base, decisions_page(slug).removesuffix(".md") + ".html")


def _form_value(item: dict[str, Any], value: Any) -> str:
    if item["type"] == "boolean":
        return "ja" if value else "nee"
    if item["type"] == "date":
        when = parse_date(value)
        assert when is not None
        return str(when)
    return str(value)


@pytest.mark.parametrize(
    ("slug", "file", "index"), CASES, ids=[f"{s}-{f}-{i}" for s, f, i in CASES]
)
def test_the_form_gives_the_python_answer(
    page: Any, server: str, slug: str, file: str, index: int
) -> None:
    loaded = _loaded(slug)
    program = _program(loaded)
    assert loaded.decisions is not None
    case_file = loaded.decisions.cases[int(file)]
    setup = case_setup(program, case_file, index)
    assert not hasattr(setup, "message"), setup
    decision, inputs = setup  # type: ignore[misc]
    expected = json.loads(json.dumps(evaluate(program, decision, inputs)))

    page.goto(_page_url(server, slug))
    root = f"#beslishulp-{decision['id']}"
    page.wait_for_selector(f"{root}[data-ready=true]", timeout=15_000)
    case = case_file.cases[index]
    for item in decision["inputs"]:
        control = f"{root} [name='{item['id']}']"
        given = case.input.get(item["id"])
        text = "" if given is None else _form_value(item, given)
        if item["type"] in ("choice", "boolean"):
            page.select_option(control, text)
        else:
            page.fill(control, text)
    answer = json.loads(page.text_content(f"{root} pre.decision-aid-answer"))
    assert answer == expected
    # What the reader sees: the answer's words for every decided output the case expects.
    shown = page.inner_text(f"{root} output")
    for output in decision["outputs"]:
        got = expected["outputs"][output["id"]]
        if got["status"] == "decided" and isinstance(got["value"], str):
            label = next(o["label"] for o in output["options"] if o["value"] == got["value"])
            assert " ".join(label.split()) in " ".join(shown.split())
    assert page.console_errors == []


def _random_inputs(decision: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for item in decision["inputs"]:
        if rng.random() < 0.25:
            continue  # unknown
        kind = item["type"]
        if kind == "boolean":
            inputs[item["id"]] = rng.random() < 0.5
        elif kind == "choice":
            inputs[item["id"]] = rng.choice(item["options"])["value"]
        elif kind == "number":
            value = round(rng.uniform(0, 8), 1)
            inputs[item["id"]] = [value, value]
        else:
            start = rng.randrange(14_000, 21_000)  # days: 2008 to 2027
            width = rng.choice([0, 0, 30, 365])
            inputs[item["id"]] = [start, start + width]
    return inputs


@pytest.mark.parametrize("slug", SLUGS)
def test_generated_cases_agree(page: Any, server: str, slug: str) -> None:
    program = _program(_loaded(slug))
    rng = random.Random(20250901)
    batch = []
    for decision in program["decisions"]:
        for _ in range(150):
            batch.append((decision["id"], _random_inputs(decision, rng)))
    expected = []
    for ident, inputs in batch:
        decision = next(d for d in program["decisions"] if d["id"] == ident)
        given = {k: tuple(v) if isinstance(v, list) else v for k, v in inputs.items()}
        expected.append(json.loads(json.dumps(evaluate(program, decision, given))))
    page.goto(_page_url(server, slug))
    page.wait_for_selector("div.decision-aid[data-ready=true]", timeout=15_000)
    data = decisions_page(slug).rsplit("/", 1)[0] + "/beslisregels.json"
    got = page.evaluate(
        """async ([url, batch]) => {
            const program = await (await fetch(url)).json();
            return batch.map(([id, inputs]) => window.decisionAid.evaluate(
                program, program.decisions.find((d) => d.id === id), inputs));
        }""",
        [urljoin(server, data), batch],
    )
    assert got == expected
    assert page.console_errors == []
