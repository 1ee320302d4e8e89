"""YAML that remembers where every value came from, so errors can point at a line.

PyYAML's composer (libyaml when available) gives nodes with marks; we turn them into plain
Python values ourselves instead of using its constructor, because the constructor raises on
impossible dates and silently keeps the last of duplicate keys. Timestamps stay strings and
are validated by the model, which can say why a date is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

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
    """The file is not usable YAML; carries the location of the problem and a hint.

    Args:
        message: What is wrong; for a syntax error also where the parser noticed it.
        location: Where the writer should look first: the start of the broken construct.
        hint: How to fix it, when a common mistake is recognised ('' otherwise).
    """

    def __init__(self, message: str, location: Location, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint


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
    def text(self) -> str:
        """The file's text ('' when it was not kept)."""
        return self._text or ""

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

    def written(self, path: Sequence[str | int]) -> str | None:
        """A plain (unquoted) scalar value as the file spells it: ``yes``, ``1.10``, ``~``.

        None when the file's text is not kept, or the value at ``path`` is not a plain
        scalar that starts exactly there (an empty value, a quoted one, a list). Scans the
        file again: meant for messages.
        """
        start = self.locate(path)
        if self._text is None or start.line < 1:
            return None
        token = _scalar_token(self._text, start.line, start.column)
        if token is None or token.style or token.start_mark.line + 1 != start.line:
            return None
        if token.start_mark.column + 1 != start.column:
            return None
        return str(token.value)

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
        raise syntax_error(text, display, exc) from None
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
    raise YamlError(
        f"unsupported YAML tag '{tag}'",
        _location(display, node),
        "a value that starts with '!' is a YAML tag; quote the value if the '!' is part of "
        'the text: "!..."',
    )


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


# --- Messages for YAML mistakes ---------------------------------------------------------------
#
# The parser says where it noticed a problem, in its own words ("mapping values are not
# allowed in this context", "found unexpected end of stream"). The writer needs to know where
# the mistake is and how to fix it: the quote opened on line 57 rather than the end of the
# file where the parser gave up. `syntax_error` recognises the mistakes docs/dossier-format.md
# warns about and places the finding at the start of the broken construct.

# YAML's line breaks (libyaml counts all of them as a new line).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# A key written without a space after its colon: `title:Hallo` (not `http://`).
_KEY_WITHOUT_SPACE = re.compile(r"([A-Za-z_][\w-]*):(?!//)(?=\S)")
_CLOSERS = {"[": "]", "{": "}"}


class _Diagnosis(NamedTuple):
    """A recognised mistake: where it starts (1-based), in plain words, and its fix."""

    line: int
    column: int
    what: str
    hint: str = ""


def syntax_error(text: str, display: str, exc: yaml.MarkedYAMLError) -> YamlError:
    """The YamlError for a parser's complaint, placed and worded for the writer.

    The location is the start of the broken construct, where an editor should jump: the
    quote that is never closed, the value with a stray colon, the bracket that is never
    closed, the key without a space after its colon. When the parser noticed the problem
    elsewhere, the message says where ("found at line 240, column 1"); it always ends with
    the parser's own words, and the hint names the fix of a recognised mistake. A complaint
    that is not recognised keeps the parser's words and place.

    Args:
        text: The YAML text that failed to parse.
        display: The file's name as messages show it.
        exc: The parser's (or composer's) error, with its marks.

    Returns:
        The error to raise.
    """
    problem = exc.problem or "invalid YAML"
    words = f"{problem} {exc.context}" if exc.context else problem
    mark = exc.problem_mark or exc.context_mark
    found = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    try:
        diagnosis = _diagnose(text, exc, found)
    except Exception:  # a mistake not understood keeps the parser's message, never a traceback
        diagnosis = None
    if diagnosis is None:
        return YamlError(f"invalid YAML: {words}", Location(display, *found))
    where = (diagnosis.line, diagnosis.column)
    words = words.removeprefix("found ")
    if where != found and found[0]:
        message = f"{diagnosis.what}; found at line {found[0]}, column {found[1]} ({words})"
    else:
        message = f"{diagnosis.what} ({words})"
    return YamlError(f"invalid YAML: {message}", Location(display, *where), diagnosis.hint)


