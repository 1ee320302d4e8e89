"""A synthetic dossier project for benchmarks: dossiers, BibTeX files and a Retraction Watch CSV.

Everything is generated from a seed, so two runs with the same arguments write the same bytes.
All DOIs use the reserved test prefix ``10.5555/``; titles, names and journals are invented
and say so ("Synthetic ..."), so nothing here can be mistaken for a bibliographic fact.

The generator also returns the answer key (:class:`CorpusInfo`): which reference DOIs a check
must flag, with which nature, and which ones a reinstatement cleared. It computes that key
from the scenarios it writes, not with the tooling's own code, so a benchmark can verify the
tool instead of comparing it with itself.

Use it from another script::

    sys.path.insert(0, str(ROOT / "bench"))
    from corpus import generate_corpus

    info = generate_corpus(Path("/tmp/corpus"), dossiers=100, indications=10,
                           references=2_000, retraction_rows=6_000, seed=1)
    # info.root has dossier.toml, dossiers/<slug>/{dossier.yaml,references.bib,brief.md}
    # and retraction-watch.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

CSV_NAME = "retraction-watch.csv"
COLUMNS = (
    "Record ID", "Title", "Subject", "Institution", "Journal", "Publisher", "Country", "Author",
    "URLS", "ArticleType", "RetractionDate", "RetractionDOI", "RetractionPubMedID",
    "OriginalPaperDate", "OriginalPaperDOI", "OriginalPaperPubMedID", "RetractionNature",
    "Reason", "Paywalled", "Notes",
)  # fmt: skip

RETRACTION = "Retraction"
CORRECTION = "Correction"
CONCERN = "Expression of concern"
REINSTATEMENT = "Reinstatement"

# Histories of a corpus reference in the CSV (natures in date order), how often each occurs,
# and the nature a check must report afterwards (None: cleared by a reinstatement).
SCENARIOS: tuple[tuple[tuple[str, ...], float, str | None], ...] = (
    ((RETRACTION,), 0.45, RETRACTION),
    ((CORRECTION,), 0.15, CORRECTION),
    ((CONCERN,), 0.12, CONCERN),
    ((RETRACTION, REINSTATEMENT), 0.13, None),
    ((CONCERN, RETRACTION), 0.05, RETRACTION),
    ((RETRACTION, REINSTATEMENT, CORRECTION), 0.05, CORRECTION),
    ((CORRECTION, CORRECTION), 0.05, CORRECTION),
)
MATCHED_SHARE = 0.015  # share of corpus references that get a Retraction Watch record

_SURNAMES = (
    "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
    "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
    "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs", "Müller", "Schmidt",
    "Nguyen", "Garcia", "Kowalski", "Andersen", "O'Brien", "Rossi", "Tanaka", "Chen", "Kumar",
)  # fmt: skip
_INITIALS = "ABCDEFGHIJKLMNPRSTW"
_TOPICS = (
    "spinal cord stimulation", "interdisciplinary rehabilitation", "cognitive behavioural therapy",
    "radiofrequency ablation", "exercise therapy", "pharmacological treatment",
    "multidisciplinary pain management", "dorsal root ganglion stimulation", "acupuncture",
    "graded activity", "transcutaneous nerve stimulation", "intrathecal drug delivery",
)  # fmt: skip
_POPULATIONS = (
    "chronic low back pain", "failed back surgery syndrome", "complex regional pain syndrome",
    "painful diabetic neuropathy", "fibromyalgia", "chronic neck pain", "knee osteoarthritis",
    "post-herpetic neuralgia", "chronic pelvic pain", "refractory angina pectoris",
)  # fmt: skip
_DESIGNS = (
    "a randomised controlled trial", "a systematic review", "a prospective cohort study",
    "a multicentre randomised trial", "a cost-effectiveness analysis", "a meta-analysis",
)  # fmt: skip
_JOURNALS = (
    "Journal of Synthetic Pain Research", "Synthetic Neuromodulation", "Example Rehabilitation",
    "Fictional Journal of Anaesthesiology", "Test Archives of Physical Medicine",
    "Benchmark Spine Journal", "Journal of Invented Clinical Trials",
)  # fmt: skip
_PUBLISHERS = (
    "Example Publishing Group", "Synthetic Science Press", "Test Academic Publishers",
    "Fictional Medical Media",
)  # fmt: skip
_SUBJECTS = (
    "(HSC) Medicine - Anesthesia/Anesthesiology;", "(HSC) Medicine - Neurology;",
    "(HSC) Medicine - Orthopedics;", "(HSC) Medicine - Rehabilitation;",
    "(BLS) Biology - Cellular;", "(HSC) Medicine - Oncology;", "(HSC) Public Health and Safety;",
    "(SOC) Psychology;", "(BLS) Biochemistry;", "(PHY) Engineering - Biomedical;",
)  # fmt: skip
_COUNTRIES = (
    "China", "United States", "India", "Iran", "Netherlands", "Germany", "Japan", "Brazil",
    "Egypt", "Saudi Arabia", "United Kingdom", "South Korea", "Italy", "Unknown",
)  # fmt: skip
_REASONS = (
    "Duplication of Article", "Error in Data", "Concerns/Issues About Data",
    "Fake Peer Review", "Paper Mill", "Plagiarism of Article", "Investigation by Journal/Publisher",
    "Unreliable Results", "Lack of IRB/IACUC Approval", "Error in Analyses",
    "Breach of Policy by Author", "Concerns/Issues about Referencing/Attributions",
    "Randomly Generated Content", "Upgrade/Update of Prior Notice(s)", "Withdrawal",
    "Computer-Aided Content or Computer-Generated Content",
)  # fmt: skip
_ARTICLE_TYPES = (
    "Research Article;", "Clinical Study;", "Review Article;", "Research Article;Clinical Study;",
    "Letter;", "Conference Abstract/Paper;",
)  # fmt: skip
_REGIONS = ("Noord", "Zuid", "Oost", "West", "Midden")


@dataclass(frozen=True)
class CorpusInfo:
    """What was generated and the answer key a check of it must reproduce.

    DOIs are normalised (lower case, no prefix). ``flagged`` maps every corpus DOI that has a
    notice in force after replaying its history to that notice's nature; ``cleared`` holds the
    corpus DOIs whose every notice a later reinstatement cleared; ``any_record`` holds every
    corpus DOI that has at least one CSV row (what a plain lookup without replay reports).
    """

    root: Path
    dossiers_dir: Path
    csv_path: Path
    bib_paths: tuple[Path, ...]
    dossiers: int
    indications: int
    references: int
    retraction_rows: int
    doi_by_key: dict[str, str] = field(repr=False)
    flagged: dict[str, str] = field(repr=False)
    cleared: frozenset[str] = field(repr=False)
    any_record: frozenset[str] = field(repr=False)


def generate_corpus(
    root: Path,
    dossiers: int,
    indications: int,
    references: int,
    retraction_rows: int,
    seed: int,
    *,
    matched_share: float = MATCHED_SHARE,
) -> CorpusInfo:
    """Write a project (``dossier.toml``, ``dossiers/``, the CSV) into ``root``.

    Args:
        root: Target folder; its ``dossiers/`` and CSV are replaced when they exist.
        dossiers: Number of dossiers.
        indications: Indications per dossier (each with a current and a revised conclusion).
        references: References in total, spread evenly over the dossiers' ``references.bib``.
        retraction_rows: Rows of the Retraction Watch CSV (at least the matched ones).
        seed: Seed of the random generator; equal arguments give equal files.
        matched_share: Share of the references that get Retraction Watch records (each
            scenario of SCENARIOS occurs at least once when there are enough of them).

    Returns:
        The paths written and the answer key.
    """
    if dossiers < 1 or indications < 1 or references < dossiers:
        raise ValueError("need at least one dossier, one indication and one reference per dossier")
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    dossiers_dir = root / "dossiers"
    if dossiers_dir.exists():
        shutil.rmtree(dossiers_dir)
    dossiers_dir.mkdir()
    (root / "dossier.toml").write_text(
        '[project]\ndossiers = "dossiers"\n\n'
        f'[retractions]\ndatabase = "{CSV_NAME}"\nsnapshot_date = "2026-01-01"\n',
        encoding="utf-8",
    )

    # Spread the references over the dossiers; reference n has DOI 10.5555/bench.<n>.
    per_dossier = [
        references // dossiers + (1 if d < references % dossiers else 0) for d in range(dossiers)
    ]
    doi_by_key: dict[str, str] = {}
    flaggable: list[str] = []  # DOIs that never are the only evidence of a conclusion
    year_of: dict[str, int] = {}
    bib_paths: list[Path] = []
    number = 0
    for d in range(dossiers):
        slug = f"bench-{d + 1:05d}"
        folder = dossiers_dir / slug
        folder.mkdir()
        refs: list[tuple[str, str, int]] = []  # key, doi, reference number
        for j in range(per_dossier[d]):
            number += 1
            year = 1998 + rng.randrange(27)
            key = f"{_key_name(rng)}{year}-b{number:06d}"
            doi = f"10.5555/bench.{number}"
            refs.append((key, doi, number))
            doi_by_key[key] = doi
            year_of[doi] = year
            if j >= indications:  # the first reference of each indication stays sound
                flaggable.append(doi)
        bib = folder / "references.bib"
        bib.write_text(_bibliography(rng, refs), encoding="utf-8")
        bib_paths.append(bib)
        groups = [[r[0] for r in refs[i::indications]] for i in range(indications)]
        (folder / "dossier.yaml").write_text(_dossier_yaml(rng, d, groups), encoding="utf-8")
        cited = [k for k, _, _ in rng.sample(refs, min(3, len(refs)))]
        (folder / "brief.md").write_text(_letter_body(cited), encoding="utf-8")

    # Pick the corpus DOIs that get records and the history of each.
    wanted = max(1, round(references * matched_share))
    matched = rng.sample(flaggable, min(len(flaggable), wanted))
    weights = [s[1] for s in SCENARIOS]
    flagged: dict[str, str] = {}
    cleared: set[str] = set()
    rows: list[list[str]] = []
    for n, doi in enumerate(matched):
        scenario = SCENARIOS[n] if n < len(SCENARIOS) else rng.choices(SCENARIOS, weights)[0]
        natures, _, outcome = scenario
        if outcome is None:
            cleared.add(doi)
        else:
            flagged[doi] = outcome
        rows.extend(_history(rng, doi, natures, year_of[doi]))
    matched_rows = len(rows)
    while len(rows) < retraction_rows:
        rows.extend(_unrelated(rng, len(rows)))
    rows = rows[: max(retraction_rows, matched_rows)]
    rng.shuffle(rows)
    csv_path = root / CSV_NAME
    _write_csv(csv_path, rows, rng)
    return CorpusInfo(
        root=root,
        dossiers_dir=dossiers_dir,
        csv_path=csv_path,
        bib_paths=tuple(bib_paths),
        dossiers=dossiers,
        indications=indications,
        references=references,
        retraction_rows=len(rows),
        doi_by_key=doi_by_key,
        flagged=flagged,
        cleared=frozenset(cleared),
        any_record=frozenset(matched),
    )


def concatenate_bibliographies(info: CorpusInfo, target: Path) -> Path:
    """Write every dossier's references.bib into one file (keys are unique corpus-wide)."""
    with target.open("w", encoding="utf-8") as out:
        for path in info.bib_paths:
            out.write(path.read_text(encoding="utf-8"))
            out.write("\n")
    return target


