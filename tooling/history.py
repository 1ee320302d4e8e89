"""A dossier as it stood on a day: every fact dated later taken out (docs/history.md).

`as_of` is the one place that says what was known on a day. The check, the documents and the
site then ask `tooling.facts` as always, so a document rendered as of 2019-12-01 and the check
of that state agree on every fact. Rules, in short:

- a date counts from the first day it may mean: "2022" from 1 January 2022;
- a conclusion, letter, addendum, FAQ, leaflet, review, version, superseded position or
  document provided dated after the day is left out; so is a coverage period starting later;
- a revision recorded after the day is left out: the conclusion stands again;
- a coverage period that ended after the day is still running: its end is left out (or, when
  the end first agreed lies after the day, that end is the period's end); conditional
  coverage keeps its end, the term it was granted for, known from its start;
- an indication or subgroup whose `since` lies after the day is left out; without `since`,
  one whose dated facts all lie after the day is left out;
- the position is left out when it was published (or took effect) after the day;
- dated values of a rule that start after the day are left out;
- the dossier's `status` is not dated: it stays the current one (a concept dossier may hold
  placeholders, whatever the day);
- a retraction notice dated after the day does not flag a reference (`flags_as_of`).

Prose (Markdown) is as it stands now; a released version keeps its own prose
(`tooling.versions`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from tooling.dates import PartialDate
from tooling.decision_model import LoadedDecisions
from tooling.diagnostics import Finding, Severity
from tooling.load import LoadedDossier
from tooling.model import (
    Conclusion,
    CoveragePeriod,
    Dossier,
    Indication,
    Passage,
    Position,
    Rule,
)
from tooling.retractions import Notice, current_notice
from tooling.yamlsource import SourceMap

YamlPath = tuple[str | int, ...]
Kept = dict[YamlPath, tuple[int, ...]]
"""For each list that lost items: its path in dossier.yaml -> the indices (in the file) kept."""

T = TypeVar("T")


def counts_by(date: PartialDate | None, day: dt.date) -> bool:
    """Whether a fact of this date was there at the end of ``day`` (undated: always)."""
    return date is None or date.earliest() <= day


def parse_day(text: str) -> dt.date:
    """A day as `--as-of` takes it: ``YYYY-MM-DD`` (or ``today``).

    Raises:
        ValueError: Not a day of the calendar, with the reason.
    """
    if text.strip().lower() == "today":
        return dt.date.today()
    date = PartialDate.parse(text)
    if not date.is_exact:
        raise ValueError(f"'{text}' is not a day: give YYYY-MM-DD")
    return date.earliest()


def as_of(dossier: Dossier, day: dt.date) -> Dossier:
    """The dossier as it stood at the end of ``day`` (the same object when nothing is later)."""
    return _AsOf(day).dossier(dossier)


def at(loaded: LoadedDossier, day: dt.date) -> LoadedDossier:
    """A loaded dossier as it stood at the end of ``day``: model, flags and source map.

    Findings about the result point at the right lines of dossier.yaml: its source map
    translates the indices of the shortened lists back to those of the file.
    """
    if loaded.model is None:
        return replace(loaded, as_of=day)
    first = first_date(loaded.model)
    if first is not None and not counts_by(first, day):
        absent = Finding(
            "as-of-absent",
            Severity.WARNING,
            f"the dossier did not exist yet on {day} (its first {_WHAT[bool(loaded.model.versions)]} "
            f"is dated {first}): left out",
            loaded.locate(("versions", 0, "date") if loaded.model.versions else ()),
        )
        return replace(
            loaded,
            model=None,
            as_of=day,
            findings=(*loaded.findings, absent),
            references={},
            flags={},
            notices={},
        )
    flags = (
        flags_as_of(loaded.notices, day, recorded(loaded.model)) if loaded.notices else loaded.flags
    )
    walker = _AsOf(day)
    model = walker.dossier(loaded.model)
    source = loaded.source
    if walker.kept and source is not None:
        source = ShiftedSource(source, walker.kept)
    decisions = loaded.decisions
    if decisions is not None and not decision_documents(decisions) <= document_ids(model):
        # Decision tables are not dated: before a document they quote existed, they did not.
        decisions = None
        model = model.model_copy(update={"decisions": None})
    return replace(loaded, model=model, source=source, flags=flags, as_of=day, decisions=decisions)


def document_ids(model: Dossier) -> set[str]:
    """Ids a source passage may name: the dossier's documents, and 'position'."""
    ids = {x.id for x in model.letters} | {x.id for x in model.leaflets}
    if model.faq is not None:
        ids.add(model.faq.id)
    if model.position is not None:
        ids.add("position")
    return ids


