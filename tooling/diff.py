"""What changed between two states of a dossier: structural changes, and word diffs of prose.

`diff(old, new, ...)` compares two models (usually the same dossier as of two dates, see
`tooling.history.as_of`, or an archived version and today's sources) and returns `Changes`,
a frozen value. The Dutch text (`describe`, `dutch`) and the JSON (`Changes.to_json`,
schema/diff.schema.json) are two formats of it; the addendum draft (`tooling.draft`) and
the site's changes page list the same values. Every change carries the dates the model
gives it, never one made up.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from tooling.dates import PartialDate
from tooling.facts import period_contains, variants_of
from tooling.i18n import message
from tooling.model import (
    Conclusion,
    CoveragePeriod,
    Dossier,
    Indication,
    Pico,
    Position,
)
from tooling.retractions import Notice
from tooling.templating import format_indication, format_partial_date

WordOp = Literal["same", "removed", "added"]

STRUCTURAL = frozenset(
    {
        "indication_added",
        "subgroup_added",
        "indication_removed",
        "subgroup_removed",
        "indication_changed",
        "pico_added",
        "pico_removed",
        "pico_changed",
        "conclusion_added",
        "conclusion_removed",
        "verdict_changed",
        "conclusion_revised",
        "revision_removed",
        "coverage_added",
        "coverage_removed",
        "coverage_changed",
        "coverage_end_changed",
        "coverage_details_changed",
        "condition_added",
        "condition_removed",
        "condition_changed",
        "transitional_added",
        "transitional_removed",
        "transitional_changed",
        "superseded_added",
        "superseded_removed",
    }
)
"""Changes to what a position decides: those an addendum of their period must mention.

Not structural: new letters, addenda and versions (they are the documents that report a
change), reviews, evidence lists, retraction flags, and edits of prose (word diffs).
"""


@dataclass(frozen=True)
class Words:
    """A run of words of a word diff: the same in both texts, removed, or added."""

    op: WordOp
    text: str


@dataclass(frozen=True)
class Change:
    """One change between two states of a dossier.

    ``old`` and ``new`` are model values (a coverage status, a verdict, a date, a text) in
    the vocabulary ``values`` names; `describe` words them. ``date`` is the date the model
    gives the change (since when it holds), None when the model gives none.
    """

    kind: str
    path: str  # where in dossier.yaml, by ids: "indications/chronische-pijn/conclusions/imsr-2022"
    subject: str  # the id (or key, or file) of what changed
    where: str  # the place a reader knows: an indication's name, "Voorwaarden", "Brieven"
    old: str | None = None
    new: str | None = None
    values: str = ""  # coverage | verdict | revision | status | nature | date | text | ""
    date: PartialDate | None = None
    details: tuple[tuple[str, str], ...] = ()
    words: tuple[Words, ...] = ()
    terms: tuple[str, ...] = field(default=(), compare=False)  # words that name it

    @property
    def structural(self) -> bool:
        return self.kind in STRUCTURAL

    def detail(self, key: str) -> str:
        return dict(self.details).get(key, "")

    def mentioned_in(self, text: str) -> bool:
        """Whether ``text`` names what this change is about (one of its terms, any case)."""
        folded = " ".join(text.split()).casefold()
        return any(" ".join(term.split()).casefold() in folded for term in self.terms if term)


@dataclass(frozen=True)
class State:
    """One side of a comparison: its label (a day or a version id), the day the dossier is
    taken as it stood at the end of, and a version's own date as the dossier gives it."""

    label: str
    date: dt.date | None
    given: PartialDate | None = None


@dataclass(frozen=True)
class Changes:
    """Everything that changed in a dossier between two states, in dossier order."""

    slug: str
    title: str
    old: State
    new: State
    changes: tuple[Change, ...]

    @property
    def structural(self) -> list[Change]:
        return [c for c in self.changes if c.structural]


# -- comparing two models -----------------------------------------------------------------------