def _diagnose(text: str, exc: yaml.MarkedYAMLError, found: tuple[int, int]) -> _Diagnosis | None:
    """The mistake behind a parser's complaint, when it is a common one; else None."""
    lines = _LINE_BREAK.split(text)
    problem = (exc.problem or "").lower()
    context = (exc.context or "").lower()
    mark = exc.context_mark
    opened = (mark.line + 1, mark.column + 1) if mark else found
    char = _char_at(lines, *found)
    if "tab character" in problem or (char == "\t" and "cannot start any token" in problem):
        return _Diagnosis(
            *found,
            "a tab character: YAML indents with spaces only",
            "replace the tab by spaces (set your editor to insert spaces for Tab)",
        )
    if "cannot start any token" in problem and char:
        return _Diagnosis(
            *found, f"a value cannot start with '{char}' unquoted", _quote_hint(lines, *found)
        )
    if "undefined alias" in problem or "scanning an alias" in context:
        where = found if "undefined alias" in problem else opened
        return _Diagnosis(
            *where,
            "a value that starts with '*' refers to an anchor elsewhere in the file (an alias)",
            _quote_hint(lines, *where),
        )
    if "scanning an anchor" in context:
        return _Diagnosis(
            *opened, "a value that starts with '&' names an anchor", _quote_hint(lines, *opened)
        )
    if "quoted scalar" in context:
        quote = _char_at(lines, *opened)
        if "end of stream" in problem or "document indicator" in problem:
            return _Diagnosis(
                *opened,
                f"the quote {quote} opened here is not closed",
                _close_hint(lines, *opened, quote),
            )
        return _Diagnosis(
            *found,
            "a backslash inside double quotes starts an escape sequence, and this one is not valid",
            "write a backslash as \\\\, or quote the value with ' instead of \"",
        )
    if "block scalar" in context:
        indicator = _char_at(lines, *opened)
        return _Diagnosis(
            *opened,
            f"a value that starts with '{indicator}' is a block of text, which starts on the "
            "next line",
            _quote_hint(lines, *opened),
        )
    if "flow sequence" in context or "flow mapping" in context:
        bracket = _char_at(lines, *opened)
        kind = "list" if bracket == "[" else "mapping"
        return _Diagnosis(
            *opened,
            f"the {kind} opened here with '{bracket}' is not closed, or two of its items have "
            "no comma between them",
            f"end it with '{_CLOSERS.get(bracket, ']')}' and separate its items with ', '; quote "
            "an item that holds a comma, a colon or a bracket",
        )
    if "simple key" in context:
        return _simple_key(lines, opened)
    if "mapping values are not allowed" in problem:
        return _stray_colon(text, lines, found)
    if "block mapping" in context or "block collection" in context:
        return _block(text, lines, found, context)
    if "single document" in context:
        return _Diagnosis(
            *found,
            "a line '---' starts a second document, and dossier.yaml holds one",
            "remove the '---' line",
        )
    return None


def _simple_key(lines: list[str], start: tuple[int, int]) -> _Diagnosis:
    """A line in a mapping without 'key: value': `-item`, `key:value` or a stray line."""
    content = _line(lines, start[0])[start[1] - 1 :].rstrip()
    if re.match(r"-[^\s-]", content):
        return _Diagnosis(
            *start,
            "a '-' starts a list item only when a space follows it",
            f"write '- {content[1:]}'",
        )
    key = _KEY_WITHOUT_SPACE.match(content)
    if key:
        return _Diagnosis(
            *start,
            "a key needs a space after its colon",
            f"write '{key[1]}: {content[key.end() :]}'",
        )
    return _Diagnosis(
        *start,
        "this line is neither 'key: value' nor a list item ('- ...')",
        "add the missing colon after the key; or, if the line continues the text above it, "
        "indent it further than that text's key (or quote the text)",
    )


def _stray_colon(text: str, lines: list[str], found: tuple[int, int]) -> _Diagnosis | None:
    """A colon and a space where a value was being read: the value, or a key, is to blame."""
    tokens = _tokens_before(text, found)
    scalar = tokens[-1] if tokens and isinstance(tokens[-1], yaml.ScalarToken) else None
    if scalar is None:
        return None
    start = (scalar.start_mark.line + 1, scalar.start_mark.column + 1)
    first = _line(lines, start[0])
    content = first[start[1] - 1 :].rstrip()
    key = _KEY_WITHOUT_SPACE.match(content)
    if key and not scalar.style and not first[: start[1] - 1].strip(" -"):
        return _Diagnosis(
            *start,
            "a key needs a space after its colon",
            f"write '{key[1]}: {_without_comment(content[key.end() :])}'",
        )
    if found[0] > start[0]:
        return _Diagnosis(
            *start,
            f"the value that starts here runs on to line {found[0]}, where a colon followed "
            "by a space would start a key",
            f"if line {found[0]} starts a new key, indent it like the key above it; if it is "
            "part of the text, quote the text or write it as a folded block (>-)",
        )
    return _Diagnosis(
        *start,
        "a colon followed by a space inside a value starts a mapping",
        _quote_hint(lines, *start),
    )


