"""The one Jinja setup: strict undefined, Dutch filters, and a sandbox for dossier prose.

Document templates (``templates/*.md.j2``) are trusted toolkit files; prose inside a dossier
(letter bodies, FAQ answers, leaflet text) is written by policy writers and runs sandboxed
with a small, documented context (see docs/dossier-format.md).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date
from babel.numbers import format_decimal

from tooling.dates import PartialDate
from tooling.diagnostics import Location
from tooling.facts import indication_index, rule_value_on
from tooling.i18n import join_list, message
from tooling.model import CoveragePeriod, Dossier, Indication, Letter, Rule
from tooling.sandbox import BoundedSandbox, TemplateError, Where, render_sandboxed
from tooling.sandbox import _template_line as _template_line  # kept importable from here
from tooling.template_cache import BytecodeCache

__all__ = [
    "TemplateError",  # defined in tooling.sandbox, importable from here as before
    "document_environment",
    "format_partial_date",
    "format_rule",
    "lower_first",
    "prose_context",
    "render_prose",
    "render_template",
    "sandbox",
]

_DATE_PATTERNS = {
    "long": "d MMMM y",
    "day_month": "d MMMM",
    "weekday": "EEEE d MMMM",
    "month": "MMMM y",
}


def format_partial_date(
    value: PartialDate | dt.date | None, fmt: str = "long", language: str = "nl"
) -> str:
    """Dutch date text: '12 november 2019', 'september 2019' or '2019', via babel (CLDR)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        value = PartialDate.of(value)
    if value.day is None and value.month is None:
        return str(value.year)
    if value.day is None:
        return _format_date(value.earliest(), _DATE_PATTERNS["month"], language)
    if fmt not in _DATE_PATTERNS:
        raise ValueError(f"unknown date format '{fmt}'; use one of {', '.join(_DATE_PATTERNS)}")
    return _format_date(value.earliest(), _DATE_PATTERNS[fmt], language)


@functools.lru_cache(maxsize=4096)
def _format_date(day: dt.date, pattern: str, language: str) -> str:
    """babel's formatting, remembered: a site repeats the same dates on many pages."""
    return format_date(day, pattern, locale=language)


def format_rule(rule: Rule, language: str = "nl", on: PartialDate | None = None) -> str:
    """A rule's value as a reader sees it: '3,5 V', '24 maanden', '151152-151163'.

    ``on``: the date of the document that quotes it; the value in force then is shown (the
    last one when the date is unknown or no value was in force yet).
    """
    value: Any
    try:
        value = rule_value_on(rule, on)
    except LookupError:
        value = rule.value
    text = value if isinstance(value, str) else format_decimal(value, locale=language)
    return f"{text} {rule.unit}" if rule.unit else text


def format_indication(indication: Indication, form: str = "full", language: str = "nl") -> str:
    """An indication as the source names it, in every list of indications.

    ``full``: name, abbreviation and lay explanation, the qualifier that bounds the decision,
    and the conditions decided together with it: "Pijnlijke diabetische neuropathie (PDN,
    zenuwpijn door suikerziekte) en dunnevezelneuropathie (...)". ``short``: name, qualifier
    and the conditions decided together, for titles and navigation.
    """
    text = indication.name
    if form == "full":
        inner = [x for x in (indication.abbreviation, indication.explanation) if x]
        if inner:
            text += f" ({', '.join(inner)})"
    elif indication.abbreviation and form == "name":
        text += f" ({indication.abbreviation})"
    if indication.qualifier:
        text += f" {indication.qualifier}"
    for other in indication.together_with:
        text += f" {message('list.and', language)} {other}"
    return text


def _filters(language: str) -> dict[str, Callable[..., Any]]:
    return {
        "date": lambda value, fmt="long": format_partial_date(value, fmt, language),
        "verdict": lambda value, form="label": message(
            f"verdict.{value}" if form == "label" else f"verdict.{form}.{value}", language
        ),
        "coverage": lambda value: message(f"coverage.{value or 'none'}", language),
        "status": lambda value: message(f"status.{value}", language),
        "certainty": lambda value: message(f"certainty.{value}", language) if value else "",
        "number": lambda value: format_decimal(value, locale=language),
        "lower_first": lower_first,
        "join_nl": lambda items: join_list(list(items), language),
        "indication": lambda value, form="full": format_indication(value, form, language),
    }


def lower_first(text: str) -> str:
    """'Neuromodulatie' -> 'neuromodulatie' for use mid-sentence; 'IMSR' stays 'IMSR'."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def document_environment(
    templates_dir: Path, language: str = "nl", cache_dir: Path | None = None
) -> jinja2.Environment:
    """The environment for the toolkit's document templates (Markdown output, not escaped).

    With ``cache_dir`` (the project's git-ignored cache folder), compiled templates are kept
    there, keyed by name and checked against their source: compiling the site's templates
    costs about 0.25 s a process, loading them about 10 ms.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        bytecode_cache=(
            BytecodeCache(cache_dir / "jinja", _environment_fingerprint()) if cache_dir else None
        ),
        undefined=jinja2.StrictUndefined,
        autoescape=True,  # plain fields are text: <, >, & and quotes escaped in every output
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_filters(language))
    env.globals["t"] = lambda key, **values: message(key, language, **values)
    return env


