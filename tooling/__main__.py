"""Allow `python -m tooling`."""

from tooling.cli import run

run()
