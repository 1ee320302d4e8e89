"""YAML that remembers where every value came from, so errors can point at a line.

PyYAML's composer (libyaml when available) gives nodes with marks; we turn them into plain
Python values ourselves instead of using its constructor, because the constructor raises on
impossible dates and silently keeps the last of duplicate keys. Timestamps stay strings and
are validated by the model, which can say why a date is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tooling.diagnostics import Location

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing: the pure-Python loader works too
    _Loader = yaml.SafeLoader

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_PLAIN = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
_constructor = yaml.SafeLoader("")

PathKey = tuple[str | int, ...]


class YamlError(Exception):
    """The file is not usable YAML; carries the location of the problem."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


@dataclass
class SourceMap:
    """Positions of the values (and of mapping keys) of one YAML file, by their path."""

    path: str
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """Location of the deepest part of ``path`` that the file has.

        Parts the file does not have (pydantic adds union tags to its error paths) are
        skipped, so a path always resolves to the closest real place.
        """
        found: PathKey = ()
        best = (1, 1)
        for part in path:
            candidate = (*found, part)
            if candidate in self.values:
                found = candidate
                best = self.values[candidate]
        if key and found in self.keys and found == tuple(path):
            best = self.keys[found]
        return Location(self.path, best[0], best[1])


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 text file, turning every way it can fail into a YamlError with a place."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise YamlError("is a directory, expected a file", Location(display)) from None
    except OSError as exc:
        raise YamlError(f"cannot read file: {exc.strerror}", Location(display)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError(
            f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            Location(display, line, column),
        ) from None
    return text.removeprefix("\ufeff")


def load_yaml(text: str, display: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain values and a map of where each value stands."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        raise YamlError(
            f"invalid YAML: {problem}{context}", Location(display, line, column)
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", Location(display)) from None
    source = SourceMap(display)
    if node is None:
        return None, source
    return _convert(node, (), source), source


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(node: yaml.Node, path: PathKey, source: SourceMap) -> Any:
    source.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("mapping keys must be plain words", _location(source, key_node))
            key = key_node.value
            if key in result:
                first = source.keys[(*path, key)]
                raise YamlError(
                    f"duplicate key '{key}' (first at line {first[0]})",
                    _location(source, key_node),
                )
            source.keys[(*path, key)] = _mark(key_node)
            result[key] = _convert(value_node, (*path, key), source)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), source) for i, item in enumerate(node.value)]
    return _scalar(node, source)


def _scalar(node: yaml.Node, source: SourceMap) -> Any:
    tag = node.tag
    if tag in _PLAIN:
        return node.value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _constructor.construct_yaml_bool(node)
    if tag == _INT:
        return _constructor.construct_yaml_int(node)
    if tag == _FLOAT:
        return _constructor.construct_yaml_float(node)
    raise YamlError(f"unsupported YAML tag '{tag}'", _location(source, node))


def _location(source: SourceMap, node: yaml.Node) -> Location:
    line, column = _mark(node)
    return Location(source.path, line, column)
