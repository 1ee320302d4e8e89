"""Each rendered document read back against its seed (../shared/seeds): it says what the source
says, and nothing the source does not say.

The expectations below were typed by reading the seeds, not copied from the toolkit's output:
every enumerated item (indications with their qualifiers, conditions, dates, deadlines,
numbers, codes, names) must appear in the document's PDF text (and its DOCX), and what no
source gives must not (placeholders, another body's name as issuer, invented dates).
Comparison ignores case, whitespace, hyphenation and soft hyphens (typst breaks lines).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

NEURO = "neuromodulatie-chronische-pijn"
IMSR = "imsr-chronische-pijn"
LOW_BACK = "injectie-denervatie-lage-rug"
FAQ = "neuro-pain-faq"


def squash(text: str) -> str:
    return re.sub(r"[\s\-\u00ad\u2010\u2011\u2019']+", "", text).lower()


def pdf(site: Path, slug: str, ident: str) -> tuple[str, dict[str, str]]:
    reader = PdfReader(io.BytesIO((site / "documenten" / slug / f"{ident}.pdf").read_bytes()))
    text = squash("".join(page.extract_text() for page in reader.pages))
    return text, {str(k): str(v) for k, v in (reader.metadata or {}).items()}


def docx(site: Path, slug: str, ident: str) -> tuple[str, str]:
    with zipfile.ZipFile(site / "documenten" / slug / f"{ident}.docx") as archive:
        names = set(archive.namelist())
        body = "".join(
            archive.read(part).decode("utf-8")
            for part in ("word/document.xml", "word/footnotes.xml")  # footnotes live apart
            if part in names
        )
        core = archive.read("docProps/core.xml").decode("utf-8")
    return squash(re.sub(r"<[^>]+>", "", body).replace("&amp;", "&")), core


def assert_says(text: str, items: list[str], where: str) -> None:
    missing = [item for item in items if squash(item) not in text]
    assert not missing, f"{where} leaves out: {missing}"


NOTHING_INVENTED = ["placeholder", "titel niet in de bron"]


# -- seed 000: the neuromodulation position ----------------------------------------------------

POSITION_ITEMS = [
    "Ingangsdatum",
    "12 november 2019",
    "2 september 2020",
    "pagina 264",
    "tabel 3",
    # reimbursed: each indication with the words that bound it, and its techniques
    "failed back surgery syndroom (FBSS) met aanhoudende radiculaire (uitstralende) beenpijn "
    "na een rugoperatie",
    "failed neck surgery syndroom (FNSS) met aanhoudende radiculaire (uitstralende) armpijn "
    "na een nekoperatie",
    "complex regionaal pijnsyndroom (CRPS, verstoring van weefsel na een ongeluk of operatie) "
    "met voet- of beenpijn",
    "SCS en DRGS",
    "complex regionaal pijnsyndroom anders dan",
    "pijnlijke diabetische neuropathie (PDN, zenuwpijn door suikerziekte) en "
    "dunnevezelneuropathie (ziekte waarbij dunne zenuwvezels zijn aangedaan",
    # the conditions
    "protocol is gevolgd voor de indicatiestelling en de behandeling",
    "volwassen",
    "ernstige pijn",
    "proefbehandeling",
    "multidisciplinair teamverband",
    # not reimbursed
    "postherpetische neuralgie",
    "aanhoudende zenuwpijn tijdens of na gordelroos",
    "neuropathische pijn door letsel",
    "knooppunt van zenuwen boven het sleutelbeen",
    "refractaire angina pectoris",
    "zwaar gevoel of pijn op de borst door onvoldoende bloedtoevoer naar de hartspier",
    "perifeer arterieel vaatlijden",
    "etalagebenen",
    # the transitional arrangement
    "al een neuromodulatie-systeem hebben",
    "zolang zij een positief effect van het systeem ervaren",
    # the superseded positions: from 2007, titles not given
    "2007",
    "titel niet vermeld in de bron",
    "Zorginstituut Nederland",
]


def test_position_says_what_seed_000_says(built_site: Path) -> None:
    text, meta = pdf(built_site, NEURO, "standpunt")
    assert_says(text, POSITION_ITEMS, "the position PDF")
    docx_text, core = docx(built_site, NEURO, "standpunt")
    assert_says(docx_text, POSITION_ITEMS, "the position DOCX")
    for invented in NOTHING_INVENTED:
        assert squash(invented) not in text and squash(invented) not in docx_text
    # The position does not cite itself as its own evidence; it says the source is silent.
    assert squash("Standpunt Neuromodulatie bij chronische pijn. 2019") not in text
    assert squash("noemen de beoordeelde studies niet") in text
    assert meta.get("/Author") == "Zorginstituut Nederland"
    # The web text gives the effective date, not a publication date: no date in the properties.
    assert "/CreationDate" not in meta
    assert "dcterms:created" not in core


# -- seed 001: the 2019 letter to parliament ---------------------------------------------------

LETTER_2019_ITEMS = [
    "AO Pakketbeheer",
    "26 juni",
    "Raemakers",
    "(D66)",
    "acht verschillende indicaties",
    "failed back surgery syndroom (FBSS)",
    "failed neck surgery syndroom (FNSS)",
    "complex regionaal pijnsyndroom (CRPS)",
    "pijnlijke diabetische neuropathie (PDN)",
    "postherpetische neuralgie (PHN)",
    "perifere neuropathische pijn door letsel, waaronder plexus laesie",
    "refractaire angina pectoris",
    "perifeer arterieel vaatlijden",
    "ischemische pijn",
    "beoordeling-stand-van-de-wetenschap-en-praktijk",
    "Pijnpatiënten naar één stem",
    "Patiëntenvereniging voor neuromodulatie",
    "Diabetes vereniging",
    "Reumazorg Nederland",
    "september",
    "De Minister voor Medische Zorg",
    "B.J. Bruins",
]


def test_letter_to_parliament_says_what_seed_001_says(built_site: Path) -> None:
    text, meta = pdf(built_site, NEURO, "brief-tweede-kamer-2019")
    assert_says(text, LETTER_2019_ITEMS, "the 2019 letter PDF")
    docx_text, core = docx(built_site, NEURO, "brief-tweede-kamer-2019")
    assert_says(docx_text, LETTER_2019_ITEMS, "the 2019 letter DOCX")
    # The letter names PDN alone (the position later decides on it together with
    # dunnevezelneuropathie); the source has no subject line and no day.
    assert squash("dunnevezelneuropathie") not in text
    assert squash("Betreft") not in text and squash("Betreft") not in docx_text
    assert "/CreationDate" not in meta and "dcterms:created" not in core


# -- seed 002: the anaesthesiologists' leaflet -------------------------------------------------

LEAFLET_ITEMS = [
    "Nederlandse Vereniging voor Anesthesiologie",
    "Injectie- en denervatietechnieken bij lage rugklachten niet meer vergoed",
    "80 %",
    "mechanische oorzaak",
    "facetgewrichten",
    "Sacro-Iliacaal",
    "tussenwervelschijf",
    "sinds 1 januari 2012 niet meer vergoed",
    "vanaf 1 januari 2014 niet meer vergoed",
    "College voor Zorgverzekeringen",
    "Vanaf 2012 is gestart",
    "16 ziekenhuizen",
    "tot 1 januari 2016",
    "Minister van VWS",
    "machtiging",
    "6 weken",  # "binnen zes weken", "termijn van zes weken": the rule's value, as a number
    "www.anesthesiologie.nl/patienteninformatie",
    "pijnpatienten@anesthesiologie.nl",
    "20063",
    "3502 LB Utrecht",
]


def test_leaflet_says_what_seed_002_says_under_its_own_issuer(built_site: Path) -> None:
    text, meta = pdf(built_site, LOW_BACK, "folder-lage-rugklachten")
    assert_says(text, LEAFLET_ITEMS, "the leaflet PDF")
    docx_text, core = docx(built_site, LOW_BACK, "folder-lage-rugklachten")
    assert_says(docx_text, LEAFLET_ITEMS, "the leaflet DOCX")
    # The leaflet is the NVA's, not the Zorginstituut's: letterhead, footer and metadata.
    assert squash("Zorginstituut Nederland") not in text
    assert meta.get("/Author") == "Nederlandse Vereniging voor Anesthesiologie"
    assert "Daarna is gestart" not in text
    # Undated in the source: no date in the properties (no 1980-01-01, no invented day).
    assert "/CreationDate" not in meta and "dcterms:created" not in core


# -- seed 003: the Neuro-Pain FAQ --------------------------------------------------------------

FAQ_ITEMS = [
    "6 maanden",
    "3,5 V",
    "4,7 mA",
    "B-§02",
    "B-§15",
    "9 jaar",
    "24 maanden",
    "151152-151163",
    "151174-151185",
    "Garantiestatus",
    "Binnen de garantieperiode",
    "Zonder garantieperiode",
    "NAO",
    "adviserend arts",
]


def test_faq_says_what_seed_003_says(built_site: Path) -> None:
    text, _ = pdf(built_site, FAQ, "faq-neuro-pain")
    assert_says(text, FAQ_ITEMS, "the FAQ PDF")
    for invented in NOTHING_INVENTED:
        assert squash(invented) not in text


# -- seed 004: the IMSR letter -----------------------------------------------------------------

IMSR_ITEMS = [
    "Nederlandse Vereniging van Revalidatieartsen",
    "T.a.v. mevrouw P. Goossens",
    "Revalidatie Nederland",
    "7 mei 2025",
    "IMSR bij chronische pijn",
    "24 april 2025",
    "7 april",
    "27 januari",
    "14 mei",
    "vrijdag 16 mei",
    "ECLI:NL:RBAMS:2014:7727",
    "ECLI:NL:HR:2018:469",
    "12 december 2023",
    "30 september 2020",
    "Hoogachtend",
    "K.C. Timm-van Ruitenburg",
    "Lid Raad van Bestuur",
]


def test_imsr_letter_says_what_seed_004_says(built_site: Path) -> None:
    text, meta = pdf(built_site, IMSR, "brief-vra-2025-05-07")
    assert_says(text, IMSR_ITEMS, "the IMSR letter PDF")
    docx_text, _ = docx(built_site, IMSR, "brief-vra-2025-05-07")
    assert_says(docx_text, IMSR_ITEMS, "the IMSR letter DOCX")
    # A letter known to the day carries its own date in its properties.
    assert meta.get("/CreationDate", "").startswith("D:20250507")
    for invented in NOTHING_INVENTED:
        assert squash(invented) not in text


@pytest.mark.parametrize("slug", [NEURO, IMSR, LOW_BACK, FAQ])
def test_no_document_prints_a_placeholder(built_site: Path, slug: str) -> None:
    for path in (built_site / "documenten" / slug).glob("*.pdf"):
        text = squash(
            "".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
        )
        assert "placeholder" not in text, path.name
