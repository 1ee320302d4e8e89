"""Benchmark the letter PDF pipeline: pandoc -> Typst -> PDF, sequential and on 2 cores.

Run from the repository root::

    .venv/bin/python bench/pdf.py            # 100 letters, target 25 ms/letter
    .venv/bin/python bench/pdf.py --letters 20

"sequential" is ``render_pdf`` per letter (one pandoc process each, Typst in this process);
"2 workers" is ``render_many(jobs, workers=2)``, the call ``dossier build`` makes: cold,
so its time includes starting the worker processes and their pandoc. Each mode runs in a
fresh Python process so its figures are its own. For information, ``render_many`` is also
timed with 2 and 10 letters (a small project), and the two stages of a letter are timed
apart on one core ("stages"): pandoc converting it to Typst (the worker's pandoc) and Typst
compiling that to PDF. Half their sum is what a letter costs on two cores before any
overhead. Exits 1 when the 2-worker time per letter misses the target.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tooling import pdf as pdf_module  # noqa: E402
from tooling.pdf import render_many, render_pdf  # noqa: E402

TEMPLATE = ROOT / "templates" / "pdf" / "letter.typst"
TARGET_MS = 25.0
SMALL = (2, 10)

_SENTENCES = [
    "Wij hebben de wetenschappelijke literatuur opnieuw systematisch doorzocht.",
    "De effecten op pijnintensiteit en functioneren waren klein tot matig, maar consistent.",
    "De bewijskracht volgens GRADE is laag tot redelijk voor de cruciale uitkomstmaten.",
    "Patiënten met langdurige klachten hebben baat bij een interdisciplinaire aanpak.",
    "Wij zien op dit moment geen aanleiding om ons standpunt te herzien.",
    "De beroepsgroep heeft de afbakening van de doelgroep inmiddels aangepast.",
    "Nieuwe gerandomiseerde studies bevestigen het beeld uit de eerdere beoordeling.",
    "Wel vragen wij u om de uitkomsten van de behandeling systematisch te registreren.",
    "Daarmee kan de effectiviteit in de dagelijkse praktijk beter worden gevolgd.",
    "Wij betrekken uw opmerkingen bij de volgende herziening van het standpunt.",
]
_HEADINGS = ["Aanleiding", "Onze beoordeling", "Conclusie", "Vervolg", "Tot slot"]


def synthetic_letter(index: int) -> str:
    """Return a realistic ~1.5-page letter with footnotes; deterministic per index."""
    rng = random.Random(index)
    parts = [
        "---",
        "lang: nl",
        f'title: "Standpunt {index}"',
        'date: "2025-05-07"',
        'date_text: "7 mei 2025"',
        "sender: {name: Zorginstituut Nederland, address: [Postbus 320, 1110 AH Diemen],"
        " website: www.zorginstituutnederland.nl}",
        f"recipient: {{organisation: Vereniging {index}, attention: mevrouw A. Jansen,"
        " address: [Postbus 1, 1000 AA Amsterdam]}",
        "cc: [Patiëntenfederatie Nederland]",
        f'subject: "Beoordeling interventie {index}"',
        'their_letter: "uw brief van 24 april 2025"',
        f'reference: "2025-{index:05d}"',
        "signatory: {name: Dr. B. de Vries, role: Voorzitter Raad van Bestuur}",
        'closing: "Hoogachtend,"',
        "labels: {date: Datum, subject: Betreft, attention: T.a.v., cc: Cc,"
        " their_letter: Uw brief, reference: Ons kenmerk, page: Pagina, of: van}",
        "---",
        "",
        "Geachte mevrouw Jansen,",
        "",
    ]
    note = 0
    for heading in _HEADINGS:
        parts += [f"## {heading}", ""]
        for _ in range(rng.randint(1, 2)):
            sentences = rng.sample(_SENTENCES, k=rng.randint(3, 4))
            note += 1
            sentences[0] += f"[^{note}]"
            parts += [" ".join(sentences), ""]
    parts += [f"[^{n}]: Bron {n}, zie <https://example.org/bron/{n}>." for n in range(1, note + 1)]
    return "\n".join(parts) + "\n"


def _peak_rss_mib() -> tuple[float, float]:
    """Peak RSS of this process and of its largest waited-for child, in MiB (Linux KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def run_mode(mode: str, letters: int) -> dict[str, float]:
    """Render ``letters`` letters in ``mode`` ("seq" or "2w") and return the figures."""
    jobs = [(synthetic_letter(i), TEMPLATE) for i in range(letters)]
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu_before = sum(u.ru_utime + u.ru_stime for u in used)
    start = time.perf_counter()
    if mode == "seq":
        pdfs = [render_pdf(markdown, template=template) for markdown, template in jobs]
    else:
        pdfs = render_many(jobs, workers=2)
    elapsed = time.perf_counter() - start
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in used) - cpu_before
    own, child = _peak_rss_mib()
    pages = sum(len(re.findall(rb"/Type\s*/Page\b", pdf)) for pdf in pdfs) / len(pdfs)
    return {
        "ms_per_letter": elapsed / letters * 1000,
        "total_s": elapsed,
        "cpu_ms_per_letter": cpu / letters * 1000,
        "peak_self_mib": own,
        "peak_child_mib": child,
        "pages": pages,
    }


