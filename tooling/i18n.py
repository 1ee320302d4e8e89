"""Every word a reader sees that does not come from a dossier, per language.

Only Dutch exists today; another language is another entry in ``MESSAGES`` with the same keys
(a test checks that every language has every key).
"""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "nl": {
        # verdicts, present tense (labels) and past tense (in running text)
        "verdict.meets": "Voldoet aan de stand van de wetenschap en praktijk",
        "verdict.does_not_meet": "Voldoet niet aan de stand van de wetenschap en praktijk",
        "verdict.insufficient_evidence": "Onvoldoende bewijs",
        "verdict.pending": "In beoordeling",
        "verdict.past.meets": "voldeed aan de stand van de wetenschap en praktijk",
        "verdict.past.does_not_meet": "niet voldeed aan de stand van de wetenschap en praktijk",
        "verdict.past.insufficient_evidence": "onvoldoende bewezen effectief was",
        "verdict.past.pending": "nog in beoordeling was",
        "verdict.short.meets": "voldoet",
        "verdict.short.does_not_meet": "voldoet niet",
        "verdict.short.insufficient_evidence": "onvoldoende bewijs",
        "verdict.short.pending": "in beoordeling",
        "coverage.insured": "Vergoed",
        "coverage.not_insured": "Niet vergoed",
        "coverage.conditional": "Voorwaardelijk vergoed",
        "coverage.none": "Niet vastgelegd",
        "certainty.high": "hoog",
        "certainty.moderate": "redelijk",
        "certainty.low": "laag",
        "certainty.very_low": "zeer laag",
        "status.concept": "Concept",
        "status.definitive": "Definitief",
        "status.withdrawn": "Ingetrokken",
        "revision.invalidated": "Vervallen",
        "revision.revised": "Herzien",
        "revision.under_reassessment": "In herbeoordeling",
        "kind.position": "Standpunt",
        "kind.addendum": "Addendum",
        "kind.letter": "Brief",
        "kind.faq": "Veelgestelde vragen",
        "kind.leaflet": "Patiëntenfolder",
        "audience.parliament": "Brief aan de Tweede Kamer",
        "audience.professional_body": "Brief aan een beroepsvereniging",
        "audience.other": "Brief",
        # letters
        "letter.date": "Datum",
        "letter.subject": "Betreft",
        "letter.attention": "T.a.v.",
        "letter.cc": "Cc",
        "letter.their_letter": "Uw brief",
        "letter.reference": "Ons kenmerk",
        "letter.page": "Pagina",
        "letter.of": "van",
        "letter.deadline": "Reactie gevraagd vóór",
        # documents
        "doc.summary": "Samenvatting",
        "doc.indications_insured": "Aandoeningen waarbij {intervention} wordt vergoed",
        "doc.indications_not_insured": "Aandoeningen waarbij {intervention} niet wordt vergoed",
        "doc.indications_other": "Overige aandoeningen",
        "doc.conditions": "Voorwaarden",
        "doc.conditions_intro": "De vergoeding geldt als aan de volgende voorwaarden is voldaan:",
        "doc.transitional": "Overgangsregeling",
        "doc.superseded": "Eerdere standpunten die vervallen",
        "doc.addenda": "Addenda",
        "doc.references": "Literatuur",
        "doc.technique": "techniek",
        "doc.in_force": "Ingangsdatum",
        "doc.conclusion_withdrawn": "Deze conclusie is {kind} op {date}: {reason}",
        "doc.glossary": "Afkortingen",
        "doc.what_changed": "Wat is gewijzigd",
        "doc.where": "Waar",
        "doc.addendum_to": "Addendum bij",
        "doc.what_you_can_do": "Wat kunt u doen?",
        "doc.contact": "Contact",
        "doc.coverage_timeline": "Vergoeding door de tijd",
        "doc.since": "sinds",
        "doc.until": "tot",
        "doc.originally_until": "oorspronkelijk afgesproken tot",
        "doc.only_in_study": "alleen binnen het onderzoek",
        "doc.centres_count": "in {count} centra",
        "faq.question": "Vraag",
        "faq.answer": "Antwoord",
        "ref.retracted": "Teruggetrokken",
        "ref.flag.Retraction": "Teruggetrokken",
        "ref.flag.Correction": "Correctie",
        "ref.flag.Expression of concern": "Expression of concern",
        "ref.flag.Reinstatement": "Hersteld",
        "ref.placeholder": "Placeholder",
        "ref.available": "Beschikbaar via",
    }
}


def message(key: str, language: str = "nl", **values: object) -> str:
    """The text for ``key`` in ``language``, with ``{placeholders}`` filled in."""
    text = MESSAGES[language][key]
    return text.format(**values) if values else text