@functools.cache
def _environment_fingerprint() -> str:
    """A digest of this module, which sets the environments up (`BytecodeCache` adds Jinja's
    version to the key itself)."""
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


_SANDBOX: dict[str, BoundedSandbox] = {}


def sandbox(language: str = "nl") -> BoundedSandbox:
    """The bounded sandbox for prose written inside dossiers (shared: it keeps no state).

    See `tooling.sandbox` for its limits; the Dutch filters are added (and checked) here.
    """
    if language not in _SANDBOX:
        env = BoundedSandbox(keep_trailing_newline=True)
        env.filters.update(_filters(language))
        _SANDBOX[language] = env
    return _SANDBOX[language]


class _FormattedRules(Mapping[str, str]):
    """A dossier's rules as readers see them ('9 jaar'), each formatted when first quoted.

    Formatting every rule of every dossier with babel took a tenth of a 1,000-dossier check
    while most texts quote none.
    """

    def __init__(self, rules: Sequence[Rule], language: str, on: PartialDate | None) -> None:
        self._rules = {rule.id: rule for rule in rules}
        self._language = language
        self._on = on
        self._shown: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        if key not in self._shown:
            self._shown[key] = format_rule(self._rules[key], self._language, self._on)
        return self._shown[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)


def prose_context(
    dossier: Dossier, letter: Letter | None = None, on: PartialDate | None = None
) -> dict[str, Any]:
    """What dossier prose may use: the dossier, rules, indications and coverage helpers."""
    index = indication_index(dossier)

    def indication(ident: str) -> Indication:
        if ident not in index:
            raise KeyError(f"no indication '{ident}' (known: {', '.join(sorted(index))})")
        return index[ident]

    def period(ident: str, status: str, variant: str | None) -> CoveragePeriod:
        for candidate in indication(ident).coverage:
            if candidate.status == status and (
                variant is None or not candidate.variants or variant in candidate.variants
            ):
                return candidate
        raise KeyError(
            f"indication '{ident}' has no {status} coverage period"
            + (f" for '{variant}'" if variant else "")
        )

    context: dict[str, Any] = {
        "dossier": dossier,
        "rules": _FormattedRules(
            dossier.rules, dossier.language, on or (letter.date if letter else None)
        ),
        "indication": indication,
        "since": lambda ident, status, variant=None: period(ident, status, variant).start,
        "until": lambda ident, status, variant=None: period(ident, status, variant).end,
        "agreed_until": lambda ident, status, variant=None: (
            period(ident, status, variant).agreed_until
        ),
        "coverage_period": period,
    }
    if letter is not None:
        meetings = {m.id: m for m in letter.meetings}

        def meeting(ident: str) -> Any:
            if ident not in meetings:
                raise KeyError(
                    f"no meeting '{ident}' in letter '{letter.id}' (known: {', '.join(meetings)})"
                )
            return meetings[ident]

        context.update(
            letter=letter, indications=[indication(i) for i in letter.indications], meeting=meeting
        )
    return context


def render_prose(
    text: str, context: Mapping[str, Any], location: Location | Where, language: str = "nl"
) -> str:
    """Render dossier prose in the bounded sandbox; errors name the file, line and column.

    Args:
        text: The prose (a Jinja template).
        context: What it may use (`prose_context`).
        location: Where the prose stands. A Location at line 1 (or without a line) is a
            whole file, so the prose's lines are the file's; any other Location is where a
            YAML value starts, and errors are reported there. For exact places inside a
            YAML value pass a callable ``where(line, column) -> Location`` instead, e.g.
            ``lambda line, column: source_map.locate_in_value(path, line, column)``.
        language: The language of the filters (dates, verdicts).

    Returns:
        The rendered text (the text itself when it has no template syntax).

    Raises:
        TemplateError: The prose is not a valid template, fails or exceeds a limit of the
            sandbox (`tooling.sandbox`).
    """
    if "{" not in text:  # most prose has no template syntax: skip the compile
        return text
    return render_sandboxed(sandbox(language), text, context, location)


def render_template(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render a toolkit template; a broken one is reported with its file and line."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template syntax: {exc.message}", Location(exc.filename or name, exc.lineno or 0)
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"template '{exc.name}' not found",
            Location(name),
            hint="templates live in the folder set by [project] templates",
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            f"template uses something that does not exist: {exc.message}",
            _toolkit_template_location(exc, name),
        ) from None
    except (jinja2.TemplateError, TypeError, ValueError, KeyError, AttributeError) as exc:
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise TemplateError(
            f"template failed: {text}",
            _toolkit_template_location(exc, name),
            hint="a toolkit template in the templates folder is broken",
        ) from None


def _toolkit_template_location(exc: BaseException, name: str) -> Location:
    """The template file and line an exception came from (its last template frame)."""
    where = Location(name)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            where = Location(filename, tb.tb_lineno)
        tb = tb.tb_next
    return where
