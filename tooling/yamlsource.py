"""YAML that remembers where every value came from, so errors can point at a line.

PyYAML's composer (libyaml when available) gives nodes with marks; we turn them into plain
Python values ourselves instead of using its constructor, because the constructor raises on
impossible dates and silently keeps the last of duplicate keys. Timestamps stay strings and
are validated by the model, which can say why a date is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tooling.diagnostics import Location

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences a YAML file may have.

A dossier nests about eight levels (indications > conclusions > evidence > ...). Without a
limit, a file nested a thousand levels deep exhausts Python's recursion while it is
converted. (libyaml itself refuses more than 1,000 levels, before anything recursive runs.)
"""

MAX_FILE_BYTES = 10_000_000
"""Largest file (dossier.yaml, a prose Markdown file, references.bib) read, in bytes.

A large dossier is about 100 kB. Parsed YAML takes some forty times its size in memory (a
50 MB file took 2.1 GB), so a file over 10 MB is refused before it is parsed.
"""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_PLAIN = {_STR, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
_constructor = yaml.SafeLoader("")

try:
    _BaseLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing: the pure-Python loader works too
    _BaseLoader = yaml.SafeLoader

# The tag of a plain scalar depends on its text alone (the safe loader has no path
# resolvers), and dossiers repeat the same keys and words thousands of times: remember them.
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 100_000
_RESOLVER = yaml.resolver.Resolver()


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, with tag resolution left to `_convert`.

    The composer asks ``resolve(kind, value, implicit)`` for every node without an explicit
    tag, and calls ``descend_resolver`` / ``ascend_resolver`` around every node: three
    Python calls per node, a sixth of a check's time. Here they are C builtins that only
    keep their arguments: a node's tag becomes ``slice(kind, value, implicit)``, and
    `_convert` resolves it, exactly as the safe loader would, with a memo.
    """

    resolve = slice
    descend_resolver = slice
    ascend_resolver = tuple


assert not _BaseLoader.yaml_path_resolvers, "resolving in _convert assumes no path resolvers"


def _resolve_plain(value: str) -> str:
    """The tag the safe loader gives a plain scalar with this text (bool, int, null...)."""
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.clear()
        _RESOLVED[value] = tag
    return tag


PathKey = tuple[str | int, ...]


class YamlError(Exception):
    """The file is not usable YAML; carries the location of the problem."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


# Where the values of a file stand, as a tree shaped like them. The root is (line, column,
# kids); kids are None for a scalar, ("map", keys, positions, kids of each value) for a
# mapping, with four numbers per key in positions (key line, key column, value line, value
# column), and ("seq", positions, kids of each item) for a sequence, with two per item.
# Flat tuples of numbers keep a dossier's 600-odd positions in a third of the memory that a
# dict keyed by path tuples takes, and are quicker to build.
Kids = tuple[Any, ...] | None
Tree = tuple[int, int, Kids]

# Line and column numbers repeat across thousands of positions; share one int object each.
_NUMBERS = list(range(1 << 16))
_LIMIT = len(_NUMBERS)


class SourceMap:
    """Positions of the values (and of mapping keys) of one YAML file, by their path.

    ``values`` and ``keys`` map a path to its (line, column). `load_yaml` records positions
    as a compact tree instead (a third of the memory, no path tuples to build) and `locate`
    walks it; ``values`` and ``keys`` are computed from it when asked for.
    """

    __slots__ = ("_keys", "_text", "_tree", "_values", "path")

    def __init__(
        self,
        path: str,
        values: dict[PathKey, tuple[int, int]] | None = None,
        keys: dict[PathKey, tuple[int, int]] | None = None,
        *,
        tree: Tree | None = None,
        text: str | None = None,
    ) -> None:
        self.path = path
        self._tree = tree
        self._text = text  # the file's text, for positions inside string values
        if tree is None:
            values = {} if values is None else values
            keys = {} if keys is None else keys
        self._values = values
        self._keys = keys

    @property
    def values(self) -> dict[PathKey, tuple[int, int]]:
        if self._values is None:
            self._flatten()
        assert self._values is not None
        return self._values

    @property
    def keys(self) -> dict[PathKey, tuple[int, int]]:
        if self._keys is None:
            self._flatten()
        assert self._keys is not None
        return self._keys

    def _flatten(self) -> None:
        values: dict[PathKey, tuple[int, int]] = {}
        keys: dict[PathKey, tuple[int, int]] = {}
        if self._tree is not None:
            line, column, kids = self._tree
            values[()] = (line, column)
            _flatten(kids, (), values, keys)
        self._values, self._keys = values, keys

    def __getstate__(self) -> tuple[str, object, object, object, object]:
        if self._tree is not None:  # the flat maps are derived; leave them out
            return (self.path, None, None, self._tree, self._text)
        return (self.path, self._values, self._keys, None, self._text)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        self.path, self._values, self._keys, self._tree = state[:4]  # type: ignore[assignment]
        self._text = state[4] if len(state) > 4 else None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceMap):
            return NotImplemented
        return (self.path, self.values, self.keys) == (other.path, other.values, other.keys)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SourceMap(path={self.path!r})"

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """Location of the deepest part of ``path`` that the file has.

        Parts the file does not have (pydantic adds union tags to its error paths) are
        skipped, so a path always resolves to the closest real place.
        """
        if self._tree is None:
            return self._locate_flat(path, key=key)
        kids = self._tree[2]
        best = key_best = (1, 1)
        matched = 0
        in_mapping = False
        for part in path:
            if kids is None:
                continue
            if kids[0] == "map":
                _, names, positions, subs = kids
                if part not in names:
                    continue
                i = names.index(part)
                key_best = (positions[4 * i], positions[4 * i + 1])
                best = (positions[4 * i + 2], positions[4 * i + 3])
                in_mapping = True
            else:
                _, positions, subs = kids
                if not (isinstance(part, int) and 0 <= part < len(subs)):
                    continue
                i = part
                best = (positions[2 * i], positions[2 * i + 1])
                in_mapping = False
            kids = subs[i]
            matched += 1
        if key and matched == len(path) and in_mapping:
            best = key_best
        return Location(self.path, best[0], best[1])

    def locate_in_value(self, path: Sequence[str | int], line: int, column: int) -> Location:
        """Where a place inside a string value's text stands in the file.

        Prose in dossier.yaml is a string value; an error in it is found at a (line, column)
        of the string's text. For a ``|`` or ``>`` block scalar the text starts on the line
        after the indicator, at the block's indentation; a plain or quoted scalar starts at
        its first character (after the quote), and folded lines, escapes and indentation
        are followed to the character in the file.

        Args:
            path: The value's path, as for `locate`.
            line: 1-based line in the value's text (0: unknown, the value's own place).
            column: 1-based column in that line (0: unknown, the line's first character,
                reported with column 0).

        Returns:
            The position in the file; the value's own position (`locate`) when the place
            cannot be followed (no text kept, not a string, beyond its end).
        """
        start = self.locate(path)
        if self._text is None or line < 1 or start.line < 1:
            return start
        found = _scalar_token(self._text, start.line, start.column)
        if found is None:
            return start
        lines = found.value.split("\n")
        if line > len(lines):
            return start
        offset = sum(len(text) + 1 for text in lines[: line - 1])
        offset += min(max(column, 1), len(lines[line - 1]) + 1) - 1
        index = _source_index(self._text, found, offset)
        if index is None:
            return start
        file_line = self._text.count("\n", 0, index) + 1
        file_column = index - (self._text.rfind("\n", 0, index) + 1) + 1
        return Location(self.path, file_line, file_column if column else 0)

    def _locate_flat(self, path: Sequence[str | int], *, key: bool) -> Location:
        values = self.values
        found: PathKey = ()
        best = (1, 1)
        for part in path:
            candidate = (*found, part)
            if candidate in values:
                found = candidate
                best = values[candidate]
        if key and found in self.keys and found == tuple(path):
            best = self.keys[found]
        return Location(self.path, best[0], best[1])