def _pandoc_cpu(markdown: list[str]) -> tuple[float, list[bytes]]:
    """CPU seconds of one converter pandoc that converts ``markdown``, start to exit."""
    before = os.times()
    with pdf_module._Converter() as converter:
        sources = [converter.to_typst(text, TEMPLATE) for text in markdown]
    after = os.times()  # a child's CPU time is counted once it has exited
    cpu = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    return cpu, sources


def run_stages(letters: int) -> dict[str, float]:
    """CPU time per letter of each stage on one core: pandoc (as a worker keeps it), Typst.

    pandoc's is the difference between a pandoc that converts one letter more than the
    others and one that converts only that letter, so its start is left out.
    """
    markdown = [synthetic_letter(i) for i in range(letters + 1)]
    started, _ = _pandoc_cpu(markdown[:1])
    total, sources = _pandoc_cpu(markdown)
    compile_one = functools.partial(
        pdf_module._typst_compile, root=TEMPLATE.parent.resolve(), epoch=0, template=TEMPLATE
    )
    compile_one(sources[0])  # fonts loaded, as after a worker's first letter
    start = time.process_time()
    for source in sources[1:]:
        compile_one(source)
    typst = time.process_time() - start
    return {
        "pandoc_ms": (total - started) / letters * 1000,
        "typst_ms": typst / letters * 1000,
    }


def main() -> int:
    """Run both modes in fresh processes, print a table, and check the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=100)
    parser.add_argument("--mode", choices=["seq", "2w", "stages"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    load = os.getloadavg()
    if args.mode:  # child: measure one mode, report as JSON
        figures = run_stages(args.letters) if args.mode == "stages" else None
        print(json.dumps(figures or run_mode(args.mode, args.letters)))
        return 0
    rows = {}
    runs = [("seq", args.letters), ("2w", args.letters)] + [("2w", n) for n in SMALL]
    runs.append(("stages", args.letters))
    for mode, letters in runs:
        out = subprocess.run(
            [sys.executable, __file__, "--mode", mode, "--letters", str(letters)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rows[mode if letters == args.letters or mode == "stages" else f"{mode}-{letters}"] = (
            json.loads(out.strip().splitlines()[-1])
        )
    print(
        f"{args.letters} letters, {rows['seq']['pages']:.1f} pages each, template {TEMPLATE.name}"
    )
    print(
        f"{'mode':<14}{'ms/letter':>10}{'total s':>9}{'CPU ms/letter':>15}"
        f"{'peak RSS self':>15}{'peak RSS child':>16}"
    )
    labels = [("seq", "sequential"), ("2w", "2 workers")]
    labels += [(f"2w-{n}", f"  {n} letters") for n in SMALL if n != args.letters]
    for mode, label in labels:
        r = rows[mode]
        print(
            f"{label:<14}{r['ms_per_letter']:>10.1f}{r['total_s']:>9.2f}"
            f"{r['cpu_ms_per_letter']:>15.1f}"
            f"{r['peak_self_mib']:>12.0f} MiB{r['peak_child_mib']:>13.0f} MiB"
        )
    print("peak RSS self = ru_maxrss of the measuring process (Python + in-process Typst);")
    print("peak RSS child = ru_maxrss of its largest child (a pandoc run, a worker process or")
    print("a worker's pandoc); 'n letters' = 2 workers on a small project, for information.")
    stages = rows["stages"]
    print(
        f"stages, one core: pandoc {stages['pandoc_ms']:.1f} + Typst {stages['typst_ms']:.1f}"
        f" = {stages['pandoc_ms'] + stages['typst_ms']:.1f} ms CPU/letter;"
        f" half of it, the least 2 workers can take: "
        f"{(stages['pandoc_ms'] + stages['typst_ms']) / 2:.1f} ms/letter"
    )
    print("CPU ms/letter = CPU time of the measuring process and all its children, per letter:")
    print("on a busy machine the wall times grow, this much less.")
    print(f"load average before: {load[0]:.2f}, after: {os.getloadavg()[0]:.2f}")
    figure = rows["2w"]["ms_per_letter"]
    verdict = "OK" if figure <= TARGET_MS else "MISSED"
    print(f"target: <= {TARGET_MS:.0f} ms/letter with 2 workers: {figure:.1f} ms -> {verdict}")
    return 0 if figure <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
