"""Memory against input size: `dossier check` on one ever larger dossier.yaml.

A dossier with N indications (each with its PICO, a conclusion and a coverage period) is
checked in a fresh process; the peak resident memory above that of checking the smallest
one, divided by the YAML's size, is the multiple of the input the check needs. The target
(TARGET_MULTIPLE) is documented in docs/security.md ("Input size limits").

    .venv/bin/python bench/memory.py                  # 0.5, 1, 2 and 4 MB of YAML
    .venv/bin/python bench/memory.py --sizes 1 8      # in MB
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "base"
TARGET_MULTIPLE = 60  # peak MB above the baseline per MB of dossier.yaml
INDICATION = """\
  - id: pijn-{i}
    name: Fictieve pijn nummer {i}
    pico:
      population: Volwassenen met fictieve pijn nummer {i}, na eerdere behandelingen
      intervention: Stimulatie van de nervus exemplaris
      comparator: Gebruikelijke zorg
      outcomes: [Pijn, Kwaliteit van leven]
    conclusions:
      - id: pijn-{i}-2021
        verdict: meets
        date: 2021-11-30
        evidence: [jansen2020]
        rationale: Een verzonnen onderbouwing voor indicatie {i}, met wat meer tekst erbij.
    coverage:
      - status: insured
        start: 2022-01-01
        basis: pijn-{i}-2021
"""


def make_project(root: Path, megabytes: float) -> int:
    dossier = root / "dossiers" / "base"
    shutil.copytree(FIXTURE, dossier)
    text = (dossier / "dossier.yaml").read_text(encoding="utf-8")
    head, tail = text.split("indications:\n", 1)
    extra: list[str] = []
    size, i = len(text), 0
    while size < megabytes * 1_000_000:
        block = INDICATION.format(i=i)
        extra.append(block)
        size += len(block)
        i += 1
    yaml = head + "indications:\n" + "".join(extra) + tail
    (dossier / "dossier.yaml").write_text(yaml, encoding="utf-8")
    return len(yaml.encode("utf-8"))


def peak_mb(root: Path) -> tuple[float, float, int]:
    """Peak RSS (MB) and wall time of `dossier check` in a child process, and its exit code."""
    script = (
        "import resource, subprocess, sys\n"
        "code = subprocess.call([sys.executable, '-m', 'tooling', '--root', sys.argv[1], "
        "'check', '--quiet'], stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, str(root)], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    rss_kb, code = done.stdout.split()
    return int(rss_kb) / 1024, elapsed, int(code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.5, 1, 2, 4])
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        base_root = Path(tmp) / "base"
        shutil.copytree(FIXTURE, base_root / "dossiers" / "base")
        baseline, _, _ = peak_mb(base_root)
        print(f"baseline (the 3-indication fixture): {baseline:.0f} MB")
        for megabytes in args.sizes:
            root = Path(tmp) / f"m{megabytes}"
            size = make_project(root, megabytes)
            peak, seconds, code = peak_mb(root)
            multiple = (peak - baseline) / (size / 1e6)
            rows.append(multiple)
            print(
                f"{size / 1e6:6.2f} MB of YAML: peak {peak:6.0f} MB, "
                f"{multiple:5.0f} MB per MB above the baseline, {seconds:5.1f} s, exit {code}"
            )
    worst = max(rows)
    verdict = "within" if worst <= TARGET_MULTIPLE else "above"
    print(f"largest multiple {worst:.0f}: {verdict} the target ({TARGET_MULTIPLE})")
    return 0 if worst <= TARGET_MULTIPLE else 1


if __name__ == "__main__":
    sys.exit(main())