def _flatten(
    kids: Kids,
    path: PathKey,
    values: dict[PathKey, tuple[int, int]],
    keys: dict[PathKey, tuple[int, int]],
) -> None:
    """Record the positions of the children described by ``kids`` under ``path``."""
    if kids is None:
        return
    if kids[0] == "map":
        _, names, positions, subs = kids
        for i, name in enumerate(names):
            child = (*path, name)
            keys[child] = (positions[4 * i], positions[4 * i + 1])
            values[child] = (positions[4 * i + 2], positions[4 * i + 3])
            _flatten(subs[i], child, values, keys)
    else:
        _, positions, subs = kids
        for i, sub in enumerate(subs):
            child = (*path, i)
            values[child] = (positions[2 * i], positions[2 * i + 1])
            _flatten(sub, child, values, keys)


def read_text(path: Path, display: str, *, limit: int = MAX_FILE_BYTES) -> str:
    """Read a UTF-8 text file, turning every way it can fail into a YamlError with a place.

    Args:
        path: The file.
        display: Its name as messages show it.
        limit: The largest size accepted, in bytes (`MAX_FILE_BYTES`).

    Raises:
        YamlError: The file cannot be read, is larger than ``limit`` or is not UTF-8.
    """
    try:
        with path.open("rb") as file:
            raw = file.read(limit + 1)  # no more than one byte past the limit is read
    except IsADirectoryError:
        raise YamlError("is a directory, expected a file", Location(display)) from None
    except OSError as exc:
        raise YamlError(f"cannot read file: {exc.strerror}", Location(display)) from None
    if len(raw) > limit:
        raise YamlError(_too_large(limit, "bytes"), Location(display)) from None
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