# --- BibTeX -------------------------------------------------------------------------------


def _key_name(rng: random.Random) -> str:
    name = rng.choice(_SURNAMES).split()[-1].lower()
    return "".join(c for c in name.replace("ü", "u") if c.isalnum())


def _dress_doi(rng: random.Random, doi: str, share: float) -> str:
    """The DOI as written: a ``share`` of them as a doi.org link, as many in capitals."""
    roll = rng.random()
    if roll < share:
        return f"https://doi.org/{doi}"
    if roll < 2 * share:
        return doi.upper()
    return doi


def _author(rng: random.Random) -> str:
    surname = rng.choice(_SURNAMES)
    if surname == "Müller" and rng.random() < 0.5:
        surname = 'M{\\"u}ller'  # LaTeX escapes occur in real bibliographies
    first = rng.choice(_INITIALS)
    second = f" {rng.choice(_INITIALS)}." if rng.random() < 0.4 else ""
    return f"{surname}, {first}.{second}"


def _bibliography(rng: random.Random, refs: list[tuple[str, str, int]]) -> str:
    parts = ["% Synthetic references for benchmarks; none of these works exists.\n"]
    for key, doi, number in refs:
        authors = " and ".join(_author(rng) for _ in range(rng.randint(1, 7)))
        year = key.split("-")[0][-4:]
        title = (
            f"Synthetic study {number}: {rng.choice(_TOPICS)} for {rng.choice(_POPULATIONS)}, "
            f"{rng.choice(_DESIGNS)}"
        )
        shown_doi = _dress_doi(rng, doi, 0.03)
        kind = rng.random()
        if kind < 0.85:
            volume, issue, first = rng.randint(1, 60), rng.randint(1, 12), rng.randint(1, 900)
            parts.append(
                f"@article{{{key},\n"
                f"  author = {{{authors}}},\n"
                f"  title = {{{{{title.split(':')[0]}}}:{title.split(':', 1)[1]}}},\n"
                f"  journal = {{{rng.choice(_JOURNALS)}}},\n"
                f"  year = {{{year}}},\n"
                f"  volume = {{{volume}}},\n"
                f"  number = {{{issue}}},\n"
                f"  pages = {{{first}--{first + rng.randint(5, 20)}}},\n"
                f"  doi = {{{shown_doi}}},\n"
                "}\n"
            )
        elif kind < 0.95:
            parts.append(
                f"@inproceedings{{{key},\n"
                f"  author = {{{authors}}},\n"
                f'  title = "{title}",\n'
                f"  booktitle = {{Proceedings of the Synthetic Pain Congress {year}}},\n"
                f"  year = {year},\n"
                f"  pages = {{{rng.randint(1, 300)}}},\n"
                f"  doi = {{{shown_doi}}}\n"
                "}\n"
            )
        else:
            parts.append(
                f"@book{{{key},\n"
                f"  author = {{{authors}}},\n"
                f"  title = {{{title}}},\n"
                f"  publisher = {{{rng.choice(_PUBLISHERS)}}},\n"
                f"  address = {{Utrecht}},\n"
                f"  year = {{{year}}},\n"
                f"  doi = {{{shown_doi}}},\n"
                f"  url = {{https://example.org/books/{number}}},\n"
                "}\n"
            )
    return "\n".join(parts)


