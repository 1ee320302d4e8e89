"""The typed dossier: everything a `dossier.yaml` can say, validated by pydantic.

Field names are the YAML keys; unknown keys are errors so that typos never pass silently.
Descriptions end up in the JSON Schema that editors use to autocomplete `dossier.yaml`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tooling.dates import PartialDate

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80),
    Field(description="Identifier: lower-case letters, digits and hyphens."),
]
Text = Annotated[str, StringConstraints(min_length=1)]
Markdown = Annotated[str, Field(description="Markdown text.")]

Verdict = Literal["meets", "does_not_meet", "insufficient_evidence", "pending"]
Certainty = Literal["high", "moderate", "low", "very_low"]
CoverageStatus = Literal["insured", "not_insured", "conditional"]
DocumentStatus = Literal["concept", "definitive", "withdrawn"]
RevisionKind = Literal["invalidated", "revised", "under_reassessment"]
VersionStatus = Literal["concept", "consultation", "definitive"]


class Strict(BaseModel):
    """Base for every dossier object: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Organisation(Strict):
    """An organisation that issues, sends or receives documents."""

    name: Text
    short_name: str | None = None
    address: list[str] = Field(default_factory=list)
    website: str | None = None
    contact: list[str] = Field(
        default_factory=list,
        description="Contact lines as the source gives them (telephone, e-mail), for letterheads.",
    )


class Person(Strict):
    """A named person with the role they sign or act in."""

    name: Text
    role: str | None = None


class Variant(Strict):
    """A technique or form of the intervention (e.g. SCS, DRGS)."""

    id: Slug
    name: Text
    abbreviation: str | None = None


class Intervention(Strict):
    """The care being assessed and its variants."""

    name: Text
    description: Markdown = ""
    variants: list[Variant] = Field(default_factory=list)


class Pico(Strict):
    """The question an assessment answers for one indication or subgroup."""

    population: Text
    intervention: Text
    comparator: Text
    outcomes: list[Text] = Field(default_factory=list)


class Revision(Strict):
    """What later happened to a conclusion: invalidated, revised or under reassessment."""

    kind: RevisionKind
    date: PartialDate = Field(
        description="When it was recorded: the date of the document that says so (`source`)."
    )
    decided: PartialDate | None = Field(
        None,
        description="When it was decided, only when a source gives that date; documents then "
        "say 'vervallen op <decided>', else 'vastgelegd op <date>'.",
    )
    reason: Text
    replaced_by: Slug | None = Field(None, description="Id of the conclusion that replaces it.")
    source: Slug | None = Field(None, description="Id of the document that records it.")


class Review(Strict):
    """A dated review that a conclusion still stands although references under it fell.

    Recorded when a reference of a standing conclusion is newly retracted (`dossier
    retractions update` reports it): without a review or a reassessment, `dossier check`
    fails on the conclusion.
    """

    date: PartialDate = Field(
        description="When the conclusion was reviewed; not before the retraction it answers."
    )
    reason: Text = Field(description="Why the conclusion still stands without the references.")
    references: list[str] = Field(
        min_length=1, description="BibTeX keys of the retracted references this review covers."
    )


class Conclusion(Strict):
    """A verdict on the criterion 'stand van de wetenschap en praktijk' for one indication."""

    id: Slug
    verdict: Verdict
    date: PartialDate
    evidence: list[str] = Field(
        default_factory=list, description="BibTeX keys of the references it rests on."
    )
    evidence_not_named: Text | None = Field(
        None,
        description="Where the source does not name the evidence: says so (shown to readers) "
        "instead of a reference; never cite the position itself as its own evidence.",
    )
    certainty: Certainty | None = None
    rationale: Markdown = ""
    variants: list[Slug] = Field(
        default_factory=list, description="Variant ids it applies to; empty means all."
    )
    revision: Revision | None = None
    reviews: list[Review] = Field(
        default_factory=list,
        description="Reviews that it still stands after references under it were retracted.",
    )


