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
from tooling.pipeline import Checked, check

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def checked() -> Checked:
    return check(load_config(REPO))


def dossier(checked: Checked, slug: str) -> Dossier:
    loaded = next(d for d in checked.loaded if d.slug == slug)
    assert loaded.model is not None, loaded.findings
    return loaded.model


def test_repository_checks_clean(checked: Checked) -> None:
    assert not checked.errors, "\n".join(f.format() for f in checked.errors)
    assert {d.slug for d in checked.loaded} >= {
        "imsr-chronische-pijn",
        "neuromodulatie-chronische-pijn",
        "injectie-denervatie-lage-rug",
        "neuro-pain-faq",
    }


def test_imsr_letter(checked: Checked) -> None:
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
    assert (letter.signatory.name, letter.signatory.role) == (
        "K.C. Timm-van Ruitenburg",
        "Lid Raad van Bestuur",
    )


def test_imsr_conclusion_is_invalidated_by_retraction(checked: Checked) -> None:
    loaded = next(d for d in checked.loaded if d.slug == "imsr-chronische-pijn")
    imsr = dossier(checked, "imsr-chronische-pijn")
    index = indication_index(imsr)
    conclusion = index["chronische-pijn"].conclusions[0]
    assert conclusion.verdict == "meets" and conclusion.date == PartialDate(2022)
    assert conclusion.revision is not None and conclusion.revision.kind == "invalidated"
    assert conclusion.evidence and all(
        loaded.flags[k].nature.value == "Retraction" for k in conclusion.evidence
    )
    assert all(loaded.references[k].is_placeholder for k in conclusion.evidence)
    # The revised PICO separates last-resort patients from the others.
    assert {"last-resort", "geen-last-resort"} <= set(index)
    assert "eerstelijnszorg" in index["geen-last-resort"].pico.comparator.lower()  # type: ignore[union-attr]


NEURO_REIMBURSED = {  # seed 000: "wordt vergoed voor de volgende aandoeningen", with technique
    "fbss": {"scs"},
    "fnss": {"scs"},
    "crps-voet-been": {"scs", "drgs"},
    "crps-overig": {"scs"},
    "pdn": {"scs"},
}
NEURO_NOT_REIMBURSED = 4  # seed 000: PHN, letsel, refractaire AP, PAV/ischemische pijn


def test_neuromodulation_position(checked: Checked) -> None:
    neuro = dossier(checked, "neuromodulatie-chronische-pijn")
    position = neuro.position
    assert position is not None and position.date == PartialDate(2019, 11, 12)
    assert position.status == "definitive"
    index = indication_index(neuro)
    in_force = position.date
    for ident, techniques in NEURO_REIMBURSED.items():
        period = coverage_on(index[ident], in_force)
        assert period is not None and period.status == "insured", ident
        assert set(period.variants) == techniques, ident
        assert index[ident].conclusions[0].verdict == "meets"
    not_insured = [
        ind
        for ind in index.values()
        if (p := coverage_on(ind, in_force)) is not None and p.status == "not_insured"
    ]
    assert len(not_insured) == NEURO_NOT_REIMBURSED
    assert all(ind.conclusions[0].verdict == "does_not_meet" for ind in not_insured)
    assert [a.date for a in position.addenda] == [PartialDate(2020, 9, 2)]
    assert (
        "pagina 264" in (position.addenda[0].location or "")
        and "tabel 3" in position.addenda[0].location
    )  # type: ignore[operator]
    assert [s.date for s in position.supersedes] == [PartialDate(2007), PartialDate(2007)]
    # The seed names neither 2007 position ("Dit zijn:" is followed by nothing): no titles.
    assert all(s.title is None for s in position.supersedes)
    conditions = " ".join(c.text for c in position.conditions).lower()
    for condition in ("volwassen", "ernstige pijn", "proefbehandeling", "multidisciplinair"):
        assert condition in conditions
    assert position.transitional_arrangement is not None


def test_neuromodulation_letter_names_the_eight_indications(checked: Checked) -> None:
    neuro = dossier(checked, "neuromodulatie-chronische-pijn")
    (letter,) = neuro.letters
    assert letter.audience == "parliament"
    assert len(letter.indications) == 8  # seed 001: "acht verschillende indicaties"
    assert letter.signatory.name == "B.J. Bruins"
    assert letter.signatory.role == "Minister voor Medische Zorg"
    assert any(m.date == PartialDate(2019, 6, 26) for m in letter.meetings)  # AO Pakketbeheer


def test_injection_denervation_coverage_timeline(checked: Checked) -> None:
    leaflet_dossier = dossier(checked, "injectie-denervatie-lage-rug")
    (indication,) = leaflet_dossier.indications
    day = PartialDate.parse
    assert coverage_on(indication, day("2012-01-01"), "injectie").status == "not_insured"  # type: ignore[union-attr]
    assert coverage_on(indication, day("2013-06-01"), "denervatie").status == "insured"  # type: ignore[union-attr]
    study = coverage_on(indication, day("2014-01-01"), "denervatie")
    assert study is not None and study.status == "conditional"
    assert study.centres is not None and study.centres.count == 16
    earlier = coverage_on(indication, day("2013-12-31"), "denervatie")
    assert earlier is not None and earlier.agreed_until == day("2016-01-01")
    rules = {r.id: (r.value, r.unit) for r in leaflet_dossier.rules}
    assert rules["machtiging-beslistermijn"] == (6, "weken")
    assert rules["bezwaar-termijn"] == (6, "weken")


def test_neuro_pain_faq(checked: Checked) -> None:
    faq_dossier = dossier(checked, "neuro-pain-faq")
    faq = faq_dossier.faq
    assert faq is not None and faq.date == PartialDate(2025, 9)
    assert [t.title for t in faq.themes] == [
        "Proeftherapie & primo-implantatie",
        "Vervangingen & garanties",
        "Andere",
    ]
    assert sum(len(t.items) for t in faq.themes) == 21
    values = {(r.value, r.unit) for r in faq_dossier.rules}
    for rule in [
        (6, "maanden"),
        (3.5, "V"),
        (4.7, "mA"),
        (9, "jaar"),
        (5, "jaar"),
        (4, "jaar"),
        (24, "maanden"),
        ("151152-151163", None),
        ("151174-151185", None),
    ]:
        assert rule in values, rule
    terms = {g.term.split(" (")[0] for g in faq_dossier.glossary}
    assert terms >= {"IPG", "V.I.", "MAO", "MPC", "FBSS/FNSS", "PDPN"}