# --- dossier.yaml and the letter ----------------------------------------------------------


def _dossier_yaml(rng: random.Random, index: int, groups: list[list[str]]) -> str:
    number = index + 1
    start_year = 2008 + rng.randrange(8)
    lines = [
        f"title: Synthetisch dossier {number}",
        "jurisdiction: NL",
        "issuer:",
        "  name: Zorginstituut Nederland",
        "  short_name: Zorginstituut",
        "  website: www.zorginstituutnederland.nl",
        "status: definitive",
        "updated: 2025-03-01",
        "summary: >-",
        f"  Synthetisch dossier {number} voor prestatiemetingen. Het beschrijft een interventie",
        "  met varianten, een standpunt met voorwaarden, indicaties met conclusies en",
        "  vergoedingsperioden, een brief, regels en een woordenlijst.",
        "",
        "intervention:",
        f"  name: Synthetische interventie {number}",
        "  description: >-",
        "    Een verzonnen behandeling; alleen bedoeld om de tooling op schaal te meten.",
        "  variants:",
        "    - id: standaard",
        "      name: Standaardvariant",
        "      abbreviation: STD",
        "    - id: uitgebreid",
        "      name: Uitgebreide variant",
        "      abbreviation: UIT",
        "",
        "position:",
        f"  title: Standpunt synthetische interventie {number}",
        "  status: definitive",
        f"  date: {start_year + 4}-07-01",
        "  summary: >-",
        "    De interventie voldoet bij de genoemde indicaties aan de stand van de wetenschap en",
        "    praktijk, onder de voorwaarden hieronder.",
        "  conditions:",
        "    - id: volwassenen",
        "      text: De patiënt is 18 jaar of ouder.",
        "    - id: multidisciplinair",
        "      text: De indicatie is gesteld door een multidisciplinair team.",
        "",
        "indications:",
    ]
    for i, keys in enumerate(groups):
        ident = f"indicatie-{i + 1:02d}"
        first = start_year + rng.randrange(3)
        lines += [
            f"  - id: {ident}",
            f"    name: {rng.choice(_POPULATIONS).capitalize()} ({i + 1})",
            "    description: >-",
            f"      Patiënten met {rng.choice(_POPULATIONS)} bij wie de gebruikelijke zorg",
            "      onvoldoende effect heeft gehad.",
            "    variants: [standaard, uitgebreid]",
            "    pico:",
            f"      population: Volwassenen met {rng.choice(_POPULATIONS)}",
            f"      intervention: Synthetische interventie {number}",
            "      comparator: Gebruikelijke zorg",
            "      outcomes: [pijnintensiteit, functioneren, kwaliteit van leven]",
            "    conclusions:",
            f"      - id: {ident}-{first}",
            "        verdict: insufficient_evidence",
            f"        date: {first}-03-15",
            "        certainty: very_low",
            "        rationale: >-",
            "          Er waren destijds te weinig gecontroleerde studies om een conclusie te",
            "          trekken.",
            "        revision:",
            "          kind: revised",
            f"          date: {first + 3}-06-01",
            f"          replaced_by: {ident}-{first + 3}",
            "          reason: Nieuwe gerandomiseerde studies zijn verschenen.",
        ]
        if keys:
            evidence = ", ".join(keys)
            lines += [
                f"      - id: {ident}-{first + 3}",
                "        verdict: meets",
                f"        date: {first + 3}-06-01",
                f"        evidence: [{evidence}]",
                f"        certainty: {rng.choice(['high', 'moderate', 'low'])}",
                "        rationale: >-",
                "          Gerandomiseerde studies laten een klinisch relevant effect zien",
                f"          [@{keys[0]}].",
            ]
        else:
            lines += [
                f"      - id: {ident}-{first + 3}",
                "        verdict: pending",
                f"        date: {first + 3}-06-01",
            ]
        lines += [
            "    coverage:",
            "      - status: not_insured",
            f"        end: {first}-01-01",
            "      - status: conditional",
            f"        start: {first}-01-01",
            f"        end: {first + 3}-07-01",
            "        conditions: [volwassenen]",
            f"        study: Synthetische studie {number}-{i + 1}",
            "        centres:",
            "          count: 4",
            "      - status: insured",
            f"        start: {first + 3}-07-01",
            "        conditions: [volwassenen, multidisciplinair]",
            f"        basis: {ident}-{first + 3}",
        ]
    lines += [
        "",
        "letters:",
        "  - id: brief-beroepsgroep",
        "    audience: professional_body",
        "    recipient:",
        "      organisation: Synthetische Beroepsvereniging",
        "      attention: de voorzitter",
        "      salutation: Geachte voorzitter,",
        f"      address: [Postbus {100 + index}, 3500 AA Utrecht]",
        "    date: 2025-03-01",
        f"    subject: Synthetische interventie {number}",
        "    indications: [indicatie-01]",
        "    signatory:",
        "      name: A. Voorbeeld",
        "      role: Lid Raad van Bestuur",
        "    body_file: brief.md",
        "",
        "rules:",
        "  - id: garantie",
        "    label: Garantietermijn",
        "    value: 9",
        "    unit: jaar",
        "  - id: prestatiecode",
        "    label: Prestatiecode",
        f"    value: '{190000 + index}'",
        "",
        "glossary:",
        "  - term: STD",
        "    definition: Standaardvariant",
        "  - term: UIT",
        "    definition: Uitgebreide variant",
        "  - term: PICO",
        "    definition: Populatie, interventie, comparator en uitkomstmaten",
        f"  - term: {rng.choice(_REGIONS)}",
        "    definition: Regio van het synthetische behandelcentrum",
        "",
    ]
    return "\n".join(lines)