def decision_documents(decisions: LoadedDecisions) -> set[str]:
    """The documents the decision tables and their cases quote."""
    passages: list[Passage | None] = []
    if decisions.model is not None:
        for decision in decisions.model.decisions:
            passages.extend(row.source for table in decision.tables for row in table.rows)
            passages.extend(item.source for item in decision.derived)
    passages.extend(case.source for file in decisions.cases for case in file.cases)
    return {p.document for p in passages if p is not None and p.document is not None}


def first_date(model: Dossier) -> PartialDate | None:
    """When the dossier began: its first version, else its first dated fact.

    None when nothing in it is dated (it is then there on any day).
    """
    dates = [v.date for v in model.versions] or list(_dates(model))
    return min(dates, key=lambda d: d.earliest()) if dates else None


def flags_as_of(
    notices: Mapping[str, Sequence[Notice]],
    day: dt.date,
    recorded_on: Mapping[str, dt.date] | None = None,
) -> dict[str, Notice]:
    """The notice in force on ``day`` for each reference (notices dated later left out).

    A notice without a date (a BibTeX ``retraction`` field often has none) counts from the
    day the dossier first records it (``recorded_on``: see `recorded`); one the dossier does
    not record counts on every day, since leaving it out would hide a retraction.
    """
    recorded_on = recorded_on or {}
    flags: dict[str, Notice] = {}
    for key, found in notices.items():
        since = recorded_on.get(key)

        def known(notice: Notice, since: dt.date | None = since) -> bool:
            if notice.date is not None:
                return notice.date <= day
            return since is None or since <= day

        notice = current_notice(n for n in found if known(n))
        if notice is not None:
            flags[key] = notice
    return flags


def recorded(model: Dossier) -> dict[str, dt.date]:
    """The first day the dossier records each reference's retraction, where it does.

    A revision (invalidated, revised) of a conclusion records that the references under it
    fell; a review names the references it answers. That is the latest day the retraction
    can have been known, so an undated notice counts from then.
    """
    first: dict[str, dt.date] = {}

    def note(keys: Iterable[str], date: PartialDate) -> None:
        for key in keys:
            if key not in first or date.earliest() < first[key]:
                first[key] = date.earliest()

    stack = list(model.indications)
    while stack:
        indication = stack.pop()
        stack.extend(indication.subgroups)
        for conclusion in indication.conclusions:
            revision = conclusion.revision
            if revision is not None and revision.kind != "under_reassessment":
                note(conclusion.evidence, revision.date)
            for review in conclusion.reviews:
                note(review.references, review.date)
    return first


_WHAT = {True: "version", False: "dated fact"}


class ShiftedSource(SourceMap):
    """A source map for a shortened model: list indices are translated to the file's."""

    __slots__ = ("_kept",)

    def __init__(self, base: SourceMap, kept: Kept) -> None:
        super().__init__(base.path, {}, {})
        SourceMap.__setstate__(self, base.__getstate__())
        self._kept = kept

    def original(self, path: Sequence[str | int]) -> YamlPath:
        """The path in dossier.yaml of a value of the shortened model."""
        out: YamlPath = ()
        for part in path:
            if isinstance(part, int) and out in self._kept:
                indices = self._kept[out]
                part = indices[part] if 0 <= part < len(indices) else part
            out = (*out, part)
        return out

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Any:
        return super().locate(self.original(path), key=key)

    def __getstate__(self) -> tuple[Any, ...]:
        return (*super().__getstate__(), self._kept)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        super().__setstate__(state[:-1])
        self._kept = state[-1]  # type: ignore[assignment]