def diff(
    old: Dossier,
    new: Dossier,
    old_label: str,
    new_label: str,
    *,
    slug: str = "",
    old_date: dt.date | PartialDate | None = None,
    new_date: dt.date | PartialDate | None = None,
    old_flags: Mapping[str, Notice] | None = None,
    new_flags: Mapping[str, Notice] | None = None,
    old_texts: Mapping[str, str] | None = None,
    new_texts: Mapping[str, str] | None = None,
) -> Changes:
    """The changes from ``old`` to ``new``, in dossier order.

    Args:
        old: The earlier state of the dossier.
        new: The later state.
        old_label: How the earlier state is named (a date or a version id).
        new_label: How the later state is named.
        slug: The dossier's folder name.
        old_date: The day of the earlier state, or a version's date (from its first day).
        new_date: The same for the later state.
        old_flags: Retraction notices in force for the references then (key -> notice).
        new_flags: The same for the later state; references newly flagged are changes.
        old_texts: The Markdown files of the earlier state (body_file -> text).
        new_texts: The same for the later state; their edits are word diffs.
    """
    found = [
        *_dossier_fields(old, new),
        *_position(old.position, new.position),
        *_indications(old, new),
        *_letters(old, new),
        *_flags(old_flags or {}, new_flags or {}, new),
        *_versions(old, new),
        *_files(old_texts or {}, new_texts or {}, old, new),
    ]
    return Changes(
        slug, new.title, _state(old_label, old_date), _state(new_label, new_date), tuple(found)
    )


def _state(label: str, date: dt.date | PartialDate | None) -> State:
    if isinstance(date, PartialDate):
        return State(label, date.earliest(), date)
    return State(label, date)