def _letter_body(cited: list[str]) -> str:
    citations = "; ".join(f"@{k}" for k in cited)
    return (
        "In uw brief vroeg u naar de onderbouwing van ons standpunt.\n\n"
        f"Het standpunt rust op gerandomiseerde studies [{citations}]. Wij zien op dit moment\n"
        "geen aanleiding om het te herzien.[^1]\n\n"
        "Wij vertrouwen erop u hiermee voldoende te hebben geïnformeerd.\n\n"
        "[^1]: Zie ook de bijlage bij deze brief.\n"
    )


# --- Retraction Watch CSV -----------------------------------------------------------------


def _rw_date(rng: random.Random, year: int) -> str:
    return f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{year} 0:00"


def _row(rng: random.Random, serial: int, doi: str, nature: str, year: int) -> list[str]:
    """One CSV row (without its Record ID, which is assigned after shuffling)."""
    authors = ";".join(
        f"{rng.choice(_INITIALS)}. {rng.choice(_SURNAMES)}" for _ in range(rng.randint(1, 6))
    )
    countries = ";".join(rng.sample(_COUNTRIES, rng.randint(1, 2))) + ";"
    reasons = "".join(f"+{r};" for r in rng.sample(_REASONS, rng.randint(1, 4)))
    title = f"Synthetic record {serial}: {rng.choice(_TOPICS)} in {rng.choice(_POPULATIONS)}"
    if rng.random() < 0.1:
        title += ', a "pilot" study'
    notice_doi = f"10.5555/rw-notice.{serial}" if rng.random() < 0.9 else "unavailable"
    notes = ""
    if rng.random() < 0.08:
        notes = f"See also: https://example.org/rw/notes/{serial}"
    return [
        "",
        title,
        "".join(rng.sample(_SUBJECTS, rng.randint(1, 3))),
        f"Department of Synthetic Medicine, Example University {serial % 97}, Springfield;",
        rng.choice(_JOURNALS),
        rng.choice(_PUBLISHERS),
        countries,
        authors,
        f"https://example.org/rw/{serial}" if rng.random() < 0.3 else "",
        rng.choice(_ARTICLE_TYPES),
        "",  # RetractionDate: set by the caller
        notice_doi,
        str(rng.randint(20_000_000, 39_999_999)) if rng.random() < 0.4 else "0",
        _rw_date(rng, year),
        doi,
        str(rng.randint(10_000_000, 38_000_000)) if rng.random() < 0.5 else "0",
        nature,
        reasons if nature != REINSTATEMENT else "+Upgrade/Update of Prior Notice(s);",
        rng.choice(("No", "No", "No", "Yes", "Unknown")),
        notes,
    ]