class _AsOf:
    """One walk over a dossier, keeping what was there at the end of ``day``."""

    def __init__(self, day: dt.date) -> None:
        self.day = day
        self.kept: Kept = {}
        self.named: set[str] = set()  # indications named by a document of the day

    def keep(self, path: YamlPath, items: Sequence[T], keep: Iterable[bool]) -> list[T] | None:
        """The items kept, or None when all are (records the indices for the source map)."""
        flags = list(keep)
        if all(flags):
            return None
        self.kept[path] = tuple(i for i, ok in enumerate(flags) if ok)
        return [item for item, ok in zip(items, flags, strict=True) if ok]

    def on(self, date: PartialDate | None) -> bool:
        return counts_by(date, self.day)

    # -- the dossier ----------------------------------------------------------------------

    def dossier(self, model: Dossier) -> Dossier:
        update: dict[str, Any] = {}
        position = model.position
        if position is not None:
            if not self.on(_first(position.published, position.date)):
                update["position"] = None
            else:
                changed = self.position(position)
                if changed is not position:
                    update["position"] = changed
        letters = self.keep(("letters",), model.letters, (self.on(x.date) for x in model.letters))
        if letters is not None:
            update["letters"] = letters
        if model.faq is not None and not self.on(model.faq.date):
            update["faq"] = None
        leaflets = self.keep(
            ("leaflets",), model.leaflets, (self.on(x.date) for x in model.leaflets)
        )
        if leaflets is not None:
            update["leaflets"] = leaflets
        # An indication a document of the day names was in the dossier that day, even when
        # its conclusions came later (the 2019 letter names the eight indications under
        # assessment before the position decided on them).
        for letter in model.letters if letters is None else letters:
            self.named.update(letter.indications)
        for leaflet in model.leaflets if leaflets is None else leaflets:
            self.named.update((leaflet.indication,) if leaflet.indication else ())
        indications = self.indications(("indications",), model.indications)
        if indications is not None:
            update["indications"] = indications
        rules = [self.rule(("rules", i), rule) for i, rule in enumerate(model.rules)]
        if any(new is not old for new, old in zip(rules, model.rules, strict=True)):
            update["rules"] = rules
        versions = self.keep(
            ("versions",), model.versions, (self.on(v.date) for v in model.versions)
        )
        if versions is not None:
            update["versions"] = versions
        if not self.on(model.updated):
            known = (d for d in _dates(model.model_copy(update=update)) if self.on(d))
            update["updated"] = _latest(known) or model.updated
        return model.model_copy(update=update) if update else model

    def position(self, position: Position) -> Position:
        update: dict[str, Any] = {}
        path: YamlPath = ("position",)
        for name in ("addenda", "supersedes"):
            items = getattr(position, name)
            kept = self.keep((*path, name), items, (self.on(x.date) for x in items))
            if kept is not None:
                update[name] = kept
        parties = []
        for i, party in enumerate(position.parties):
            kept = self.keep(
                (*path, "parties", i, "provides"),
                party.provides,
                (self.on(x.date) for x in party.provides),
            )
            parties.append(party if kept is None else party.model_copy(update={"provides": kept}))
        if any(new is not old for new, old in zip(parties, position.parties, strict=True)):
            update["parties"] = parties
        return position.model_copy(update=update) if update else position

    # -- indications ----------------------------------------------------------------------

    def indications(self, path: YamlPath, items: Sequence[Indication]) -> list[Indication] | None:
        """The indications of a list as of the day, or None when unchanged."""
        walked = [self.indication((*path, i), item) for i, item in enumerate(items)]
        kept = self.keep(path, walked, (new is not None for new in walked))
        if kept is not None:
            return [new for new in kept if new is not None]
        if all(new is old for new, old in zip(walked, items, strict=True)):
            return None
        return [new for new in walked if new is not None]

    def indication(self, path: YamlPath, indication: Indication) -> Indication | None:
        """The indication as of the day, or None when it was not yet in the dossier."""
        if indication.since is not None and not self.on(indication.since):
            return None
        if indication.since is None and not self.present(indication):
            return None
        update: dict[str, Any] = {}
        conclusions = [
            self.conclusion((*path, "conclusions", j), c)
            for j, c in enumerate(indication.conclusions)
        ]
        kept = self.keep(
            (*path, "conclusions"), conclusions, (self.on(c.date) for c in indication.conclusions)
        )
        if kept is not None:
            update["conclusions"] = kept
        elif any(n is not o for n, o in zip(conclusions, indication.conclusions, strict=True)):
            update["conclusions"] = conclusions
        periods = [self.period(p) for p in indication.coverage]
        kept_periods = self.keep(
            (*path, "coverage"), periods, (self.on(p.start) for p in indication.coverage)
        )
        if kept_periods is not None:
            update["coverage"] = kept_periods
        elif any(n is not o for n, o in zip(periods, indication.coverage, strict=True)):
            update["coverage"] = periods
        subgroups = self.indications((*path, "subgroups"), indication.subgroups)
        if subgroups is not None:
            update["subgroups"] = subgroups
        return indication.model_copy(update=update) if update else indication

    def present(self, indication: Indication) -> bool:
        """Without `since`: there when undated, when a fact of it (or of a subgroup) is dated
        by the day, or when a document of the day names it or a subgroup."""
        dated = list(_indication_dates(indication))
        if not dated or any(self.on(d) for d in dated):
            return True
        stack = [indication]
        while stack:
            node = stack.pop()
            if node.id in self.named:
                return True
            stack.extend(node.subgroups)
        return False

    def conclusion(self, path: YamlPath, conclusion: Conclusion) -> Conclusion:
        update: dict[str, Any] = {}
        if conclusion.revision is not None and not self.on(conclusion.revision.date):
            update["revision"] = None
        reviews = self.keep(
            (*path, "reviews"), conclusion.reviews, (self.on(r.date) for r in conclusion.reviews)
        )
        if reviews is not None:
            update["reviews"] = reviews
        return conclusion.model_copy(update=update) if update else conclusion

    def period(self, period: CoveragePeriod) -> CoveragePeriod:
        if period.end is None or self.on(period.end):
            return period
        agreed = period.agreed_until
        if agreed is not None and not self.on(agreed):
            return period.model_copy(update={"end": agreed, "agreed_until": None})
        if period.status == "conditional" and agreed is None:
            return period  # granted for a term: its end was known from its start
        return period.model_copy(update={"end": None})

    def rule(self, path: YamlPath, rule: Rule) -> Rule:
        if not rule.values:
            return rule
        kept = self.keep((*path, "values"), rule.values, (self.on(v.start) for v in rule.values))
        if kept is None or not kept:
            # Every value starts later: the rule keeps them, and a text quoting it on an
            # earlier day finds no value in force (facts.rule_value_on says so).
            self.kept.pop((*path, "values"), None)
            return rule
        return rule.model_copy(update={"values": kept, "value": kept[-1].value})