def _block(text: str, lines: list[str], found: tuple[int, int], context: str) -> _Diagnosis | None:
    """Something a block mapping or list did not expect: more text after a quoted value or
    a bracketed list, a quote closed lines later, or a line indented to fit nothing."""
    tokens = _tokens_before(text, found)
    before = [t for t in tokens if not isinstance(t, yaml.BlockEndToken)]
    last = before[-1] if before else None
    line_text = _line(lines, found[0])
    first_on_line = not line_text[: found[1] - 1].strip()
    if isinstance(last, yaml.ScalarToken) and last.style in ("'", '"'):
        start = (last.start_mark.line + 1, last.start_mark.column + 1)
        quote = last.style
        if last.end_mark.line > last.start_mark.line:
            return _Diagnosis(
                *start,
                f"the quote {quote} opened here runs on to the next {quote}, at line "
                f"{last.end_mark.line + 1}, column {last.end_mark.column}, taking the lines "
                f"between into the text: its closing {quote} is probably missing",
                _close_hint(lines, *start, quote),
            )
        if not first_on_line:
            return _Diagnosis(
                *start,
                "a value that starts with a quote ends at the closing quote, and more text "
                "follows it",
                _requote_hint(lines, *start),
            )
    if isinstance(last, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken) and not first_on_line:
        opened = _flow_start(before)
        if opened is not None:
            bracket = _char_at(lines, *opened)
            return _Diagnosis(
                *opened,
                f"a value that starts with '{bracket}' ends at the matching "
                f"'{_CLOSERS.get(bracket, ']')}', and more text follows it",
                _quote_hint(lines, *opened),
            )
    if not first_on_line:
        return None
    previous = _previous_content_line(lines, found[0])
    like = f" (line {previous[0]} starts in column {previous[1]})" if previous is not None else ""
    if "block collection" in context:
        return _Diagnosis(
            *found,
            "a key where the list above expects an item ('- ...')",
            f"indent it like the key it belongs with{like}, or start it with '- '",
        )
    if line_text[found[1] - 1 : found[1] + 1] in ("-", "- "):
        return _Diagnosis(
            *found,
            "a list item ('- ...') where the mapping above expects a key",
            f"indent the list under the key it belongs to{like}",
        )
    char = _char_at(lines, *found)
    if not (char.isalnum() or char in "_'\"") or (previous and previous[1] == found[1]):
        return None  # not a key, or indented like the line above: something else is wrong
    return _Diagnosis(
        *found,
        f"this line is indented by {found[1] - 1} space{'' if found[1] == 2 else 's'}, "
        "which fits none of the mappings and lists above it",
        f"keys of one mapping start in the same column: indent it like the key it belongs "
        f"with{like}",
    )


def _tokens_before(text: str, found: tuple[int, int]) -> list[yaml.Token]:
    """The tokens that start before ``found`` (1-based), scanned again from the text."""
    target = (found[0] - 1, found[1] - 1)
    tokens: list[yaml.Token] = []
    try:
        for token in yaml.scan(text, Loader=_BaseLoader):
            if (token.start_mark.line, token.start_mark.column) >= target:
                break
            tokens.append(token)
    except yaml.YAMLError:
        pass
    return tokens


def _flow_start(tokens: list[yaml.Token]) -> tuple[int, int] | None:
    """Where the bracket closed by the last of ``tokens`` was opened (1-based)."""
    depth = 0
    for token in reversed(tokens):
        if isinstance(token, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken):
            depth += 1
        elif isinstance(token, yaml.FlowSequenceStartToken | yaml.FlowMappingStartToken):
            depth -= 1
            if depth == 0:
                return (token.start_mark.line + 1, token.start_mark.column + 1)
    return None


