"""The example dossiers hold the seeds' facts (../shared/seeds), each fact checked once here.

These are the only tests that type the seeds' dates, names and numbers: every other test
takes them from the model, so that this file is the one place that ties data to sources.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tooling.config import load_config
from tooling.dates import PartialDate
from tooling.facts import coverage_on, indication_index
from tooling.model import Dossier
from tooling.pipeline import CheckResult, check

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def checked() -> CheckResult:
    return check(load_config(REPO))


def dossier(checked: CheckResult, slug: str) -> Dossier:
    loaded = next(d for d in checked.dossiers if d.slug == slug)
    assert loaded.model is not None, loaded.findings
    return loaded.model


def test_repository_checks_clean(checked: CheckResult) -> None:
    assert not checked.errors, "\n".join(f.format() for f in checked.errors)
    assert {d.slug for d in checked.dossiers} >= {
        "imsr-chronische-pijn",
        "neuromodulatie-chronische-pijn",
        "injectie-denervatie-lage-rug",
        "neuro-pain-faq",
    }


def test_imsr_letter(checked: CheckResult) -> None:
    imsr = dossier(checked, "imsr-chronische-pijn")
    (letter,) = imsr.letters
    assert letter.recipient.organisation == "Nederlandse Vereniging van Revalidatieartsen"
    assert letter.recipient.attention == "mevrouw P. Goossens"
    assert letter.cc == ["Revalidatie Nederland"]
    assert letter.date == PartialDate(2025, 5, 7)
    assert letter.subject == "IMSR bij chronische pijn"
    assert letter.in_reply_to is not None and letter.in_reply_to.date == PartialDate(2025, 4, 24)
    assert letter.reply_deadline == PartialDate(2025, 5, 16)
    assert {m.date for m in letter.meetings} == {
        PartialDate(2025, 1, 27),
        PartialDate(2025, 4, 7),
        PartialDate(2025, 5, 14),
    }
    assert (letter.signatory.name, letter.signatory.role) == ("K.C. Timm-van Ruitenburg", "Lid Raad van Bestuur")


def test_imsr_conclusion_is_invalidated_by_retraction(checked: CheckResult) -> None:
    loaded = next(d for d in checked.dossiers if d.slug == "imsr-chronische-pijn")
    imsr = dossier(checked, "imsr-chronische-pijn")
    index = indication_index(imsr)
    conclusion = index["chronische-pijn"].conclusions[0]
    assert conclusion.verdict == "meets" and conclusion.date == PartialDate(2022)
    assert conclusion.revision is not None and conclusion.revision.kind == "invalidated"
    assert conclusion.evidence and all(loaded.flags[k].nature.value == "Retraction" for k in conclusion.evidence)
    assert all(loaded.references[k].is_placeholder for k in conclusion.evidence)
    # The revised PICO separates last-resort patients from the others.
    assert {"last-resort", "geen-last-resort"} <= set(index)
    assert "eerstelijnszorg" in index["geen-last-resort"].pico.comparator.lower()  # type: ignore[union-attr]
