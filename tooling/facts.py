"""Facts derived from a dossier, computed in one place for the checker and the templates.

A document and the checker can never disagree about whether a conclusion still stands or
what an indication's coverage was on a date, because both ask these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from tooling.dates import PartialDate
from tooling.model import Conclusion, CoveragePeriod, Dossier, Indication, Rule
from tooling.retractions import Notice

IndicationPath = tuple[str | int, ...]


def walk_indications(dossier: Dossier) -> Iterator[tuple[IndicationPath, Indication]]:
    """Every indication and subgroup, depth first, with its path in dossier.yaml."""

    def walk(
        path: IndicationPath, indication: Indication
    ) -> Iterator[tuple[IndicationPath, Indication]]:
        yield path, indication
        for k, sub in enumerate(indication.subgroups):
            yield from walk((*path, "subgroups", k), sub)

    for i, indication in enumerate(dossier.indications):
        yield from walk(("indications", i), indication)


def indication_index(dossier: Dossier) -> dict[str, Indication]:
    """Indications and subgroups by id (the first one wins when ids repeat)."""
    index: dict[str, Indication] = {}
    for _, indication in walk_indications(dossier):
        index.setdefault(indication.id, indication)
    return index


def conclusion_index(dossier: Dossier) -> dict[str, Conclusion]:
    """Every conclusion of the dossier by id."""
    index: dict[str, Conclusion] = {}
    for _, indication in walk_indications(dossier):
        for conclusion in indication.conclusions:
            index.setdefault(conclusion.id, conclusion)
    return index


def conclusion_stands(conclusion: Conclusion) -> bool:
    """A conclusion stands until it is recorded as invalidated or revised."""
    return conclusion.revision is None or conclusion.revision.kind == "under_reassessment"


def current_conclusion(indication: Indication) -> Conclusion | None:
    """The most recent conclusion of an indication (standing or not), or None."""
    if not indication.conclusions:
        return None
    return max(indication.conclusions, key=lambda c: c.date)


@dataclass(frozen=True)
class EvidenceStatus:
    """How the evidence under a conclusion stands: retracted, to review, sound, missing."""

    retracted: tuple[str, ...]
    to_review: tuple[str, ...]
    sound: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def rests_only_on_retracted(self) -> bool:
        return not self.sound and not self.to_review and bool(self.retracted)


def evidence_status(
    conclusion: Conclusion, references: Mapping[str, object], flags: Mapping[str, Notice]
) -> EvidenceStatus:
    """Sort a conclusion's references by what the retraction data says of them."""
    retracted, review, sound, missing = [], [], [], []
    for key in conclusion.evidence:
        if key not in references:
            missing.append(key)
        elif key in flags and flags[key].nature.invalidates:
            retracted.append(key)
        elif key in flags:
            review.append(key)
        else:
            sound.append(key)
    return EvidenceStatus(tuple(retracted), tuple(review), tuple(sound), tuple(missing))


def period_contains(period: CoveragePeriod, day: dt.date) -> bool:
    """Whether ``day`` falls inside a coverage period (start inclusive, end exclusive)."""
    if period.start is not None and day < period.start.earliest():
        return False
    return period.end is None or day < period.end.earliest()


def applies_to_variant(period: CoveragePeriod | Conclusion, variant: str | None) -> bool:
    return variant is None or not period.variants or variant in period.variants


def coverage_on(
    indication: Indication, day: dt.date | PartialDate, variant: str | None = None
) -> CoveragePeriod | None:
    """The coverage period of an indication (and variant) in force on a day, if recorded."""
    when = day.earliest() if isinstance(day, PartialDate) else day
    for period in indication.coverage:
        if applies_to_variant(period, variant) and period_contains(period, when):
            return period
    return None


def current_coverage(indication: Indication, variant: str | None = None) -> CoveragePeriod | None:
    """The coverage period still open (no end), else the last one recorded."""
    periods = [p for p in indication.coverage if applies_to_variant(p, variant)]
    open_periods = [p for p in periods if p.end is None]
    if open_periods:
        return open_periods[-1]
    return periods[-1] if periods else None


def variants_of(dossier: Dossier) -> dict[str, str]:
    """Variant id -> display name (abbreviation when there is one)."""
    return {v.id: v.abbreviation or v.name for v in dossier.intervention.variants}


def assessed(dossier: Dossier) -> list[Indication]:
    """The indications or subgroups that carry conclusions, in dossier order.

    Where an indication is split into subgroups with their own conclusions, the subgroups
    are what was decided, so they are listed instead of their parent.
    """
    result: list[Indication] = []

    def visit(indication: Indication) -> None:
        decided_subgroups = [s for s in indication.subgroups if s.conclusions or s.subgroups]
        if indication.conclusions or not decided_subgroups:
            result.append(indication)
        for sub in decided_subgroups:
            visit(sub)

    for indication in dossier.indications:
        visit(indication)
    return result


def variant_names(
    dossier: Dossier, indication: Indication, conclusion: Conclusion | None = None
) -> list[str]:
    """Names of the variants a conclusion (or else the indication) applies to."""
    names = variants_of(dossier)
    chosen = (
        conclusion.variants if conclusion and conclusion.variants else None
    ) or indication.variants
    return [names.get(v, v) for v in chosen]


def split_by_coverage(
    units: list[Indication],
) -> tuple[list[Indication], list[Indication], list[Indication]]:
    """Units whose current coverage is (conditionally) insured, not insured, or unrecorded."""
    covered: list[Indication] = []
    uncovered: list[Indication] = []
    other: list[Indication] = []
    for unit in units:
        period = current_coverage(unit)
        if period is None:
            other.append(unit)
        elif period.status == "not_insured":
            uncovered.append(unit)
        else:
            covered.append(unit)
    return covered, uncovered, other