class Centres(Strict):
    """Where conditional care may be given: named centres, or a count when unnamed."""

    count: int | None = Field(None, ge=1)
    names: list[Text] = Field(default_factory=list)


class CoveragePeriod(Strict):
    """One period of coverage: from `start` (inclusive) to `end` (exclusive, open when absent)."""

    status: CoverageStatus
    start: PartialDate | None = Field(None, description="Empty: since before the records.")
    end: PartialDate | None = None
    variants: list[Slug] = Field(default_factory=list, description="Empty means every variant.")
    conditions: list[Slug] = Field(
        default_factory=list, description="Ids of the position's conditions that apply."
    )
    study: str | None = Field(None, description="Only inside this study (conditional coverage).")
    centres: Centres | None = None
    agreed_until: PartialDate | None = Field(
        None, description="The end originally agreed, when the period ended earlier."
    )
    basis: Slug | None = Field(None, description="Id of the conclusion this coverage rests on.")
    note: Markdown = ""


class Indication(Strict):
    """An indication (or subgroup) with its PICO, conclusions and coverage over time."""

    id: Slug
    name: Text
    abbreviation: str | None = None
    explanation: str | None = Field(
        None,
        description="A lay explanation as the source gives it ('zenuwpijn door suikerziekte').",
    )
    qualifier: str | None = Field(
        None,
        description="Words that bound the decision, printed with the name in every list "
        "('met aanhoudende radiculaire (uitstralende) beenpijn na een rugoperatie').",
    )
    together_with: list[Text] = Field(
        default_factory=list,
        description="Conditions the source decides on together with this one, as it names them "
        "('dunnevezelneuropathie (ziekte waarbij dunne zenuwvezels zijn aangedaan)').",
    )
    description: Markdown = ""
    variants: list[Slug] = Field(default_factory=list, description="Variant ids assessed.")
    pico: Pico | None = None
    conclusions: list[Conclusion] = Field(default_factory=list)
    coverage: list[CoveragePeriod] = Field(default_factory=list)
    subgroups: list[Indication] = Field(default_factory=list)
    since: PartialDate | None = Field(
        None,
        description="When the indication or subgroup entered the dossier, only when a source "
        "dates it. Empty: since before the records, or (for `--as-of`) since its first dated "
        "fact (docs/history.md).",
    )


class Condition(Strict):
    """A condition that must hold for coverage (adults, severe pain, positive trial...)."""

    id: Slug
    text: Text


class TransitionalArrangement(Strict):
    """Arrangement for patients already treated when the position takes effect."""

    summary: Text
    applies_to: Text
    details: Markdown = ""


class SupersededPosition(Strict):
    """An earlier position that this one replaces."""

    id: Slug
    title: Text | None = Field(
        None, description="Leave out when the source does not give it: shown as not stated."
    )
    date: PartialDate
    issuer: str | None = None
    url: str | None = None
    note: str = ""


class Addendum(Strict):
    """A dated correction or change to a published position."""

    id: Slug
    date: PartialDate
    summary: Text
    location: str | None = Field(None, description="Where it changed, e.g. 'pagina 264, tabel 3'.")
    details: Markdown = ""


class DocumentProvided(Strict):
    """A document a party provides (a guarantees document, a quality standard...)."""

    title: Text
    kind: Literal["guarantees", "quality_standard", "protocol", "other"] = Field(
        description="guarantees: a 'waarborgendocument' of professional bodies."
    )
    date: PartialDate | None = None
    url: str | None = None


class Party(Strict):
    """An organisation involved in the assessment, and what it provides."""

    name: Text
    role: Text = Field(description="Its part, as the source says ('beroepsvereniging').")
    provides: list[DocumentProvided] = Field(default_factory=list)


class PatientVolume(Strict):
    """The expected number of patients, as the source states it."""

    count: int = Field(ge=0)
    per: Literal["year", "total"] = "year"
    note: str = Field("", description="What the number covers, in the source's words.")