def _previous_content_line(lines: list[str], line: int) -> tuple[int, int] | None:
    """The nearest line above ``line`` with content (not a comment): its number and column."""
    for number in range(min(line - 1, len(lines)), 0, -1):
        text = _line(lines, number)
        stripped = text.lstrip(" ")
        if stripped and not stripped.startswith("#"):
            return number, len(text) - len(stripped) + 1
    return None


def _line(lines: list[str], line: int) -> str:
    """Line ``line`` (1-based) of the file, '' beyond its end."""
    return lines[line - 1] if 1 <= line <= len(lines) else ""


def _char_at(lines: list[str], line: int, column: int) -> str:
    """The character at a 1-based (line, column), '' where there is none."""
    text = _line(lines, line)
    return text[column - 1] if 1 <= column <= len(text) else ""


def _without_comment(value: str) -> str:
    """A plain value without a trailing ``# comment`` and spaces."""
    cut = value.find(" #")
    return (value if cut < 0 else value[:cut]).rstrip()


def _quoted(value: str) -> str:
    """``value`` as a quoted YAML scalar: in double quotes, or single ones when it has " or \\."""
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _split_line(lines: list[str], line: int, column: int) -> tuple[str, str]:
    """The line without its indentation, cut at ``column``: (what precedes, the value)."""
    text = _line(lines, line)
    return text[: column - 1].lstrip(), _without_comment(text[column - 1 :])


def _quote_hint(lines: list[str], line: int, column: int) -> str:
    """'quote the value: name: "Ja: soms"' for the value that starts at (line, column).

    A value at the start of its line may be a key (``@x: 1``): then the key is quoted.
    """
    prefix, value = _split_line(lines, line, column)
    if not prefix.strip(" -") and ": " in value:
        key, rest = value.split(": ", 1)
        return f"quote the key: {prefix}{_quoted(key)}: {rest}"
    return f"quote the value: {prefix}{_quoted(value)}"


def _close_hint(lines: list[str], line: int, column: int, quote: str) -> str:
    """How to close the quote opened at (line, column), shown on its own line."""
    prefix = _line(lines, line)[: column - 1].lstrip()
    value = _line(lines, line)[column - 1 :].rstrip()
    if len(value) > 1 and value.endswith(quote):  # closed, but the quote did not count
        if quote == "'":
            return "inside single quotes write an apostrophe as two: 'l''Oreal'"
        return 'inside double quotes, \\" is a quote mark in the text: write \\\\ for a backslash'
    closers = len(value) - len(value.rstrip("]}"))
    if closers and any(c in prefix + value for c in "[{"):  # ["x, y] -> ["x, y"]
        value, tail = value[:-closers], value[-closers:]
    else:
        tail = ""
    return f"close the quote where the text ends: {prefix}{value}{quote}{tail}"


def _requote_hint(lines: list[str], line: int, column: int) -> str:
    """How to quote a value that starts with a quoted part and goes on after it."""
    prefix, value = _split_line(lines, line, column)
    quote = value[:1]
    if len(value) > 1 and value.endswith(quote):  # 'l'Oreal': the text is inside the quotes
        value = value[1:-1]
    return f"quote the whole value: {prefix}{_quoted(value)}"


def schema_hint(
    source: SourceMap | None, path: Sequence[str | int], kind: str, value: object
) -> str:
    """A hint for a schema error that YAML's reading of a plain value explains, or ''.

    ``name: yes`` is read as true and ``version: 1.10`` as the number 1.1, where the schema
    expects text: the fix is to quote it. ``variants: -a -b`` is one text, not a list.

    Args:
        source: The file's source map (its text gives the value as written).
        path: The value's path, as for `SourceMap.locate`.
        kind: The schema error's type (pydantic's ``string_type``, ``list_type``...).
        value: The value YAML read.
    """
    if kind == "string_type" and (value is None or isinstance(value, bool | int | float)):
        written = source.written(path) if source is not None else None
        if written is None:
            if value is None:
                return "the value is empty: write the text after the colon"
            return "quote the text, so YAML keeps it as written"
        if value is None:
            reading = "no value"
        elif isinstance(value, bool):
            reading = str(value).lower()
        else:
            reading = f"the number {value}"
        return f"YAML reads {written} as {reading}; quote it: {_quoted(written)}"
    if kind == "list_type" and isinstance(value, str) and re.match(r"-\S", value):
        return "a '-' starts a list item only when a space follows it: write '- item'"
    return ""
