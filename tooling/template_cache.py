"""Compiled Jinja templates kept in the project's cache folder, for any environment.

Compiling a template costs far more than loading its compiled code: the toolkit's document
and page templates take about 0.25 s a process to compile, Material's forty-odd about a third
of a second a site build. Jinja's file cache keys compiled code by the template's name and
checks its source; `BytecodeCache` adds the environment's settings to the key, since code
compiled for other settings (autoescape, trimming, another Jinja) must not be loaded. A cache
that fails (a full disk, a read-only checkout) is no cache: the template is compiled again.

A leaf module (Jinja only), so that the MkDocs side can use it without loading the toolkit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
import jinja2.bccache


class BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache in ``directory``, keyed also by ``settings`` (a text)."""

    def __init__(self, directory: Path, settings: str) -> None:
        super().__init__(str(directory))
        self._folder = directory
        self._suffix = hashlib.sha256(
            f"{settings}|jinja {jinja2.__version__}".encode()
        ).hexdigest()[:16]

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return f"{super().get_cache_key(name, filename)}-{self._suffix}"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def settings_of(env: jinja2.Environment) -> str:
    """The settings of ``env`` that change the code its templates compile to."""
    autoescape = env.autoescape
    return repr(
        (
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            env.optimized,
            autoescape if isinstance(autoescape, bool) else getattr(autoescape, "__qualname__", ""),
            tuple(sorted(env.extensions)),
        )
    )


def cache_compiled_templates(env: jinja2.Environment, directory: Path, *versions: str) -> None:
    """Keep ``env``'s compiled templates in ``directory`` (``versions``: of what made them).

    Used for the site theme's environment, which MkDocs creates for every build:
    ``versions`` are MkDocs' and the theme's, whose templates change with them.
    """
    env.bytecode_cache = BytecodeCache(directory, f"{settings_of(env)}|{versions!r}")