def _too_large(limit: int, unit: str) -> str:
    return (
        f"is larger than {limit:,} {unit}; a dossier file may be at most "
        f"{MAX_FILE_BYTES // 1_000_000} MB (split long prose into Markdown files? "
        "see docs/security.md)"
    )


def load_yaml(text: str, display: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain values and a map of where each value stands.

    Raises:
        YamlError: The text is not valid YAML, is longer than `MAX_FILE_BYTES` characters,
            nests deeper than `MAX_DEPTH`, has looping or exploding aliases, duplicate keys
            or values of an unsupported type; with the place of the problem.
    """
    if len(text) > MAX_FILE_BYTES:
        raise YamlError(_too_large(MAX_FILE_BYTES, "characters"), Location(display))
    try:
        node = yaml.compose(text, Loader=_Loader)
    except RecursionError:  # pragma: no cover - only PyYAML's pure-Python composer recurses
        raise YamlError(_too_deep(), _deep_location(text, display)) from None
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own limit (1,000)
            # libyaml scans flow collections ahead before it gives events; the text up to
            # where it gave up has fewer than 1,000 levels and all that are needed.
            mark = exc.problem_mark
            end = _index(text, mark.line, mark.column) if mark else len(text)
            raise YamlError(_too_deep(), _deep_location(text[:end], display)) from None
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        raise YamlError(
            f"invalid YAML: {problem}{context}", Location(display, line, column)
        ) from None
    except yaml.reader.ReaderError as exc:
        raise YamlError(f"invalid YAML: {exc.reason}", _first_unprintable(text, display)) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", Location(display)) from None
    if node is None:
        return None, SourceMap(display)
    if "&" in text:  # anchors: aliases may loop or multiply the document
        _check_aliases(node, display)
    value, line, column, kids = _convert(node, display)
    return value, SourceMap(display, tree=(line, column, kids), text=text)


def _index(text: str, line: int, column: int) -> int:
    """The index in ``text`` of a 0-based (line, column)."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return len(text)
    return start + column


def _too_deep() -> str:
    return (
        f"values nest deeper than {MAX_DEPTH} levels; a dossier needs about eight "
        "(see docs/security.md)"
    )


def _deep_location(text: str, display: str) -> Location:
    """Where the first mapping or sequence deeper than `MAX_DEPTH` starts, from events.

    The parser's events come without recursion, so this also works for text that the
    composer refuses (or, in pure Python, cannot build).
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                mark = event.start_mark
                if depth > MAX_DEPTH and mark is not None:
                    return Location(display, mark.line + 1, mark.column + 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:  # pragma: no cover - the limit is reached before libyaml's
        pass
    return Location(display)  # pragma: no cover - only called for text nested that deep


def _first_unprintable(text: str, display: str) -> Location:
    """Where the first character that YAML does not allow stands."""
    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if found is None:  # pragma: no cover - the reader said there was one
        return Location(display)
    start = found.start()
    line = text.count("\n", 0, start) + 1
    return Location(display, line, start - (text.rfind("\n", 0, start) + 1) + 1)


# A dossier's values, with aliases expanded, stay far below this; more is an alias bomb.
_MAX_EXPANDED_NODES = 1_000_000


def _check_aliases(root: yaml.Node, display: str) -> None:
    """Refuse an alias that contains itself, or aliases that multiply the document.

    The composer shares aliased nodes, so a document can be a graph with cycles, or a small
    text that expands into billions of values. Sizes are counted per distinct node, without
    recursion, so neither costs more than the text is long.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > _MAX_EXPANDED_NODES:
                raise YamlError(
                    f"aliases expand this document to more than {_MAX_EXPANDED_NODES:,} "
                    "values; repeat less, or write the values out",
                    _location(display, node),
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise YamlError(
                "an alias refers to the value that contains it (a loop)",
                _location(display, node),
            )
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise YamlError(
                    "an alias refers to the value that contains it (a loop)",
                    _location(display, child),
                )
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


_ScalarNode, _MappingNode, _SequenceNode = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode


def _convert(node: yaml.Node, display: str, depth: int = 1) -> tuple[Any, int, int, Kids]:
    """A node's plain value, line, column and the positions below it (see `Tree`).

    Nodes are visited depth first in document order, so the first node without a plain
    value (or nested deeper than `MAX_DEPTH`) is the one reported (as a YamlError).
    Scalars, most of the nodes, are converted in their parent's loop rather than by a call
    each. ``depth`` is the node's level: 1 for the document's root.
    """
    mark = node.start_mark
    line, column = _number(mark.line + 1), _number(mark.column + 1)
    cls = node.__class__
    if cls is _ScalarNode:
        return _scalar(node, display), line, column, None
    if depth > MAX_DEPTH:
        raise YamlError(_too_deep(), Location(display, line, column))
    if cls is _MappingNode:
        result: dict[str, Any] = {}
        positions: list[int] = []
        subs: list[Kids] = []
        for key_node, value_node in node.value:
            if key_node.__class__ is not _ScalarNode:
                raise YamlError("mapping keys must be plain words", _location(display, key_node))
            key = key_node.value
            if key in result:
                first = next(k for k, _ in node.value if k.value == key)
                raise YamlError(
                    f"duplicate key '{key}' (first at line {_mark(first)[0]})",
                    _location(display, key_node),
                )
            if value_node.__class__ is _ScalarNode:
                tag: Any = value_node.tag  # a slice while unresolved, see _Loader
                value = value_node.value
                if tag.__class__ is not slice or tag.step[0]:  # else quoted: a string
                    value = _scalar(value_node, display)
                value_mark = value_node.start_mark
                value_line = _number(value_mark.line + 1)
                value_column = _number(value_mark.column + 1)
                kids: Kids = None
            else:
                value, value_line, value_column, kids = _convert(value_node, display, depth + 1)
            result[key] = value
            key_mark = key_node.start_mark
            positions += (
                _number(key_mark.line + 1),
                _number(key_mark.column + 1),
                value_line,
                value_column,
            )
            subs.append(kids)
        return result, line, column, ("map", tuple(result), tuple(positions), tuple(subs))
    if cls is _SequenceNode:
        items: list[Any] = []
        positions = []
        subs = []
        for item in node.value:
            value, value_line, value_column, kids = _convert(item, display, depth + 1)
            items.append(value)
            positions += (value_line, value_column)
            subs.append(kids)
        return items, line, column, ("seq", tuple(positions), tuple(subs))
    return _scalar(node, display), line, column, None  # pragma: no cover - no other nodes


def _number(n: int, _shared: list[int] = _NUMBERS, _limit: int = _LIMIT) -> int:
    """The shared int object for a line or column number."""
    return _shared[n] if n < _limit else n


def _scalar(node: Any, display: str) -> Any:
    """The value of a scalar node, with the type the safe loader would give it."""
    tag = node.tag
    if tag.__class__ is slice:  # left unresolved by _Loader: slice(kind, value, implicit)
        if not tag.step[0]:
            return node.value
        tag = _resolve_plain(node.value)
    if tag in _PLAIN:
        return node.value
    if tag == _NULL:
        return None
    constructors = {
        _BOOL: (_constructor.construct_yaml_bool, "true or false"),
        _INT: (_constructor.construct_yaml_int, "a whole number"),
        _FLOAT: (_constructor.construct_yaml_float, "a number"),
    }
    if tag in constructors:
        construct, expected = constructors[tag]
        try:
            return construct(node)
        except (ValueError, KeyError, TypeError):
            raise YamlError(
                f"'{node.value}' is tagged {tag.rsplit(':', 1)[-1]} but is not {expected}",
                _location(display, node),
            ) from None
    raise YamlError(f"unsupported YAML tag '{tag}'", _location(display, node))


def _location(display: str, node: yaml.Node) -> Location:
    line, column = _mark(node)
    return Location(display, line, column)


def _scalar_token(text: str, line: int, column: int) -> yaml.ScalarToken | None:
    """The scalar token of the value that starts at (line, column), 1-based.

    Scanned again from the text, since positions are all a SourceMap keeps: this runs only
    to place an error. A tag or an anchor before the scalar belongs to the value; anything
    else means the value is no scalar.
    """
    target = (line - 1, column - 1)
    try:
        for token in yaml.scan(text, Loader=_BaseLoader):
            start = (token.start_mark.line, token.start_mark.column)
            if start < target:
                continue
            if isinstance(token, yaml.ScalarToken):
                return token
            if not isinstance(token, yaml.TagToken | yaml.AnchorToken):
                return None
    except yaml.YAMLError:  # pragma: no cover - the text was parsed before
        return None
    return None


def _source_index(text: str, token: yaml.ScalarToken, offset: int) -> int | None:
    """The index in ``text`` of the character at ``offset`` in the scalar's value.

    Walks the value and the source together: indentation, line breaks that folding turned
    into spaces (or dropped), escapes and doubled quotes are matched to the characters they
    stand for. None when the walk loses its way (a case it does not know).
    """
    style = token.style
    value: str = token.value
    lines = text.split("\n")
    starts = [0]
    for source_line in lines[:-1]:
        starts.append(starts[-1] + len(source_line) + 1)
    start = starts[token.start_mark.line] + token.start_mark.column
    block = style in ("|", ">")
    if block:
        newline = text.find("\n", start)
        if newline < 0:
            return None
        p = newline + 1
        indent = _block_indent(text, p)
    else:
        p = start + (1 if style in ("'", '"') else 0)
        indent = 0
    at_line_start = block
    i = 0
    end = len(text)
    while p < end:
        if at_line_start:  # indentation is not part of the value
            limit = p + indent if block else end
            while p < limit and text[p] in (" ", "\t") and (block is False or text[p] == " "):
                p += 1
            at_line_start = False
            continue
        if i >= len(value):
            return p if i == offset else None
        s, ch = text[p], value[i]
        if style == '"' and s == "\\":
            following = text[p + 1 : p + 2]
            if following in ("\n", "\r"):  # an escaped line break: nothing in the value
                p = text.find("\n", p) + 1
                at_line_start = True
                continue
            if i == offset:
                return p
            i += 1
            p += {"x": 4, "u": 6, "U": 10}.get(following, 2)
            continue
        if style == "'" and s == "'" and text[p + 1 : p + 2] == "'":
            if i == offset:
                return p
            i += 1
            p += 2
            continue
        if s == ch or (ch == " " and s == "\n" and style != "|"):  # a folded line break
            if i == offset:
                return p
            i += 1
        p += 1
        if s == "\n":
            at_line_start = True
    return None


def _block_indent(text: str, p: int) -> int:
    """The indentation of a block scalar whose content starts at ``p``: its first text line's."""
    while p < len(text):
        end = text.find("\n", p)
        end = len(text) if end < 0 else end
        line = text[p:end]
        if line.strip(" "):
            return len(line) - len(line.lstrip(" "))
        p = end + 1
    return 0
