"""What changed, for readers: Dutch sentences, JSON, the addendum draft and its check.

`tooling.diff` finds the changes; this module words them. `describe` gives the one Dutch
sentence of a change (what changed, since when) that the terminal text (`dutch`), the JSON
(`changes_json`, schema/diff.schema.json), the addendum draft (templates/addendum-draft.md.j2)
and the site's changes page all show. `unmentioned` is the check that a recorded addendum
names every structural change of its period (docs/history.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from tooling.dates import PartialDate
from tooling.diff import Change, Changes, State, Words, diff
from tooling.history import as_of
from tooling.i18n import join_list, message
from tooling.model import Addendum, Dossier
from tooling.templating import document_environment, format_partial_date, render_template

DRAFT_TEMPLATE = "addendum-draft.md.j2"


def changes_json(changes: Changes) -> dict[str, Any]:
    """The changes as JSON (schema/diff.schema.json), each with its Dutch sentence."""

    def side(state: State) -> dict[str, Any]:
        return {
            "label": state.label,
            "date": state.date.isoformat() if state.date else None,
            "given": str(state.given) if state.given else None,
        }

    return {
        "dossier": changes.slug,
        "title": changes.title,
        "from": side(changes.old),
        "to": side(changes.new),
        "changes": [
            {
                "kind": c.kind,
                "structural": c.structural,
                "path": c.path,
                "subject": c.subject,
                "where": c.where,
                "text": describe(c),
                "old": c.old,
                "new": c.new,
                "date": str(c.date) if c.date else None,
                "details": dict(c.details),
                "words": [{"op": w.op, "text": w.text} for w in c.words],
            }
            for c in changes.changes
        ],
    }


# -- the Dutch text -------------------------------------------------------------------------------


def _value(value: str | None, vocabulary: str) -> str:
    if value is None:
        return message("change.none")
    if vocabulary == "coverage":
        return message(f"coverage.{value}").lower()
    if vocabulary == "verdict":
        return message(f"verdict.short.{value}")
    if vocabulary == "revision":
        return message(f"revision.{value}").lower()
    if vocabulary == "status":
        return message(f"change.status.{value}")
    if vocabulary == "nature":
        return message(f"report.nature.{value}")
    if vocabulary == "date":
        return format_partial_date(PartialDate.parse(value))
    return f"‘{' '.join(value.split())}’"


def describe(change: Change) -> str:
    """The change in one Dutch sentence (what changed and since when), as documents word it."""
    values: dict[str, str] = {key: " ".join(text.split()) for key, text in change.details}
    values.update(
        name=change.where,
        old=_value(change.old, change.values),
        new=_value(change.new, change.values),
        date=format_partial_date(change.date) if change.date else message("change.undated"),
        since=message("change.since", date=format_partial_date(change.date)) if change.date else "",
        on=message("change.on", date=format_partial_date(change.date)) if change.date else "",
    )
    if "field" in values:
        values["field"] = message(f"change.field.{values['field']}")
    if "conclusion_date" in values:
        values["conclusion_date"] = format_partial_date(
            PartialDate.parse(values["conclusion_date"])
        )
    if "verdict" in values:
        values["verdict"] = message(f"verdict.short.{values['verdict']}")
    if "status" in values:
        values["status"] = message(f"coverage.{values['status']}").lower()
    if "decided" in values:
        values["decided"] = format_partial_date(PartialDate.parse(values["decided"]))
    if "fields" in values:
        values["fields"] = join_list(
            [message(f"change.field.{f}") for f in values["fields"].split(", ")]
        )
    if values.get("issuer"):
        values["issuer"] = f"; {values['issuer']}"
    values["regarding"] = (
        message("change.regarding", subject=values["letter_subject"])
        if values.get("letter_subject")
        else ""
    )
    for key in ("added", "removed"):
        values[key] = values.get(key) or message("change.none")
    for key in ("reason", "issuer", "location", "conclusions", "title"):
        values.setdefault(key, "")
    values["subject"] = change.subject
    key = change.kind
    if key == "conclusion_revised" and "decided" not in values:
        # Only the day it was recorded is known: said as the documents say it (issue 10).
        key = "conclusion_revised_recorded"
    return message(f"change.{key}", **values).replace(" .", ".").replace("  ", " ").strip()


PICO_FIELDS = ("population", "intervention", "comparator", "outcomes")


def pico_lines(change: Change) -> list[tuple[str, str]]:
    """The PICO of an added or removed indication, as (Dutch label, text), without empty ones."""
    return [
        (message(f"site.pico.{key}"), " ".join(change.detail(key).split()))
        for key in PICO_FIELDS
        if change.detail(key)
    ]


_MARKS = {"text": ("[-", "-]", "{+", "+}"), "markdown": ("~~", "~~", "**", "**")}


def show_words(words: tuple[Words, ...], style: str = "text", context: int = 8) -> str:
    """A word diff on one line: removed and added runs marked, long unchanged runs shortened.

    ``style`` text marks ``[-removed-]{+added+}`` (as `git diff --word-diff`); markdown marks
    ``~~removed~~ **added**``.
    """
    open_del, close_del, open_add, close_add = _MARKS[style]
    parts: list[str] = []
    for k, run in enumerate(words):
        if run.op == "removed":
            parts.append(f"{open_del}{run.text}{close_del}")
        elif run.op == "added":
            parts.append(f"{open_add}{run.text}{close_add}")
        else:
            tokens = run.text.split()
            first, last = k == 0, k == len(words) - 1
            if len(tokens) > 2 * context:
                head = [] if first else tokens[:context]
                tail = [] if last else tokens[-context:]
                tokens = [*head, "…", *tail]
            parts.append(" ".join(tokens))
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def dutch(changes: Changes) -> str:
    """The changes as Dutch text for the terminal, grouped by where they happened: one item
    a change, with the PICO of a new indication and the word diff of an edit."""
    lines = [
        message("change.title", title=changes.title),
        message("change.period", old=_side(changes.old), new=_side(changes.new)),
    ]
    if not changes.changes:
        lines += ["", message("change.nothing")]
    where = None
    for change in changes.changes:
        if change.where != where:
            where = change.where
            lines += ["", where]
        lines.append(f"  - {describe(change)}")
        lines.extend(f"      {label}: {text}" for label, text in pico_lines(change))
        if change.words:
            lines.append(f"      {show_words(change.words)}")
    return "\n".join(lines) + "\n"


def _side(state: State) -> str:
    if state.given is not None:
        return f"{state.label} ({format_partial_date(state.given)})"
    if state.date is None:
        return state.label
    day = format_partial_date(state.date)
    return day if state.label == state.date.isoformat() else f"{state.label} ({day})"


# -- the addendum draft ---------------------------------------------------------------------------


def draft_environment(templates_dir: Path, language: str = "nl") -> jinja2.Environment:
    """The environment for the draft: the document templates' filters, nothing escaped.

    The draft is a Markdown file for the writer to edit, never published as it is: its text
    reaches readers only once recorded in dossier.yaml, and then through the escaping of
    every output. Escaping here would put ``&#39;`` in the writer's text.
    """
    env = document_environment(templates_dir, language)
    env.autoescape = False
    return env


@dataclass(frozen=True)
class DraftItem:
    """One change as the draft lists it: what changed, where, since when."""

    what: str
    where: str
    since: PartialDate | None
    pico: tuple[tuple[str, str], ...]
    words: str


def _item(change: Change) -> DraftItem:
    words = show_words(change.words, "markdown") if change.words else ""
    return DraftItem(describe(change), change.where, change.date, tuple(pico_lines(change)), words)


def addendum_draft(changes: Changes, model: Dossier, env: jinja2.Environment) -> str:
    """A Markdown draft of an addendum: every structural change of the period, then the edits
    of prose as word diffs. The writer edits it and records it under position.addenda."""
    day = changes.new.date
    context = {
        "dossier": model,
        "position": model.position,
        "day": PartialDate.of(day) if day else None,
        "ident": f"addendum-{day.isoformat()}" if day else "addendum",
        "old": _side(changes.old),
        "new": _side(changes.new),
        "items": [_item(c) for c in changes.structural],
        "edits": [_item(c) for c in changes.changes if c.kind == "text_changed"],
    }
    return render_template(env, DRAFT_TEMPLATE, context)


# -- the check: does a recorded addendum mention the changes of its period? --------------------


@dataclass(frozen=True)
class Unmentioned:
    """A structural change of an addendum's period that its text does not name."""

    index: int  # of the addendum in position.addenda
    addendum: Addendum
    start: PartialDate  # the period runs from the end of this day to the addendum's date
    change: Change
    more: int = 0  # further unmentioned changes of the same thing (an indication's parts)


