"""A real-size Retraction Watch snapshot, in the live export's exact shape, from a seed.

Crossref's daily CSV (``retraction_watch.csv``) had about 70,000 rows and 67 MB in 2026. Its
header and every row end with a comma (an empty 21st column: ``...,Paywalled,Notes,``),
dates read ``3/9/2026 0:00``, multi-valued cells end with ``;`` and reasons start with
``+``. This module writes a file of that shape and size for benchmarks. Every record is
invented and says so ("Synthetic ..."); every DOI uses the reserved test prefix ``10.5555/``,
so nothing here can be mistaken for a bibliographic fact.

    from rwsnapshot import write_snapshot
    write_snapshot(Path("/tmp/rw.csv"), rows=70_000, target_bytes=67_000_000, seed=1)
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

COLUMNS = (
    "Record ID", "Title", "Subject", "Institution", "Journal", "Publisher", "Country", "Author",
    "URLS", "ArticleType", "RetractionDate", "RetractionDOI", "RetractionPubMedID",
    "OriginalPaperDate", "OriginalPaperDOI", "OriginalPaperPubMedID", "RetractionNature",
    "Reason", "Paywalled", "Notes",
)  # fmt: skip

_WORDS = (
    "synthetic", "invented", "placeholder", "outcome", "cohort", "randomised", "pain",
    "stimulation", "nerve", "chronic", "trial", "analysis", "patients", "effect", "model",
    "tissue", "response", "signal", "network", "therapy", "exposure", "marker", "assessment",
)  # fmt: skip
_SUBJECTS = (
    "(HSC) Medicine - Oncology;", "(BLS) Biology - Cellular;", "(PHY) Engineering - Electrical;",
    "(HSC) Medicine - Neurology;", "(SOC) Psychology;", "(BLS) Biochemistry;",
    "(HSC) Medicine - Cardiology;", "(ENV) Environmental Sciences;",
)  # fmt: skip
# Names with letters beyond ASCII, as real author lists have them (invented, no real person).
_GIVEN = ("Anna", "Zoë", "José", "Søren", "Łukasz", "Chloé", "Jürgen", "Ines", "Çağla", "Bram")
_NATURES = (("Retraction", 0.80), ("Correction", 0.10), ("Expression of concern", 0.07))
_REASONS = (
    "+Concerns/Issues About Data;", "+Duplication of Image;", "+Paper Mill;",
    "+Investigation by Journal/Publisher;", "+Fake Peer Review;", "+Error in Analyses;",
    "+Plagiarism of Article;", "+Unreliable Results;", "+Notice - Limited or No Information;",
    "+Euphemisms for Plagiarism;", "+Computer-Aided Content or Computer-Generated Content;",
)  # fmt: skip


def _date(rng: random.Random, year: int) -> str:
    return f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{year} 0:00"


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(count))


def synthetic_row(rng: random.Random, serial: int, padding: int) -> list[str]:
    """One invented record (20 cells); ``padding`` words of institution text set its length."""
    roll = rng.random()
    doi = "unavailable" if roll < 0.06 else f"10.5555/rw-synthetic.{serial:07d}"
    nature = rng.choices([n for n, _ in _NATURES], [w for _, w in _NATURES])[0]
    year = 1995 + rng.randrange(31)
    institutions = ";".join(
        f"Department of Synthetic {_words(rng, 2).title()}, Example University {serial % 997}, "
        f"{_words(rng, max(1, padding // 4))}"
        for _ in range(4)
    )
    authors = ";".join(
        f"{rng.choice(_GIVEN)} Synthetic-{rng.randrange(10**5)}" for _ in range(rng.randint(2, 9))
    )
    return [
        str(serial),
        f"Synthetic record {serial}: {_words(rng, rng.randint(8, 16))}",
        "".join(rng.sample(_SUBJECTS, rng.randint(1, 3))),
        institutions + ";",
        f"Journal of Synthetic {_words(rng, 2).title()}",
        "Synthetic Publisher",
        "Netherlands;" if rng.random() < 0.5 else "Unknown;",
        authors,
        f"https://example.org/rw/{serial};https://example.org/rw/notice/{serial}",
        "Research Article;",
        _date(rng, min(2026, year + 1 + rng.randrange(4))),
        f"10.5555/rw-synthetic.notice.{serial:07d}" if rng.random() < 0.9 else "unavailable",
        str(rng.randint(20_000_000, 39_999_999)) if rng.random() < 0.4 else "0",
        _date(rng, year),
        doi,
        str(rng.randint(10_000_000, 38_000_000)) if rng.random() < 0.5 else "0",
        nature,
        "".join(rng.sample(_REASONS, rng.randint(1, 4))),
        rng.choice(("No", "No", "Yes", "Unknown")),
        f"Synthetic note {serial}: {_words(rng, 12)}" if rng.random() < 0.3 else "",
    ]


def write_snapshot(
    path: Path,
    *,
    rows: int = 70_000,
    target_bytes: int = 67_000_000,
    seed: int = 1,
    extra: Iterable[Sequence[str]] = (),
    bad_bytes: int = 2,
) -> int:
    """Write a snapshot in the live export's shape; returns its size in bytes.

    Args:
        path: Where to write it (plain CSV, UTF-8, LF line ends as the export has them).
        rows: Invented records to write, before ``extra``.
        target_bytes: The size to aim for; the institution cells are padded to reach it.
        seed: The same seed writes the same bytes.
        extra: Further rows (20 cells each), appended as given (records of the project's
            own fictitious references, for a report with something in it).
        bad_bytes: Invalid UTF-8 bytes put into Notes cells, as the daily file has had.
    """
    rng = random.Random(seed)

    def row_size(padding: int) -> float:
        sample = io.StringIO()
        probe = csv.writer(sample, lineterminator="\n")
        for serial in range(300):
            probe.writerow([*synthetic_row(random.Random(serial), serial, padding), ""])
        return len(sample.getvalue().encode("utf-8")) / 300

    # Institution cells grow by about one word in four padding steps: find the step.
    wanted = target_bytes / max(rows, 1)
    low, high = row_size(4), row_size(400)
    padding = max(1, round(4 + (wanted - low) * (400 - 4) / max(high - low, 1.0)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, ""])
    for serial in range(1, rows + 1):
        writer.writerow([*synthetic_row(rng, 100_000 + serial, padding), ""])
    for row in extra:
        writer.writerow([*row, ""])
    data = buffer.getvalue().encode("utf-8")
    # Invalid bytes inside a Notes cell of some rows: a lone continuation byte, as reported.
    for k in range(bad_bytes):
        marker = b"Synthetic note "
        at = data.find(marker, len(data) * (k + 1) // (bad_bytes + 1))
        if at >= 0:
            data = data[:at] + b"\x9d" + data[at:]
    path.write_bytes(data)
    return len(data)