def _first(*dates: PartialDate | None) -> PartialDate | None:
    known = [d for d in dates if d is not None]
    return min(known, key=lambda d: d.earliest()) if known else None


def _latest(dates: Iterable[PartialDate]) -> PartialDate | None:
    known = list(dates)
    return max(known, key=lambda d: d.earliest()) if known else None


def _indication_dates(indication: Indication) -> Iterable[PartialDate]:
    """The dated facts of an indication and its subgroups: conclusions and coverage starts."""
    for conclusion in indication.conclusions:
        yield conclusion.date
    for period in indication.coverage:
        if period.start is not None:
            yield period.start
    for sub in indication.subgroups:
        yield from (sub.since,) if sub.since is not None else _indication_dates(sub)


def _dates(model: Dossier) -> Iterable[PartialDate]:
    """Every date of a dossier's dated facts (for `updated` as of a day)."""
    if model.position is not None:
        yield model.position.date
        yield from (a.date for a in model.position.addenda)
    yield from (x.date for x in model.letters)
    yield from (x.date for x in model.leaflets if x.date is not None)
    if model.faq is not None:
        yield model.faq.date
    yield from (v.date for v in model.versions)
    stack = list(model.indications)
    while stack:
        indication = stack.pop()
        for conclusion in indication.conclusions:
            yield conclusion.date
            if conclusion.revision is not None:
                yield conclusion.revision.date
        yield from (p.start for p in indication.coverage if p.start is not None)
        stack.extend(indication.subgroups)