def unmentioned(model: Dossier) -> Iterator[Unmentioned]:
    """Structural changes of each addendum's period that the addendum does not mention.

    The period of an addendum runs from the previous addendum, published version or the
    position's effective date (the latest of them before it) to the addendum's own date. A
    change is mentioned when the addendum's summary, location or details name what it is
    about: the indication's name, abbreviation or id, the condition's id or text, the
    superseded position's id, 'overgangsregeling' (`Change.terms`, any case). The changes
    under one indication (a new subgroup, its conclusion and coverage) are one finding.
    """
    position = model.position
    if position is None or not position.addenda:
        return
    marks = [position.date, *(a.date for a in position.addenda), *(v.date for v in model.versions)]
    for index, addendum in enumerate(position.addenda):
        end = addendum.date.earliest()
        earlier = [d for d in marks if d.earliest() < end]
        if not earlier:
            continue
        start = max(earlier, key=lambda d: d.earliest())
        old, new = as_of(model, start.earliest()), as_of(model, end)
        text = " ".join((addendum.summary, addendum.location or "", addendum.details))
        missed: dict[tuple[str, ...], list[Change]] = {}
        for change in diff(old, new, str(start), str(addendum.date)).structural:
            if not change.mentioned_in(text):
                missed.setdefault(_about(change), []).append(change)
        for changes in missed.values():
            yield Unmentioned(index, addendum, start, changes[0], len(changes) - 1)


def _about(change: Change) -> tuple[str, ...]:
    """What a change is about, for one finding per thing: its top-level indication, or else
    the words that name it."""
    parts = change.path.split("/")
    return tuple(parts[:2]) if parts[0] == "indications" else change.terms