class Position(Strict):
    """The formal position (standpunt) of the issuing body."""

    title: Text
    status: DocumentStatus
    date: PartialDate = Field(description="Date the position takes effect (ingangsdatum).")
    published: PartialDate | None = Field(
        None,
        description="Date of publication, when the source gives it; it may differ from the "
        "effective date (a position may take effect before it is published).",
    )
    issuer: Organisation | None = Field(None, description="Defaults to the dossier's issuer.")
    requested_by: list[Text] = Field(
        default_factory=list, description="Who asked for the assessment."
    )
    parties: list[Party] = Field(default_factory=list)
    expected_patients: PatientVolume | None = None
    consultation_until: PartialDate | None = Field(
        None, description="End of the consultation, for a concept position."
    )
    summary: Markdown = ""
    body_file: str | None = Field(None, description="Markdown file with the longer text.")
    conditions: list[Condition] = Field(default_factory=list)
    transitional_arrangement: TransitionalArrangement | None = None
    supersedes: list[SupersededPosition] = Field(default_factory=list)
    addenda: list[Addendum] = Field(default_factory=list)


class Recipient(Strict):
    """Who a letter is addressed to."""

    organisation: Text
    attention: str | None = Field(None, description="Person the letter is for (T.a.v.).")
    salutation: str | None = None
    address: list[str] = Field(default_factory=list)


class TheirLetter(Strict):
    """The letter being answered."""

    date: PartialDate
    description: str = ""


class Meeting(Strict):
    """A meeting a letter refers to; the body quotes it as ``meeting('id')``."""

    id: Slug
    date: PartialDate
    description: Text


class Letter(Strict):
    """A letter: to parliament, to a professional body or anyone else."""

    id: Slug
    audience: Literal["parliament", "professional_body", "other"]
    status: DocumentStatus = "definitive"
    sender: Organisation | None = Field(None, description="Defaults to the dossier's issuer.")
    recipient: Recipient
    cc: list[Text] = Field(default_factory=list)
    date: PartialDate
    subject: Text | None = Field(
        None, description="The 'Betreft' line; leave out when the source has none."
    )
    reference: str | None = None
    in_reply_to: TheirLetter | None = None
    meetings: list[Meeting] = Field(default_factory=list)
    reply_deadline: PartialDate | None = None
    indications: list[Slug] = Field(
        default_factory=list, description="Ids of the indications the letter names."
    )
    signatory: Person
    closing: str = "Hoogachtend,"
    body_file: Text = Field(description="Markdown file (a template) with the body and footnotes.")


Number = int | float


class Passage(Strict):
    """Where a value or a decision rule comes from: the source, the place in it, its words."""

    document: Slug | None = Field(
        None, description="Id of the dossier's document that is the source (faq, leaflet, letter)."
    )
    title: str | None = Field(None, description="The source, when no document of the dossier.")
    passage: Text = Field(description="Where in the source: a heading, a question, a footnote.")
    quote: str = Field("", description="The source's words; a rule's number must occur in them.")


class RuleValue(Strict):
    """One value of a rule, with the period it is in force and the passage it comes from."""

    value: Number | str
    start: PartialDate | None = Field(None, description="First day in force; empty: not stated.")
    end: PartialDate | None = Field(None, description="First day no longer in force.")
    source: Passage | None = None


