"""The one YAML reader of dispatch: bounded in size, nesting and expansion.

Scenario and sweep files may come from anyone, so reading one must cost little
whatever it holds. The reader refuses, in one line naming the file:

- a file over :data:`MAX_YAML_BYTES`, reading no more than that;
- text that is not UTF-8, and malformed YAML;
- aliases (``*name``): expanding them is how a file of a few hundred bytes grows
  into gigabytes ("billion laughs"), and a study never needs them;
- merge keys (``<<``), duplicate keys in a mapping (YAML would keep the last one
  silently), and nesting deeper than :data:`MAX_YAML_DEPTH`;
- tags other than null, bool, int, float, str, seq, map and timestamp.

Numbers with an exponent but no dot or no exponent sign (``1e6``, ``2.5e-3``) are
numbers, as in YAML 1.2 (YAML 1.1 reads them as text). Timestamps are read as text,
so that the schema parses them and a date such as ``2025-02-30`` is reported against
its field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.error import MarkedYAMLError, YAMLError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node
from yaml.resolver import Resolver

from dispatch.core.errors import ScenarioError

MAX_YAML_BYTES = 1024**2
"""Largest scenario or sweep file read: scenarios of hundreds of sites fit [B]."""
MAX_YAML_DEPTH = 32
"""Deepest nesting of mappings and lists (scenarios need 6 levels) [-]."""

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = ("null", "bool", "int", "float", "str", "seq", "map")


class _Refused(MarkedYAMLError):
    """YAML that is well formed but that dispatch does not read."""

    def __init__(self, problem: str, node_or_mark: Any) -> None:
        mark = getattr(node_or_mark, "start_mark", node_or_mark)
        super().__init__(problem=problem, problem_mark=mark)


class _BoundedComposer(Composer):
    """Builds the node tree, refusing aliases and nesting beyond the limit."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if self.check_event(AliasEvent):
            raise _Refused(f"YAML aliases (*{event.anchor}) are not allowed", event)
        if self.depth >= MAX_YAML_DEPTH:
            raise _Refused(f"nested deeper than {MAX_YAML_DEPTH} levels", event)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _StrictConstructor(SafeConstructor):
    """Builds plain Python values, refusing duplicate keys, merge keys and other tags."""

    yaml_constructors = {
        **{_CORE + tag: SafeConstructor.yaml_constructors[_CORE + tag] for tag in _ALLOWED_TAGS},
        _CORE + "timestamp": SafeConstructor.construct_yaml_str,
    }

    def construct_undefined(self, node: Node) -> Any:
        tag = node.tag.replace(_CORE, "!!")
        raise _Refused(f"YAML tag {tag} is not allowed", node)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:  # e.g. an integer of 5,000 digits
            raise _Refused(f"unreadable value ({str(exc).split(';')[0]})", node) from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == _CORE + "merge":
                raise _Refused("YAML merge keys (<<) are not allowed", key_node)
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise _Refused("a mapping key must be a single value", key_node) from None
            if duplicate:
                raise _Refused(f"duplicate key {key!r}", key_node)
            seen.add(key)
        return super().construct_mapping(node, deep)


_StrictConstructor.add_constructor(None, _StrictConstructor.construct_undefined)


class _Resolver(Resolver):
    """YAML 1.1's implicit types, and numbers such as ``1e6`` as in YAML 1.2."""


_Resolver.add_implicit_resolver(
    _CORE + "float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)

try:
    from yaml.cyaml import CParser

    class _Loader(_BoundedComposer, CParser, _StrictConstructor, _Resolver):
        """libyaml's parser under Python's composer, which can be bounded."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _BoundedComposer.__init__(self)
            _StrictConstructor.__init__(self)
            _Resolver.__init__(self)

except ImportError:  # PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, _BoundedComposer, _StrictConstructor, _Resolver):
        """PyYAML's pure-Python parser."""

        def __init__(self, text: str) -> None:
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)
            _BoundedComposer.__init__(self)
            _StrictConstructor.__init__(self)
            _Resolver.__init__(self)


def read_yaml(path: Path, what: str = "scenario") -> Any:
    """Read a YAML file that dispatch is given, within bounds.

    Parameters
    ----------
    path
        The file.
    what
        What the file is (``"scenario"``, ``"sweep"``), for messages.

    Returns
    -------
    Any
        The document as plain Python values (dict, list, str, int, float, bool,
        None); timestamps as text.

    Raises
    ------
    ScenarioError
        One line naming the file, the line if known, and what is wrong.
    """
    file = str(path)
    try:
        with open(path, "rb") as stream:
            # Read one byte past the limit: the size on disk may not be the size read.
            data = stream.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(file, "", f"cannot read the {what} file ({exc.strerror})") from None
    if len(data) > MAX_YAML_BYTES:
        raise ScenarioError(file, "", f"over the {MAX_YAML_BYTES:,}-byte limit of {what} files")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(file, "", "not a UTF-8 text file") from None
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        if not isinstance(exc, _Refused):
            problem = f"malformed YAML ({problem})"
        raise ScenarioError(file, where, problem) from None
    finally:
        loader.dispose()
