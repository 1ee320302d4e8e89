"""The consistency rules: small named checks, each with a stable code and a rationale.

Every rule takes a loaded, schema-valid dossier and yields findings. The list of rules is
the source of `docs/checks.md` (``dossier checks``), so the documentation cannot go stale.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from tooling import decision_checks, draft, history_checks, versions
from tooling.diagnostics import Finding, Location, Severity
from tooling.facts import (
    conclusion_index,
    conclusion_stands,
    evidence_status,
    indication_index,
    walk_indications,
)
from tooling.html_safety import raw_format_blocks
from tooling.load import LoadedDossier, inline_prose
from tooling.model import CoveragePeriod, Dossier
from tooling.prose import RenderedProse, render_dossier_prose
from tooling.retraction_decisions import decision, needs_decision, outdated_reviews

CheckFunction = Callable[[LoadedDossier, Dossier], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    """A named consistency rule."""

    code: str
    severity: Severity
    rationale: str
    function: CheckFunction


CHECKS: list[Check] = []

# Rules that the loader applies (schema and file level); listed here for the documentation.
LOADER_CHECKS: list[tuple[str, Severity, str]] = [
    (
        "yaml-syntax",
        Severity.ERROR,
        "dossier.yaml must be readable UTF-8 YAML without duplicate keys.",
    ),
    (
        "unknown-key",
        Severity.ERROR,
        "A key the schema does not know is a typo until proven otherwise.",
    ),
    (
        "missing-key",
        Severity.ERROR,
        "Required facts (dates, verdicts, recipients) cannot be left out.",
    ),
    ("schema-type", Severity.ERROR, "Every value has the type the schema gives it."),
    ("bad-date", Severity.ERROR, "Dates must exist in the calendar (YYYY-MM-DD, YYYY-MM or YYYY)."),
    ("missing-file", Severity.ERROR, "A Markdown file named in dossier.yaml must exist."),
    ("unreadable-file", Severity.ERROR, "Prose and bibliography files must be UTF-8 text."),
    (
        "bib-syntax",
        Severity.ERROR,
        "Every BibTeX entry must parse; a broken one would vanish silently.",
    ),
    (
        "bib-duplicate-key",
        Severity.ERROR,
        "A BibTeX key must be unique, or citations are ambiguous.",
    ),
    (
        "bib-retraction-field",
        Severity.ERROR,
        "Retraction fields in BibTeX must use known natures and ISO dates.",
    ),
    ("bib-bad-doi", Severity.ERROR, "A DOI field must hold a DOI, or retraction lookups miss it."),
    (
        "stray-entry",
        Severity.ERROR,
        "Every entry of the dossiers folder is a dossier folder; anything else would vanish "
        "from the site in silence.",
    ),
    (
        "missing-dossier-file",
        Severity.ERROR,
        "A folder in the dossiers folder needs a dossier.yaml (not dossier.yml), or the "
        "dossier would vanish from the site in silence.",
    ),
    (
        "bad-folder-name",
        Severity.ERROR,
        "A dossier folder's name becomes part of web addresses: lower-case letters, digits "
        "and hyphens, and none of the site's own folder names.",
    ),
    (
        "outside-dossier",
        Severity.ERROR,
        "A dossier reads only files inside its own folder: no absolute paths, no '..', no "
        "links that lead out, so nothing outside the project can be published.",
    ),
    (
        "prose-template",
        Severity.ERROR,
        "Prose that quotes the dossier ({{ rules['x'] }}, since(...)) must render: the check "
        "renders it as the build will, so a mistake is found here and not at build time.",
    ),
    (  # project level: pipeline.check applies it, at dossier.toml
        "stale-retraction-data",
        Severity.WARNING,
        "Retraction data older than [retractions] max_age_days (default 30) misses what was "
        "retracted since: run `dossier retractions update`. Example data is labelled instead.",
    ),
    (  # applied by history.at, for `--as-of DATE`
        "as-of-absent",
        Severity.WARNING,
        "Checked or rendered as of a day before its first version (or first dated fact), a "
        "dossier did not exist yet: it is left out, and said so.",
    ),
]


def check(
    code: str, severity: Severity, rationale: str
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under a stable code."""

    def register(function: CheckFunction) -> CheckFunction:
        CHECKS.append(Check(code, severity, rationale, function))
        return function

    return register