class Rule(Strict):
    """A rule with a number (warranty, waiting time, threshold) or a code, kept as data.

    Either one ``value`` (with its ``source``) or dated ``values``, each with its source; a
    rule with ``values`` shows the last one wherever a text quotes it.
    """

    id: Slug
    label: Text
    value: Number | str = Field(None, description="The value; leave out when 'values' is given.")  # type: ignore[assignment]
    unit: str | None = None
    note: str = ""
    source: Passage | None = Field(None, description="Where the value comes from.")
    values: list[RuleValue] = Field(default_factory=list, description="Dated values, oldest first.")
    sum_of: list[Slug] = Field(
        default_factory=list, description="Ids of rules whose values add up to this one's."
    )

    @model_validator(mode="before")
    @classmethod
    def _value_from_values(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("values"):
            if "value" in data:
                raise ValueError("give 'value' or dated 'values', not both")
            last = data["values"][-1]
            if isinstance(last, dict) and "value" in last:
                data = {**data, "value": last["value"]}
        elif isinstance(data, dict) and "value" not in data:
            raise ValueError("a rule needs a 'value' (or dated 'values')")
        return data


class GlossaryEntry(Strict):
    """An abbreviation or term with its meaning."""

    term: Text
    definition: Text


class FaqItem(Strict):
    """One question and its answer; the answer may quote rules (``{{ rules['id'] }}``)."""

    id: Slug
    question: Markdown
    answer: Markdown


class FaqTheme(Strict):
    """A group of questions under one theme."""

    id: Slug
    title: Text
    items: list[FaqItem]


class Faq(Strict):
    """Frequently asked questions, grouped by theme."""

    id: Slug
    title: Text
    date: PartialDate
    status: DocumentStatus = "definitive"
    issuer: Organisation | None = Field(None, description="Defaults to the dossier's issuer.")
    themes: list[FaqTheme]


class LeafletSection(Strict):
    """A section of a patient leaflet."""

    title: Text
    body: Markdown


class Leaflet(Strict):
    """A leaflet for patients, in plain language."""

    id: Slug
    title: Text
    subtitle: str = ""
    status: DocumentStatus = "definitive"
    issuer: Organisation | None = None
    date: PartialDate | None = None
    indication: Slug | None = Field(None, description="Indication whose coverage it explains.")
    sections: list[LeafletSection] = Field(default_factory=list)
    steps: list[LeafletSection] = Field(default_factory=list, description="What the reader can do.")
    contact: list[str] = Field(default_factory=list)


class Version(Strict):
    """A published version of the dossier: when, in what status, and which documents.

    Versions are listed oldest first; the last definitive one is the current version. Its
    permanent address is ``<dossier>/versies/<id>/`` (docs/history.md).
    """

    id: Slug = Field(description="Unique and permanent: part of the version's web address.")
    date: PartialDate = Field(
        description="Date of this version: its publication date, or the date it took effect "
        "where the source gives only that (say so in a comment)."
    )
    status: VersionStatus = Field(
        description="concept, consultation (open for comments until consultation_until) or "
        "definitive."
    )
    documents: list[Slug] = Field(
        default_factory=list,
        description="Ids of the documents it published: 'standpunt' (the position), addendum, "
        "letter, FAQ and leaflet ids. Empty only when the dossier holds none of them; `note` "
        "then says what was published.",
    )
    consultation_until: PartialDate | None = Field(
        None, description="End of the consultation; only for a consultation version."
    )
    note: str = Field("", description="What this version is, in the source's words.")


class Dossier(Strict):
    """One assessment dossier: the single source of truth for every document about it."""

    title: Text
    language: Literal["nl"] = "nl"
    jurisdiction: Literal["NL", "BE"]
    issuer: Organisation
    status: DocumentStatus
    updated: PartialDate = Field(description="Date of the last change to the dossier.")
    summary: Markdown = ""
    intervention: Intervention
    position: Position | None = None
    indications: list[Indication] = Field(default_factory=list)
    letters: list[Letter] = Field(default_factory=list)
    faq: Faq | None = None
    leaflets: list[Leaflet] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    glossary: list[GlossaryEntry] = Field(default_factory=list)
    decisions: str | None = Field(
        None, description="YAML file in the dossier folder with decision tables and cases."
    )
    versions: list[Version] = Field(
        default_factory=list,
        description="The published versions, oldest first (docs/history.md).",
    )
