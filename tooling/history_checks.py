"""The check's view of a dossier's history: its versions and when indications entered it.

Each function takes a loaded dossier and yields `Problem`s; `tooling.checks` registers them
under stable codes (``version-id``, ``version-order``, ``version-document``,
``version-consultation``, ``since-order``) so that they are documented in docs/checks.md
like every other rule. What the rules protect is described in docs/history.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tooling.dates import PartialDate
from tooling.diagnostics import Location
from tooling.facts import walk_indications
from tooling.load import LoadedDossier
from tooling.model import Dossier, Indication

POSITION_DOCUMENT = "standpunt"
"""The position's document id in `versions` (as `tooling.documents.POSITION_ID`)."""


@dataclass(frozen=True)
class Problem:
    """What is wrong, where, and what to do."""

    message: str
    location: Location
    hint: str = ""


def published_documents(model: Dossier) -> dict[str, PartialDate | None]:
    """The dossier's documents a version may name, with the date each was issued."""
    found: dict[str, PartialDate | None] = {}
    if model.position is not None:
        position = model.position
        published = position.published
        found[POSITION_DOCUMENT] = (
            published if published is not None and published < position.date else position.date
        )
        found.update((a.id, a.date) for a in position.addenda)
    found.update((x.id, x.date) for x in model.letters)
    if model.faq is not None:
        found[model.faq.id] = model.faq.date
    found.update((x.id, x.date) for x in model.leaflets)
    return found


def version_ids(d: LoadedDossier, m: Dossier) -> Iterator[Problem]:
    """Two versions with one id would share one permanent address."""
    seen: dict[str, int] = {}
    for i, version in enumerate(m.versions):
        if version.id in seen:
            first = d.locate(("versions", seen[version.id], "id"))
            yield Problem(
                f"version id '{version.id}' is used twice (first at line {first.line})",
                d.locate(("versions", i, "id")),
                hint="a version's id is its permanent address: give each its own",
            )
        else:
            seen[version.id] = i


def version_order(d: LoadedDossier, m: Dossier) -> Iterator[Problem]:
    """Versions are listed oldest first: the last definitive one is the current version."""
    for i in range(1, len(m.versions)):
        earlier, later = m.versions[i - 1], m.versions[i]
        if later.date.surely_before(earlier.date):
            yield Problem(
                f"version '{later.id}' ({later.date}) is listed after '{earlier.id}' "
                f"({earlier.date}), which is later",
                d.locate(("versions", i, "date")),
                hint="list the versions oldest first",
            )


def version_documents(d: LoadedDossier, m: Dossier) -> Iterator[Problem]:
    """A version names documents the dossier has, each issued by the version's date."""
    known = published_documents(m)
    for i, version in enumerate(m.versions):
        if not version.documents and not version.note:
            yield Problem(
                f"version '{version.id}' names no document and has no note",
                d.locate(("versions", i)),
                hint="list the ids of the documents it published ('standpunt', an addendum's "
                "or a letter's id), or say in 'note' what was published",
            )
        for j, ident in enumerate(version.documents):
            where = d.locate(("versions", i, "documents", j))
            if ident not in known:
                names = ", ".join(sorted(known)) or "none"
                yield Problem(
                    f"version '{version.id}' names unknown document '{ident}' "
                    f"(documents of this dossier: {names})",
                    where,
                    hint="the position is 'standpunt'; addenda, letters, the FAQ and leaflets "
                    "go by their ids",
                )
                continue
            issued = known[ident]
            if issued is not None and version.date.surely_before(issued):
                yield Problem(
                    f"version '{version.id}' ({version.date}) names document '{ident}', "
                    f"which is dated later ({issued})",
                    where,
                    hint="a version publishes only documents issued by its date",
                )


def version_consultation(d: LoadedDossier, m: Dossier) -> Iterator[Problem]:
    """A consultation deadline belongs to a consultation version and follows its date."""
    for i, version in enumerate(m.versions):
        until = version.consultation_until
        if until is not None and version.status != "consultation":
            yield Problem(
                f"version '{version.id}' is {version.status} but has a consultation deadline",
                d.locate(("versions", i, "consultation_until")),
                hint="set its status to consultation, or remove consultation_until",
            )
        elif until is not None and until.surely_before(version.date):
            yield Problem(
                f"version '{version.id}' ({version.date}) ends its consultation before it "
                f"was published ({until})",
                d.locate(("versions", i, "consultation_until")),
            )


def since_order(d: LoadedDossier, m: Dossier) -> Iterator[Problem]:
    """An indication is in the dossier before its facts, and a subgroup not before its parent."""
    parents: dict[tuple[str | int, ...], Indication] = {}
    for path, indication in walk_indications(m):
        for k in range(len(indication.subgroups)):
            parents[(*path, "subgroups", k)] = indication
        since = indication.since
        if since is None:
            continue
        where = d.locate((*path, "since"))
        parent = parents.get(path)
        if parent is not None and parent.since is not None and since.surely_before(parent.since):
            yield Problem(
                f"subgroup '{indication.id}' entered the dossier ({since}) before its "
                f"indication '{parent.id}' ({parent.since})",
                where,
            )
        for conclusion in indication.conclusions:
            if conclusion.date.surely_before(since):
                yield Problem(
                    f"indication '{indication.id}' entered the dossier on {since}, after its "
                    f"conclusion '{conclusion.id}' ({conclusion.date})",
                    where,
                    hint="`dossier render --as-of` would leave out a conclusion already drawn; "
                    "correct 'since' or remove it",
                )
        for period in indication.coverage:
            if period.start is not None and period.start.surely_before(since):
                yield Problem(
                    f"indication '{indication.id}' entered the dossier on {since}, after its "
                    f"coverage started ({period.start})",
                    where,
                    hint="correct 'since' or remove it",
                )