def check_dossier(
    dossier: LoadedDossier, language: str
) -> tuple[RenderedProse | None, list[Finding]]:
    """Everything the check finds in one loaded dossier, and its prose rendered for the build.

    The loader's findings, the prose rendered as the build renders it (so a template mistake
    is found here), and every rule.
    """
    findings = list(dossier.findings)
    if dossier.model is None:
        return None, findings
    prose, found = render_dossier_prose(dossier, language)
    findings.extend(found)
    findings.extend(run_checks(dossier))
    return prose, findings


def run_checks(dossier: LoadedDossier) -> list[Finding]:
    """Run every rule on one dossier that passed the schema."""
    if dossier.model is None:
        return []
    findings: list[Finding] = []
    for entry in CHECKS:
        findings.extend(entry.function(dossier, dossier.model))
    return findings


def _finding(code: str, message: str, location: Location, hint: str = "") -> Finding:
    severity = next(r.severity for r in CHECKS if r.code == code)
    return Finding(code, severity, message, location, hint)


@check(
    "duplicate-id",
    Severity.ERROR,
    "Ids are how documents and rules refer to things; each must name one thing.",
)
def check_duplicate_ids(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    groups: dict[str, list[tuple[str, tuple[str | int, ...]]]] = {
        "indication": [(ind.id, (*p, "id")) for p, ind in walk_indications(m)],
        "conclusion": [
            (c.id, (*p, "conclusions", j, "id"))
            for p, ind in walk_indications(m)
            for j, c in enumerate(ind.conclusions)
        ],
        "variant": [
            (v.id, ("intervention", "variants", i, "id"))
            for i, v in enumerate(m.intervention.variants)
        ],
        "document": [(x.id, ("letters", i, "id")) for i, x in enumerate(m.letters)]
        + [(x.id, ("leaflets", i, "id")) for i, x in enumerate(m.leaflets)]
        + ([(m.faq.id, ("faq", "id"))] if m.faq else [])
        + (
            [(a.id, ("position", "addenda", i, "id")) for i, a in enumerate(m.position.addenda)]
            if m.position
            else []
        ),
        "rule": [(r.id, ("rules", i, "id")) for i, r in enumerate(m.rules)],
    }
    if m.position:
        groups["condition"] = [
            (c.id, ("position", "conditions", i, "id")) for i, c in enumerate(m.position.conditions)
        ]
        groups["superseded position"] = [
            (s.id, ("position", "supersedes", i, "id")) for i, s in enumerate(m.position.supersedes)
        ]
    if m.faq:
        groups["question"] = [
            (item.id, ("faq", "themes", t, "items", i, "id"))
            for t, theme in enumerate(m.faq.themes)
            for i, item in enumerate(theme.items)
        ]
    for kind, entries in groups.items():
        seen: dict[str, tuple[str | int, ...]] = {}
        for ident, path in entries:
            if ident in seen:
                first = d.locate(seen[ident])
                yield _finding(
                    "duplicate-id",
                    f"{kind} id '{ident}' is used twice (first at line {first.line})",
                    d.locate(path),
                )
            else:
                seen[ident] = path


@check(
    "unknown-reference",
    Severity.ERROR,
    "A conclusion or text cannot rest on a reference the bibliography does not have.",
)
def check_unknown_references(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    if any(f.code == "unreadable-file" and f.location.path == d.bib_path for f in d.findings):
        return  # every key would be unknown: the unreadable file is the one finding to fix
    for p, ind in walk_indications(m):
        for j, c in enumerate(ind.conclusions):
            for k, key in enumerate(c.evidence):
                if key not in d.references:
                    yield _finding(
                        "unknown-reference",
                        f"conclusion '{c.id}' cites '{key}', which is not in {d.bib_path}",
                        d.locate((*p, "conclusions", j, "evidence", k)),
                        hint="add the entry or fix the key",
                    )
    for citation in d.citations:
        if citation.key not in d.references:
            yield _finding(
                "unknown-reference",
                f"'[@{citation.key}]' is not in {d.bib_path}",
                citation.location,
            )


@check(
    "unused-reference",
    Severity.WARNING,
    "An entry nobody cites is either a forgotten citation or clutter.",
)
def check_unused_references(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    used = {c.key for c in d.citations}
    used.update(
        key for _, ind in walk_indications(m) for c in ind.conclusions for key in c.evidence
    )
    for key, ref in d.references.items():
        if key not in used:
            yield _finding("unused-reference", f"reference '{key}' is never cited", ref.location)


@check(
    "retracted-basis",
    Severity.ERROR,
    "A conclusion that rests only on retracted evidence cannot stand unless its invalidation is recorded.",
)
def check_retracted_basis(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p, ind in walk_indications(m):
        for j, c in enumerate(ind.conclusions):
            status = evidence_status(c, d.references, d.flags)
            if status.rests_only_on_retracted and conclusion_stands(c):
                yield _finding(
                    "retracted-basis",
                    f"conclusion '{c.id}' rests only on retracted evidence ({', '.join(status.retracted)})",
                    d.locate((*p, "conclusions", j)),
                    hint="record under 'revision' that it is invalidated or revised (kind: "
                    "invalidated or kind: revised; under_reassessment keeps it standing), or "
                    "cite evidence that is not retracted",
                )


@check(
    "unsupported-conclusion",
    Severity.ERROR,
    "A conclusion that the criterion is met must rest on at least one reference.",
)
def check_unsupported(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p, ind in walk_indications(m):
        for j, c in enumerate(ind.conclusions):
            if c.verdict == "meets" and not c.evidence and not c.evidence_not_named:
                yield _finding(
                    "unsupported-conclusion",
                    f"conclusion '{c.id}' says the criterion is met but cites no evidence",
                    d.locate((*p, "conclusions", j)),
                    hint="list BibTeX keys under 'evidence', or say under 'evidence_not_named' "
                    "that the source does not name it",
                )


@check(
    "flagged-evidence",
    Severity.WARNING,
    "Every use of retracted, corrected or questioned evidence is shown, with its nature and reason.",
)
def check_flagged_evidence(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p, ind in walk_indications(m):
        for j, c in enumerate(ind.conclusions):
            for k, key in enumerate(c.evidence):
                notice = d.flags.get(key)
                if notice is None:
                    continue
                if not notice.nature.invalidates:
                    action = "review the conclusion"
                elif not conclusion_stands(c):
                    action = "the conclusion's revision is recorded"
                elif evidence_status(c, d.references, d.flags).rests_only_on_retracted:
                    action = (
                        "the conclusion has no other evidence; record its revision "
                        "(kind: invalidated or kind: revised)"
                    )
                elif (done := decision(c, key, notice)) is not None:
                    action = f"reviewed on {done.date}: the conclusion still stands"
                else:
                    action = "review whether the conclusion still holds without it"
                date = f" of {notice.date.isoformat()}" if notice.date else ""
                reason = f": {notice.reason}" if notice.reason else ""
                yield _finding(
                    "flagged-evidence",
                    f"conclusion '{c.id}' cites '{key}', which has "
                    f"{_article(notice.nature.value.lower())}{date}{reason} ({action})",
                    d.locate((*p, "conclusions", j, "evidence", k)),
                )


@check(
    "retraction-undecided",
    Severity.ERROR,
    "A standing conclusion that cites a paper newly retracted (found by `dossier retractions "
    "update` or `lookup`), even next to sound evidence, needs the writer's decision: a "
    "reassessment (revision kind under_reassessment) or a dated review under 'reviews'.",
)
def check_retraction_undecided(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p, ind in walk_indications(m):
        for j, c in enumerate(ind.conclusions):
            for k, key in enumerate(c.evidence):
                notice = d.flags.get(key)
                if notice is None or not needs_decision(c, key, notice):
                    continue
                day = notice.date.isoformat() if notice.date else "an unknown date"
                outdated = outdated_reviews(c, key, notice)
                late = (
                    f"; its review of {outdated[0].date} predates the retraction"
                    if outdated
                    else ""
                )
                yield _finding(
                    "retraction-undecided",
                    f"conclusion '{c.id}' cites '{key}', retracted on {day} (found new on "
                    f"{notice.found}); no decision is recorded{late}",
                    d.locate((*p, "conclusions", j, "evidence", k)),
                    hint=f"record a review under the conclusion's 'reviews' (date, reason, "
                    f"references: [{key}]) or its reassessment (revision kind: under_reassessment)",
                )


@check(
    "unknown-id",
    Severity.ERROR,
    "References between parts of a dossier (variants, conditions, conclusions) must resolve.",
)
def check_unknown_ids(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    variants = {v.id for v in m.intervention.variants}
    conditions = {c.id for c in m.position.conditions} if m.position else set()
    conclusions = conclusion_index(m)
    documents = (
        {x.id for x in m.letters} | {x.id for x in m.leaflets} | ({m.faq.id} if m.faq else set())
    )
    indications = indication_index(m)
    for p, ind in walk_indications(m):
        for k, v in enumerate(ind.variants):
            if v not in variants:
                yield _finding(
                    "unknown-id",
                    f"indication '{ind.id}' names unknown variant '{v}'",
                    d.locate((*p, "variants", k)),
                    hint=f"known: {', '.join(sorted(variants)) or 'none'}",
                )
        for j, c in enumerate(ind.conclusions):
            for k, v in enumerate(c.variants):
                if v not in variants:
                    yield _finding(
                        "unknown-id",
                        f"conclusion '{c.id}' names unknown variant '{v}'",
                        d.locate((*p, "conclusions", j, "variants", k)),
                    )
            if c.revision and c.revision.replaced_by and c.revision.replaced_by not in conclusions:
                yield _finding(
                    "unknown-id",
                    f"conclusion '{c.id}' is replaced by unknown conclusion '{c.revision.replaced_by}'",
                    d.locate((*p, "conclusions", j, "revision", "replaced_by")),
                )
            if c.revision and c.revision.source and c.revision.source not in documents:
                yield _finding(
                    "unknown-id",
                    f"conclusion '{c.id}' names unknown document '{c.revision.source}'",
                    d.locate((*p, "conclusions", j, "revision", "source")),
                )
        for j, period in enumerate(ind.coverage):
            for k, v in enumerate(period.variants):
                if v not in variants:
                    yield _finding(
                        "unknown-id",
                        f"coverage of '{ind.id}' names unknown variant '{v}'",
                        d.locate((*p, "coverage", j, "variants", k)),
                    )
            for k, cond in enumerate(period.conditions):
                if cond not in conditions:
                    yield _finding(
                        "unknown-id",
                        f"coverage of '{ind.id}' names unknown condition '{cond}'",
                        d.locate((*p, "coverage", j, "conditions", k)),
                        hint=f"known: {', '.join(sorted(conditions)) or 'none'}",
                    )
            if period.basis and period.basis not in conclusions:
                yield _finding(
                    "unknown-id",
                    f"coverage of '{ind.id}' rests on unknown conclusion '{period.basis}'",
                    d.locate((*p, "coverage", j, "basis")),
                )
    for i, leaflet in enumerate(m.leaflets):
        if leaflet.indication and leaflet.indication not in indications:
            yield _finding(
                "unknown-indication",
                f"leaflet '{leaflet.id}' is about unknown indication '{leaflet.indication}'",
                d.locate(("leaflets", i, "indication")),
            )


@check(
    "unknown-indication",
    Severity.ERROR,
    "A letter must not name an indication the dossier does not have.",
)
def check_letter_indications(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    known = indication_index(m)
    for i, letter in enumerate(m.letters):
        for k, ident in enumerate(letter.indications):
            if ident not in known:
                yield _finding(
                    "unknown-indication",
                    f"letter '{letter.id}' names indication '{ident}', which the dossier does not have",
                    d.locate(("letters", i, "indications", k)),
                    hint=f"known: {', '.join(sorted(known)) or 'none'}",
                )


@check(
    "coverage-contradicts-verdict",
    Severity.ERROR,
    "Care cannot be insured after a standing conclusion that it does not meet the criterion.",
)
def check_coverage_verdict(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p, ind in walk_indications(m):
        for c in ind.conclusions:
            if c.verdict != "does_not_meet" or not conclusion_stands(c):
                continue
            for j, period in enumerate(ind.coverage):
                shares_variant = (
                    not c.variants or not period.variants or set(c.variants) & set(period.variants)
                )
                after = period.end is None or c.date.surely_before(period.end)
                if period.status == "insured" and shares_variant and after:
                    revise = (
                        "record the conclusion's revision (kind: invalidated or kind: revised) "
                        "if it no longer stands"
                    )
                    if period.start is None or period.start.surely_before(c.date):
                        hint = f"end the period on the conclusion's date ({c.date}), or {revise}"
                    else:
                        hint = f"the period starts after the conclusion: make the period not_insured, or {revise}"
                    yield _finding(
                        "coverage-contradicts-verdict",
                        f"'{ind.id}' is insured here, but conclusion '{c.id}' of {c.date} says it does not meet the criterion",
                        d.locate((*p, "coverage", j)),
                        hint=hint,
                    )


@check(
    "coverage-on-invalidated",
    Severity.WARNING,
    "Coverage that rests on a conclusion that no longer stands needs a decision.",
)
def check_coverage_basis(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    conclusions = conclusion_index(m)
    for p, ind in walk_indications(m):
        for j, period in enumerate(ind.coverage):
            basis = conclusions.get(period.basis or "")
            if (
                basis
                and period.status != "not_insured"
                and period.end is None
                and not conclusion_stands(basis)
            ):
                yield _finding(
                    "coverage-on-invalidated",
                    f"coverage of '{ind.id}' rests on conclusion '{basis.id}', which no longer stands",
                    d.locate((*p, "coverage", j)),
                    hint="end this period ('end') and add the period that follows it "
                    "(e.g. status: not_insured), or rest it on a conclusion that stands ('basis')",
                )


@check(
    "coverage-order",
    Severity.ERROR,
    "Coverage periods of one indication and variant must follow each other without overlap.",
)
def check_coverage_order(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p, ind in walk_indications(m):
        for j, period in enumerate(ind.coverage):
            if period.start and period.end and not period.start.surely_before(period.end):
                yield _finding(
                    "coverage-order",
                    f"coverage of '{ind.id}' ends ({period.end}) before it starts ({period.start})",
                    d.locate((*p, "coverage", j, "end")),
                )
        keys = {v for period in ind.coverage for v in period.variants} or {""}
        reported: set[int] = set()
        for variant in sorted(keys):
            periods = [
                (j, x)
                for j, x in enumerate(ind.coverage)
                if not variant or not x.variants or variant in x.variants
            ]
            for (_, earlier), (j, later) in itertools.pairwise(periods):
                problem = _sequence_problem(earlier, later)
                if problem and j not in reported:
                    reported.add(j)
                    label = f" ({variant})" if variant else ""
                    yield _finding(
                        "coverage-order",
                        f"coverage of '{ind.id}'{label}: {problem}",
                        d.locate((*p, "coverage", j)),
                    )


def _sequence_problem(earlier: CoveragePeriod, later: CoveragePeriod) -> str:
    if later.start is None:
        return "only the first period may leave 'start' empty"
    if earlier.end is None:
        return f"the previous period has no end but this one starts {later.start}"
    if later.start.surely_before(earlier.end):
        return f"starts {later.start}, before the previous period ends ({earlier.end})"
    if earlier.start and later.start.surely_before(earlier.start):
        return "periods are out of order"
    return ""


@check(
    "conditional-incomplete",
    Severity.ERROR,
    "Conditional coverage must say under which condition (study, centres, conditions) and until when.",
)
def check_conditional(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p, ind in walk_indications(m):
        for j, period in enumerate(ind.coverage):
            if period.status != "conditional":
                continue
            if not (period.conditions or period.study or period.centres):
                yield _finding(
                    "conditional-incomplete",
                    f"conditional coverage of '{ind.id}' names no condition",
                    d.locate((*p, "coverage", j)),
                    hint="add 'study', 'centres' or 'conditions'",
                )
            if period.end is None:
                yield _finding(
                    "conditional-incomplete",
                    f"conditional coverage of '{ind.id}' has no end date",
                    d.locate((*p, "coverage", j)),
                    hint="add 'end'",
                )


@check(
    "date-order",
    Severity.ERROR,
    "Dates must tell a possible story: addenda after the position, deadlines after the letter, predecessors before successors.",
)
def check_date_order(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    if m.position:
        for i, addendum in enumerate(m.position.addenda):
            if addendum.date.surely_before(m.position.date):
                yield _finding(
                    "date-order",
                    f"addendum '{addendum.id}' ({addendum.date}) is dated before the position ({m.position.date})",
                    d.locate(("position", "addenda", i, "date")),
                )
        for i, old in enumerate(m.position.supersedes):
            if m.position.date.surely_before(old.date):
                yield _finding(
                    "date-order",
                    f"superseded position '{old.id}' ({old.date}) is dated after its successor ({m.position.date})",
                    d.locate(("position", "supersedes", i, "date")),
                )
    for i, letter in enumerate(m.letters):
        if letter.reply_deadline and letter.reply_deadline.surely_before(letter.date):
            yield _finding(
                "date-order",
                f"letter '{letter.id}' asks for a reply by {letter.reply_deadline}, before its own date ({letter.date})",
                d.locate(("letters", i, "reply_deadline")),
            )
        if letter.in_reply_to and letter.date.surely_before(letter.in_reply_to.date):
            yield _finding(
                "date-order",
                f"letter '{letter.id}' answers a letter dated after it ({letter.in_reply_to.date})",
                d.locate(("letters", i, "in_reply_to", "date")),
            )
    for p, ind in walk_indications(m):
        for j, c in enumerate(ind.conclusions):
            if c.revision and c.revision.date.surely_before(c.date):
                yield _finding(
                    "date-order",
                    f"conclusion '{c.id}' is revised ({c.revision.date}) before it was drawn ({c.date})",
                    d.locate((*p, "conclusions", j, "revision", "date")),
                )


_IMAGE = re.compile(r"!\[[^\]]*\]\(")


@check(
    "raw-markup",
    Severity.ERROR,
    "Prose is Markdown only: raw blocks for other formats ({=openxml}, {=typst}, {=html}, "
    "{=latex}) and images would bypass the escaping of every output (a Word field that reads "
    "a file, script in the site), so they are refused.",
)
def check_raw_markup(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    texts: list[tuple[str, Callable[[int, int], Location]]] = []
    for path, text in inline_prose(m):
        if text and ("{=" in text or "![" in text):
            texts.append((text, _fixed(d.locate(path))))
    for body in d.prose.values():
        texts.append((body.text, _in_file(body.display)))
    for text, place in texts:
        if "{=" in text:
            for line, column, fmt in raw_format_blocks(text):
                yield _finding(
                    "raw-markup",
                    f"raw '{{={fmt}}}' markup in prose",
                    place(line, column),
                    hint="write plain Markdown; the toolkit makes every format from it",
                )
        for match in _IMAGE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            yield _finding(
                "raw-markup",
                "an image in prose",
                place(line, column),
                hint="images are not supported in dossier prose yet; describe it in words",
            )


def _fixed(location: Location) -> Callable[[int, int], Location]:
    """A place for text inside dossier.yaml: the value's own location."""
    return lambda _line, _column: location


def _in_file(display: str) -> Callable[[int, int], Location]:
    """A place for text that is a whole file: its line and column."""
    return lambda line, column: Location(display, line, column)


def _placeholders(d: LoadedDossier, m: Dossier) -> Iterator[tuple[str, Location]]:
    """Every placeholder of a dossier: BibTeX entries and texts marked 'placeholder:'."""
    for key, reference in d.references.items():
        if reference.is_placeholder:
            yield f"reference '{key}'", reference.location
    if d.source is not None and "placeholder" not in d.source.text.lower():
        return  # the walk below costs more than the whole rest of a check
    stack: list[tuple[tuple[str | int, ...], object]] = [((), m)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, BaseModel):
            stack.extend(((*path, name), getattr(value, name)) for name in type(value).model_fields)
        elif isinstance(value, (list, tuple)):
            stack.extend(((*path, i), item) for i, item in enumerate(value))
        elif isinstance(value, str) and value.lstrip().lower().startswith("placeholder:"):
            yield f"'{'.'.join(str(p) for p in path)}'", d.locate(path)


@check(
    "placeholder",
    Severity.ERROR,
    "A placeholder is a note to fill in later, never a fact: a definitive dossier with one "
    "cannot be published (documents say 'niet vermeld in de bron' where a source is silent).",
)
def check_placeholders(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    if m.status != "definitive":
        return
    for what, where in _placeholders(d, m):
        yield _finding(
            "placeholder",
            f"{what} is a placeholder in a definitive dossier",
            where,
            hint="fill it in, or record what the source does not say (evidence_not_named, a "
            "superseded position without title), or set the dossier's status to concept",
        )


@check(
    "placeholder-in-concept",
    Severity.WARNING,
    "A concept may hold placeholders, but each is listed so none is forgotten.",
)
def check_placeholders_in_concept(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    if m.status == "definitive":
        return
    for what, where in _placeholders(d, m):
        yield _finding(
            "placeholder-in-concept",
            f"{what} is a placeholder",
            where,
            hint="fill it in before the dossier becomes definitive",
        )


# -- versions and `since` (tooling/history_checks.py, docs/history.md) ------------------------


def _history_rule(
    code: str, rule: Callable[[LoadedDossier, Dossier], Iterable[history_checks.Problem]]
) -> CheckFunction:
    def run(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
        for p in rule(d, m):
            yield _finding(code, p.message, p.location, p.hint)

    return run


check(
    "version-id",
    Severity.ERROR,
    "A version's id is its permanent address (<dossier>/versies/<id>/): each names one version.",
)(_history_rule("version-id", history_checks.version_ids))
check(
    "version-order",
    Severity.ERROR,
    "Versions are listed oldest first, so the last definitive one is the current version.",
)(_history_rule("version-order", history_checks.version_order))
check(
    "version-document",
    Severity.ERROR,
    "A version names documents the dossier has ('standpunt', addendum, letter, FAQ, leaflet "
    "ids), each issued by the version's date; one without documents says what it was (note).",
)(_history_rule("version-document", history_checks.version_documents))
check(
    "version-consultation",
    Severity.ERROR,
    "Only a consultation version has a consultation deadline, and it does not end before the "
    "version was published.",
)(_history_rule("version-consultation", history_checks.version_consultation))
check(
    "since-order",
    Severity.ERROR,
    "An indication enters the dossier (since) no later than its conclusions and coverage, and "
    "a subgroup not before its indication: `--as-of` would otherwise hide facts already there.",
)(_history_rule("since-order", history_checks.since_order))


# -- what an addendum says changed (tooling/draft.py, docs/history.md) -----------------------


@check(
    "addendum-unmentioned",
    Severity.WARNING,
    "An addendum names every structural change of its period (since the previous addendum, "
    "version or the position's date): an indication, coverage, conclusion, condition, "
    "transitional arrangement or superseded position it leaves out changed without notice. "
    "`dossier draft addendum` lists them.",
)
def check_addendum_unmentioned(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for u in draft.unmentioned(m):
        names = ", ".join(f"'{t}'" for t in u.change.terms[:3])
        yield _finding(
            "addendum-unmentioned",
            f"addendum '{u.addendum.id}' ({u.addendum.date}) does not mention a change of its "
            f"period: {u.change.where}: {draft.describe(u.change)}"
            + (f" (and {u.more} more change(s) of it)" if u.more else ""),
            d.locate(("position", "addenda", u.index)),
            hint=f"name it in the addendum's summary or details ({names}); `dossier draft "
            f"addendum {d.slug} --from {u.start.earliest()} --to {u.addendum.date.earliest()}` "
            "lists every change of the period",
        )


# -- decision tables, their cases and rule values (tooling/decision_checks.py) ----------------


@check(
    "decision-reference",
    Severity.ERROR,
    "Decision tables name only the decision's inputs, formulas, outputs and options, the "
    "dossier's rules (in a unit that converts) and documents; a condition has its column's type.",
)
def check_decision_references(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p in decision_checks.references(d):
        yield _finding("decision-reference", p.message, p.location, p.hint)


@check(
    "decision-overlap",
    Severity.ERROR,
    "Two rows of a table with hit policy 'unique' that both apply to one combination of inputs "
    "must give the same answer.",
)
def check_decision_overlaps(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p in decision_checks.table_problems(d, "overlap"):
        yield _finding("decision-overlap", p.message, p.location, p.hint)


@check(
    "decision-gap",
    Severity.ERROR,
    "Every combination of a table's inputs is answered by a row (or a 'silent' row that says "
    "the source does not answer it): a case never falls through in silence.",
)
def check_decision_gaps(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p in decision_checks.table_problems(d, "gap"):
        yield _finding("decision-gap", p.message, p.location, p.hint)


@check(
    "case-invalid",
    Severity.ERROR,
    "A case in cases/ names a decision, its inputs with values of their type, and outputs with "
    "their options.",
)
def check_cases_valid(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for code, p in decision_checks.case_problems(d):
        if code == "case-invalid":
            yield _finding(code, p.message, p.location, p.hint)


@check(
    "case-failed",
    Severity.ERROR,
    "Cases are tests: the answer the decision tables give must be the answer the source gives.",
)
def check_cases_pass(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for code, p in decision_checks.case_problems(d):
        if code == "case-failed":
            yield _finding(code, p.message, p.location, p.hint)


@check(
    "rule-source",
    Severity.ERROR,
    "A rule value that quotes its source must stand in that quote (as digits or a Dutch number "
    "word), and the source must be a document of the dossier.",
)
def check_rule_sources(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p in decision_checks.rule_sources(d, m):
        yield _finding("rule-source", p.message, p.location, p.hint)


@check(
    "rule-relation",
    Severity.ERROR,
    "A rule declared as the sum of others (9 jaar = 5 + 4) must equal their sum, in one unit.",
)
def check_rule_relations(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p in decision_checks.rule_relations(d, m):
        yield _finding("rule-relation", p.message, p.location, p.hint)


@check(
    "rule-dates",
    Severity.ERROR,
    "Dated values of a rule follow each other without overlap, so one value is in force on "
    "any date.",
)
def check_rule_dates(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p in decision_checks.rule_dates(d, m):
        yield _finding("rule-dates", p.message, p.location, p.hint)


@check(
    "unused-rule",
    Severity.WARNING,
    "In a dossier with decision tables, a rule that no text quotes and no decision uses is "
    "either forgotten or clutter.",
)
def check_unused_rules(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    for p in decision_checks.unused_rules(d, m):
        yield _finding("unused-rule", p.message, p.location, p.hint)


@check(
    "version-archive",
    Severity.ERROR,
    "A released version (versies/<id>/) is published at a permanent address and never "
    "changes: every file must match its manifest, nothing may be missing or added, and it "
    "must be the version dossier.yaml lists (same date and status).",
)
def check_version_archives(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    yield from (f for f in _verified(d, m) if f.code == "version-archive")


@check(
    "version-not-released",
    Severity.WARNING,
    "A definitive version listed under `versions:` without an archive has no permanent "
    "address yet (nog niet vastgelegd): `dossier release` writes it.",
)
def check_versions_released(d: LoadedDossier, m: Dossier) -> Iterator[Finding]:
    yield from (f for f in _verified(d, m) if f.code == "version-not-released")


_last_verified: list[tuple[LoadedDossier, list[Finding]]] = []  # the dossier last verified


def _verified(d: LoadedDossier, m: Dossier) -> list[Finding]:
    """`versions.verify` once per dossier for both rules (it reads every archived file).

    As of a day (`dossier render --as-of`) later versions are not listed, so their archives
    are not judged against the list.
    """
    if d.as_of is not None:
        return []
    if not _last_verified or _last_verified[0][0] is not d:
        shown = d.yaml_path.rpartition("/")[0] or "."
        _last_verified[:] = [(d, versions.verify(d.directory, d.slug, m.versions, shown))]
    return _last_verified[0][1]


def _article(noun: str) -> str:
    """'a retraction', 'an expression of concern'."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"
