"""Toolkit for writing, checking and publishing health-technology assessment dossiers."""

__version__ = "0.1.0"