def word_diff(old: str, new: str) -> tuple[Words, ...]:
    """The words of ``old`` and ``new`` as runs kept, removed and added; () when only the
    spacing differs (YAML folds lines, so a re-wrapped paragraph is no change)."""
    a, b = old.split(), new.split()
    if a == b:
        return ()
    runs: list[Words] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(Words("same", " ".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            runs.append(Words("removed", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            runs.append(Words("added", " ".join(b[j1:j2])))
    return tuple(runs)


@dataclass(frozen=True)
class _At:
    """Where changes happen (a path, the id, the reader's name, the terms): makes them."""

    path: str
    subject: str
    where: str
    terms: tuple[str, ...] = ()

    def __call__(
        self,
        kind: str,
        old: str | None = None,
        new: str | None = None,
        values: str = "",
        date: PartialDate | None = None,
        details: Iterable[tuple[str, str]] = (),
        *,
        sub: str = "",
        words: tuple[Words, ...] = (),
    ) -> Change:
        path = f"{self.path}/{sub}" if sub else self.path
        return Change(
            kind, path, self.subject, self.where, old, new, values, date, tuple(details), words,
            self.terms,
        )  # fmt: skip

    def text(self, sub: str, old: str, new: str, field_: str) -> Iterator[Change]:
        """A word diff of a prose field, when its words changed."""
        words = word_diff(old, new)
        if words:
            yield self(
                "text_changed", values="text", details=[("field", field_)], sub=sub, words=words
            )


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _dossier_fields(old: Dossier, new: Dossier) -> Iterator[Change]:
    at = _At("dossier", "dossier", message("change.where.dossier"))
    for name in ("title", "status"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            kind = "status" if name == "status" else "text"
            yield at("dossier_changed", before, after, kind, details=[("field", name)], sub=name)
    yield from at.text("summary", old.summary, new.summary, "summary")
    yield from at.text(
        "intervention", old.intervention.description, new.intervention.description, "intervention"
    )


def _position(old: Position | None, new: Position | None) -> Iterator[Change]:
    if new is None:
        if old is not None:
            at = _At("position", "position", message("change.where.position"), (old.title,))
            yield at(
                "position_removed", old.status, None, "status", old.date, [("title", old.title)]
            )
        return
    at = _At("position", "position", message("change.where.position"), (new.title,))
    if old is None:
        yield at("position_added", None, new.status, "status", new.date, [("title", new.title)])
        old = Position.model_validate(  # its parts are new; its text comes with it
            {"title": new.title, "status": new.status, "date": new.date, "summary": new.summary}
        )
    for name in ("title", "status", "date", "published", "consultation_until"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            kind = {"status": "status", "title": "text"}.get(name, "date")
            yield at(
                "position_changed", _str(before), _str(after), kind,
                new.date if name == "status" else None, [("field", name)], sub=name,
            )  # fmt: skip
    yield from at.text("summary", old.summary, new.summary, "position_summary")
    yield from _conditions(old, new)
    yield from _transitional(old, new)
    yield from _superseded(old, new)
    yield from _addenda(old, new)


def _conditions(old: Position, new: Position) -> Iterator[Change]:
    before = {c.id: c for c in old.conditions}
    after = {c.id: c for c in new.conditions}
    for ident in [*after, *(i for i in before if i not in after)]:
        a, b = before.get(ident), after.get(ident)
        texts = tuple(c.text for c in (a, b) if c is not None)
        at = _At(f"position/conditions/{ident}", ident, message("doc.conditions"), (ident, *texts))
        if a is None and b is not None:
            yield at("condition_added", None, b.text, "text")
        elif b is None and a is not None:
            yield at("condition_removed", a.text, None, "text")
        elif a is not None and b is not None and (words := word_diff(a.text, b.text)):
            yield at("condition_changed", a.text, b.text, "text", words=words)


def _transitional(old: Position, new: Position) -> Iterator[Change]:
    where = message("doc.transitional")
    at = _At("position/transitional_arrangement", "transitional_arrangement", where, (where,))
    a, b = old.transitional_arrangement, new.transitional_arrangement
    if a is None and b is not None:
        yield at(
            "transitional_added", None, b.summary, "text", None, [("applies_to", b.applies_to)]
        )
    elif a is not None and b is None:
        yield at("transitional_removed", a.summary, None, "text")
    elif a is not None and b is not None:
        for name in ("summary", "applies_to"):
            before, after = getattr(a, name), getattr(b, name)
            if words := word_diff(before, after):
                yield at(
                    "transitional_changed", before, after, "text", None, [("field", name)],
                    sub=name, words=words,
                )  # fmt: skip
        yield from at.text("details", a.details, b.details, "transitional_details")


def _superseded(old: Position, new: Position) -> Iterator[Change]:
    before = {s.id: s for s in old.supersedes}
    after = {s.id: s for s in new.supersedes}
    for kind, ours, theirs in (
        ("superseded_added", after, before),
        ("superseded_removed", before, after),
    ):
        for ident, entry in ours.items():
            if ident in theirs:
                continue
            where = message("doc.superseded")
            at = _At(f"position/supersedes/{ident}", ident, where, (ident, entry.title or ""))
            details = [("title", entry.title or message("doc.title_not_stated"))]
            details += [("issuer", entry.issuer)] if entry.issuer else []
            yield at(kind, date=entry.date, details=details)


def _addenda(old: Position, new: Position) -> Iterator[Change]:
    before = {a.id: a for a in old.addenda}
    after = {a.id: a for a in new.addenda}
    for ident in [*after, *(i for i in before if i not in after)]:
        a, b = before.get(ident), after.get(ident)
        at = _At(f"position/addenda/{ident}", ident, message("doc.addenda"), (ident,))
        if a is None and b is not None:
            location = [("location", b.location)] if b.location else []
            yield at("addendum_added", None, b.summary, "text", b.date, location)
        elif b is None and a is not None:
            yield at("addendum_removed", a.summary, None, "text", a.date)
        elif a is not None and b is not None:
            yield from at.text("details", a.details, b.details, "addendum_details")


# -- indications ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    path: str
    indication: Indication
    parent: Indication | None


def _nodes(dossier: Dossier) -> dict[str, _Node]:
    """Every indication and subgroup by id (the first wins when ids repeat), in dossier order."""
    found: dict[str, _Node] = {}

    def visit(prefix: str, indication: Indication, parent: Indication | None) -> None:
        path = f"{prefix}/{indication.id}"
        found.setdefault(indication.id, _Node(path, indication, parent))
        for sub in indication.subgroups:
            visit(f"{path}/subgroups", sub, indication)

    for indication in dossier.indications:
        visit("indications", indication, None)
    return found


def _name(indication: Indication) -> str:
    return format_indication(indication, "short")


def _terms(indication: Indication | None) -> tuple[str, ...]:
    if indication is None:
        return ()
    return tuple(x for x in (indication.name, indication.abbreviation, indication.id) if x)


def _pico_details(pico: Pico | None) -> list[tuple[str, str]]:
    if pico is None:
        return []
    return [
        ("population", pico.population),
        ("intervention", pico.intervention),
        ("comparator", pico.comparator),
        ("outcomes", "; ".join(pico.outcomes)),
    ]


def _indications(old: Dossier, new: Dossier) -> Iterator[Change]:
    before, after = _nodes(old), _nodes(new)
    names = (variants_of(old), variants_of(new))
    for ident in [*after, *(i for i in before if i not in after)]:
        a, b = before.get(ident), after.get(ident)
        if a is not None and b is not None:
            yield from _indication(a, b, names)
            continue
        node = b or a
        assert node is not None
        indication, added = node.indication, b is not None
        terms = _terms(indication) + _terms(node.parent)
        at = _At(node.path, ident, _name(indication), terms)
        details = [("parent", _name(node.parent))] if node.parent else []
        details += _pico_details(indication.pico)
        kind = ("subgroup" if node.parent else "indication") + ("_added" if added else "_removed")
        name = indication.name
        since = indication.since if added else None
        yield at(kind, None if added else name, name if added else None, "text", since, details)
        if added:  # what it comes with: its conclusions and coverage (subgroups come apart)
            empty = indication.model_copy(update={"conclusions": [], "coverage": []})
            yield from _conclusions(at, empty, indication)
            yield from _coverage(at, empty, indication, names[1])


def _indication(
    a: _Node, b: _Node, names: tuple[Mapping[str, str], Mapping[str, str]]
) -> Iterator[Change]:
    ind_a, ind_b = a.indication, b.indication
    at = _At(b.path, ind_b.id, _name(ind_b), _terms(ind_b) + _terms(ind_a))
    for name in ("name", "abbreviation", "qualifier", "explanation"):
        before, after = getattr(ind_a, name), getattr(ind_b, name)
        if before != after:
            yield at("indication_changed", before, after, "text", None, [("field", name)], sub=name)
    if ind_a.variants != ind_b.variants:
        before = ", ".join(names[0].get(v, v) for v in ind_a.variants) or None
        after = ", ".join(names[1].get(v, v) for v in ind_b.variants) or None
        details = [("field", "variants")]
        yield at("indication_changed", before, after, "text", None, details, sub="variants")
    yield from _pico(at, ind_a.pico, ind_b.pico)
    yield from at.text("description", ind_a.description, ind_b.description, "description")
    yield from _conclusions(at, ind_a, ind_b)
    yield from _coverage(at, ind_a, ind_b, names[1])


def _pico(at: _At, before: Pico | None, after: Pico | None) -> Iterator[Change]:
    if before == after:
        return
    if before is None or after is None:
        kind = "pico_added" if after is not None else "pico_removed"
        yield at(kind, details=_pico_details(after or before), sub="pico")
        return
    for name in ("population", "intervention", "comparator", "outcomes"):
        a, b = getattr(before, name), getattr(after, name)
        if name == "outcomes":
            a, b = "; ".join(a), "; ".join(b)
        if words := word_diff(a, b):
            yield at(
                "pico_changed", a or None, b or None, "text", None, [("field", name)],
                sub=f"pico/{name}", words=words,
            )  # fmt: skip


def _conclusions(at: _At, a: Indication, b: Indication) -> Iterator[Change]:
    before = {c.id: c for c in a.conclusions}
    after = {c.id: c for c in b.conclusions}
    for ident in [*after, *(i for i in before if i not in after)]:
        old, new = before.get(ident), after.get(ident)
        here = replace(at, path=f"{at.path}/conclusions/{ident}", subject=ident)
        if new is None:
            assert old is not None
            yield here("conclusion_removed", old.verdict, None, "verdict", old.date, _basics(old))
            continue
        if old is None:
            yield here("conclusion_added", None, new.verdict, "verdict", new.date, _basics(new))
            old = new.model_copy(update={"revision": None, "reviews": []})  # the rest is new
        yield from _conclusion(here, old, new)


def _basics(conclusion: Conclusion) -> list[tuple[str, str]]:
    return [("conclusion_date", str(conclusion.date)), ("verdict", conclusion.verdict)]


def _conclusion(at: _At, a: Conclusion, b: Conclusion) -> Iterator[Change]:
    base = _basics(b)
    if a.verdict != b.verdict:
        yield at("verdict_changed", a.verdict, b.verdict, "verdict", b.date, base, sub="verdict")
    if a.revision != b.revision:
        revision, earlier = b.revision, a.revision
        if revision is None:
            assert earlier is not None
            yield at(
                "revision_removed", earlier.kind, None, "revision", earlier.date, base,
                sub="revision",
            )  # fmt: skip
        else:
            details = [*base, ("reason", " ".join(revision.reason.split()))]
            details += [("decided", str(revision.decided))] if revision.decided else []
            details += [("source", revision.source)] if revision.source else []
            details += [("replaced_by", revision.replaced_by)] if revision.replaced_by else []
            yield at(
                "conclusion_revised", earlier.kind if earlier else None, revision.kind,
                "revision", revision.decided or revision.date, details, sub="revision",
            )  # fmt: skip
    known = {(r.date, tuple(r.references)) for r in a.reviews}
    for review in b.reviews:
        if (review.date, tuple(review.references)) not in known:
            details = [*base, ("reason", " ".join(review.reason.split()))]
            details.append(("references", ", ".join(review.references)))
            yield at("review_added", date=review.date, details=details, sub="reviews")
    if a.evidence != b.evidence:
        added = ", ".join(k for k in b.evidence if k not in a.evidence)
        removed = ", ".join(k for k in a.evidence if k not in b.evidence)
        details = [*base, ("added", added), ("removed", removed)]
        yield at("evidence_changed", details=details, sub="evidence")
    yield from at.text("rationale", a.rationale, b.rationale, "rationale")


_PERIOD_FIELDS = ("conditions", "study", "centres", "agreed_until", "basis")


def _coverage(at: _At, a: Indication, b: Indication, names: Mapping[str, str]) -> Iterator[Change]:
    """Coverage periods matched by (variants, start). A period that starts where another status
    held (or ended that day) is a change of status since its start, not an added period."""

    def key(period: CoveragePeriod) -> tuple[tuple[str, ...], str]:
        return tuple(period.variants), str(period.start or "")

    before = {key(p): p for p in a.coverage}
    after = {key(p): p for p in b.coverage}
    new_starts = {(tuple(p.variants), p.start) for k, p in after.items() if k not in before}

    def place(period: CoveragePeriod) -> _At:
        shown = ", ".join(names.get(v, v) for v in period.variants)
        where = f"{at.where} ({shown})" if shown else at.where
        sub = f"coverage/{'+'.join(period.variants) or 'all'}@{period.start or 'start'}"
        return _At(f"{at.path}/{sub}", at.subject, where, at.terms)

    for k in [*after, *(k for k in before if k not in after)]:
        old, new = before.get(k), after.get(k)
        period = new or old
        assert period is not None
        here, basics = place(period), [("status", period.status)]
        if new is None:
            yield here("coverage_removed", period.status, None, "coverage", period.start, basics)
            continue
        if old is None:
            held = _held_before(a, new)
            if held is not None and held.status != new.status:
                yield here(
                    "coverage_changed", held.status, new.status, "coverage", new.start, basics
                )
            else:
                yield here("coverage_added", None, new.status, "coverage", new.start, basics)
            continue
        if old.status != new.status:
            yield here("coverage_changed", old.status, new.status, "coverage", new.start, basics)
        if old.end != new.end and (tuple(new.variants), new.end) not in new_starts:
            yield here(
                "coverage_end_changed", _str(old.end), _str(new.end), "date", new.start, basics
            )
        fields = [n for n in _PERIOD_FIELDS if getattr(old, n) != getattr(new, n)]
        if fields:
            details = [*basics, ("fields", ", ".join(fields))]
            yield here("coverage_details_changed", date=new.start, details=details)
        yield from here.text("note", old.note, new.note, "coverage_note")


def _held_before(indication: Indication, period: CoveragePeriod) -> CoveragePeriod | None:
    """The period of the same variants in force when ``period`` starts, or that ended then."""
    if period.start is None:
        return None
    day = period.start.earliest()
    same = [p for p in indication.coverage if p.variants == period.variants]
    return next((p for p in same if period_contains(p, day)), None) or next(
        (p for p in same if p.end is not None and p.end.earliest() == day), None
    )


# -- documents, references, versions, files -----------------------------------------------------


def _letters(old: Dossier, new: Dossier) -> Iterator[Change]:
    before = {x.id: x for x in old.letters}
    after = {x.id: x for x in new.letters}
    for kind, ours, theirs in (("letter_added", after, before), ("letter_removed", before, after)):
        for ident, letter in ours.items():
            if ident not in theirs:
                at = _At(f"letters/{ident}", ident, message("change.where.letters"), (ident,))
                details = [("recipient", letter.recipient.organisation)]
                details += [("letter_subject", letter.subject)] if letter.subject else []
                yield at(kind, date=letter.date, details=details)


def _flags(
    old: Mapping[str, Notice], new: Mapping[str, Notice], model: Dossier
) -> Iterator[Change]:
    cited: dict[str, list[str]] = {}
    for node in _nodes(model).values():
        for conclusion in node.indication.conclusions:
            for key in conclusion.evidence:
                cited.setdefault(key, []).append(conclusion.id)
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        at = _At(f"references/{key}", key, message("doc.references"), (key,))
        if b is not None and (a is None or a.nature != b.nature):
            details = [("reason", b.reason)] if b.reason else []
            details += [("conclusions", ", ".join(cited[key]))] if key in cited else []
            day = PartialDate.of(b.date) if b.date else None
            yield at(
                "reference_flagged",
                a.nature.value if a else None,
                b.nature.value,
                "nature",
                day,
                details,
            )
        elif a is not None and b is None:
            yield at("reference_cleared", a.nature.value, None, "nature")


def _versions(old: Dossier, new: Dossier) -> Iterator[Change]:
    known = {v.id for v in old.versions}
    for version in new.versions:
        if version.id not in known:
            where = message("change.where.versions")
            at = _At(f"versions/{version.id}", version.id, where, (version.id,))
            details = [("documents", ", ".join(version.documents))] if version.documents else []
            yield at("version_added", None, version.status, "status", version.date, details)


def _files(
    old: Mapping[str, str], new: Mapping[str, str], old_model: Dossier, new_model: Dossier
) -> Iterator[Change]:
    owners: dict[str, str] = {}
    for model in (old_model, new_model):
        if model.position and model.position.body_file:
            owners[model.position.body_file] = message("change.where.position")
        for letter in model.letters:
            owners[letter.body_file] = (
                f"{message('kind.letter')} {format_partial_date(letter.date)}"
            )
    for name in sorted(set(old) | set(new)):
        at = _At(name, name, owners.get(name, name))
        yield from at.text("", old.get(name, ""), new.get(name, ""), "body")