@dataclass(frozen=True)
class RevisedConclusion:
    """A conclusion with a recorded revision: fallen (invalidated, revised) or being reassessed."""

    indication: Indication
    conclusion: Conclusion

    @property
    def stands(self) -> bool:
        return conclusion_stands(self.conclusion)


def revised_conclusions(dossier: Dossier) -> list[RevisedConclusion]:
    """Every conclusion with a revision, in dossier order."""
    return [
        RevisedConclusion(indication, conclusion)
        for _, indication in walk_indications(dossier)
        for conclusion in indication.conclusions
        if conclusion.revision is not None
    ]


NOTICE_IN_TEXT = frozenset({"position"})
"""Kinds of documents whose own text carries the notice about a fallen conclusion.

The position is the standing text of a dossier: every output of it (Markdown, PDF, DOCX,
its site page) says that a conclusion has fallen. A letter, an addendum, an FAQ or a leaflet
stays as it was issued: its PDF and DOCX are unchanged, and its site page shows the notice
beside the document. `notices` decides which revisions a document is concerned by.
"""


def notices(dossier: Dossier, named_indications: Iterable[str] = ()) -> list[RevisedConclusion]:
    """The revised conclusions a document is concerned by.

    A document that names indications (a letter, a leaflet) is concerned by revisions of
    those indications, their parents and their subgroups; one that names none covers the
    whole dossier.
    """
    revised = revised_conclusions(dossier)
    named = set(named_indications)
    if not named:
        return revised
    related: set[str] = set()
    for path, indication in walk_indications(dossier):
        if indication.id in named:
            related.update(_lineage_ids(dossier, path))
    return [r for r in revised if r.indication.id in related]


def _lineage_ids(dossier: Dossier, path: IndicationPath) -> set[str]:
    """Ids of the indication at ``path``, its ancestors and all its subgroups."""
    ids: set[str] = set()
    node: Indication | None = None
    for depth in range(2, len(path) + 1, 2):
        node = dossier.indications[int(path[1])] if depth == 2 else node
        if depth > 2 and node is not None:
            node = node.subgroups[int(path[depth - 1])]
        if node is not None:
            ids.add(node.id)
    stack = list(node.subgroups) if node is not None else []
    while stack:
        child = stack.pop()
        ids.add(child.id)
        stack.extend(child.subgroups)
    return ids


def named_indications(dossier: Dossier, kind: str, ident: str) -> tuple[str, ...]:
    """The indications a document names: a letter's list, a leaflet's indication; else none."""
    if kind == "letter":
        letter = next((x for x in dossier.letters if x.id == ident), None)
        return tuple(letter.indications) if letter else ()
    if kind == "leaflet":
        leaflet = next((x for x in dossier.leaflets if x.id == ident), None)
        return (leaflet.indication,) if leaflet and leaflet.indication else ()
    return ()


@dataclass(frozen=True)
class Count:
    """How many indications a dossier has: the indications, and their subgroups apart.

    One definition everywhere (summary line, home page, documents): an indication is a
    top-level entry of `indications`; a subgroup (at any depth) is counted as a subgroup,
    never as another indication. The 2019 letter's "acht indicaties" are the eight
    top-level indications of the neuromodulation dossier.
    """

    indications: int
    subgroups: int


def count(dossier: Dossier) -> Count:
    total = sum(1 for _ in walk_indications(dossier))
    return Count(len(dossier.indications), total - len(dossier.indications))


@dataclass(frozen=True)
class CoverageState:
    """What a reader is told about an indication's coverage now.

    ``status`` is the recorded status (None when nothing is recorded, "mixed" when the
    subgroups of an indication without coverage of its own differ). ``pending`` is true when
    the coverage rests on a conclusion that no longer stands, so a decision is to follow.
    """

    status: str | None
    since: PartialDate | None
    pending: bool


def coverage_state(indication: Indication) -> CoverageState:
    """The current coverage of an indication, summarising its subgroups when it has none."""
    period = current_coverage(indication)
    if period is not None:
        basis = (
            next((c for c in indication.conclusions if c.id == period.basis), None)
            if period.basis
            else None
        )
        pending = basis is not None and not conclusion_stands(basis)
        return CoverageState(period.status, period.start, pending)
    states = [coverage_state(sub) for sub in indication.subgroups]
    if not states:
        return CoverageState(None, None, False)
    statuses = {s.status for s in states}
    status = statuses.pop() if len(statuses) == 1 else "mixed"
    return CoverageState(status, None, any(s.pending for s in states))


def rule_periods(rule: Rule) -> list[tuple[object, dt.date | None, dt.date | None]]:
    """A rule's values with the days they are in force: [start, end), None when open or unstated.

    A value without ``end`` holds until the next value starts. The one place that says which
    value of a dated rule is in force: texts quote it (`rule_value_on`) and the decision
    tables export it.
    """
    if not rule.values:
        return [(rule.value, None, None)]
    periods: list[tuple[object, dt.date | None, dt.date | None]] = []
    for k, entry in enumerate(rule.values):
        end = entry.end or (rule.values[k + 1].start if k + 1 < len(rule.values) else None)
        start = entry.start.earliest() if entry.start else None
        periods.append((entry.value, start, end.earliest() if end else None))
    return periods


def rule_value_on(rule: Rule, when: PartialDate | None) -> object:
    """The value of a rule in force on a date (the last one when the date is not known).

    Raises:
        LookupError: No value of the rule is in force on that date.
    """
    if when is None or not rule.values:
        return rule.value
    first = when.earliest()
    for value, start, end in rule_periods(rule):
        if (start is None or start <= first) and (end is None or first < end):
            return value
    raise LookupError(f"rule '{rule.id}' has no value in force on {when}")