def _history(rng: random.Random, doi: str, natures: tuple[str, ...], year: int) -> list[list[str]]:
    """Rows for one corpus DOI published in ``year``, one per notice, in the scenario's order."""
    when = dt.date(year + 1, 1, 1)
    rows = []
    for k, nature in enumerate(natures):
        serial = int(doi.rsplit(".", 1)[1]) * 10 + k
        row = _row(rng, serial, _dress_doi(rng, doi, 0.1), nature, year)
        when += dt.timedelta(days=1 + rng.randrange(700))  # strictly after the previous one
        row[10] = f"{when.month}/{when.day}/{when.year} 0:00"
        rows.append(row)
    return rows


def _unrelated(rng: random.Random, serial: int) -> list[list[str]]:
    """Rows about papers outside the corpus (DOIs 10.5555/rw.*, or no usable DOI)."""
    roll = rng.random()
    if roll < 0.08:
        doi = "unavailable"
    elif roll < 0.1:
        doi = ""
    else:
        doi = rng.choice(
            (
                f"10.5555/rw.j.{2000 + serial % 25}.{serial:06d}",
                f"10.5555/rw-s{serial:05d}-{rng.randint(10, 99)}",
                f"10.5555/RW.PONE.{serial:07d}",
                f"https://doi.org/10.5555/rw.{serial}",
            )
        )
    nature = rng.choices(
        (RETRACTION, CORRECTION, CONCERN, REINSTATEMENT), (0.80, 0.10, 0.07, 0.03)
    )[0]
    year = 2000 + rng.randrange(24)
    row = _row(rng, 10_000_000 + serial, doi, nature, year)
    row[10] = _rw_date(rng, year + 1 + rng.randrange(3))
    rows = [row]
    if doi and doi != "unavailable" and rng.random() < 0.03:  # a second notice, same paper
        later = _row(rng, 20_000_000 + serial, doi, CORRECTION, year)
        later[10] = _rw_date(rng, year + 5)
        rows.append(later)
    return rows


def _write_csv(path: Path, rows: list[list[str]], rng: random.Random) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    first_id = 1000 + rng.randrange(1000)
    for offset, row in enumerate(rows):
        row[0] = str(first_id + offset)
        writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")
