"""The reader stage: data files → plain Python values, or diagnostics that point at a line.

See DESIGN §4 for the rules; :mod:`zhilian.read.yaml_reader` explains the fast path.

The names below are imported from their modules when first asked for: the fingerprint's
walk needs only :mod:`zhilian.read.stamps`, and the build starts it before this process
has imported libyaml and ryml (0.04 s), which it does meanwhile.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zhilian.read.front_matter import (
        locate_in_note,
        parse_note,
        read_note,
        split_front_matter,
    )
    from zhilian.read.positions import locate
    from zhilian.read.yaml_reader import (
        decode,
        parse_yaml,
        read_file,
        read_yaml,
        top_level_not_mapping,
    )

#: each name, and the module it is imported from
_FROM = {
    "decode": "yaml_reader",
    "locate": "positions",
    "locate_in_note": "front_matter",
    "parse_note": "front_matter",
    "parse_yaml": "yaml_reader",
    "read_file": "yaml_reader",
    "read_note": "front_matter",
    "read_yaml": "yaml_reader",
    "split_front_matter": "front_matter",
    "top_level_not_mapping": "yaml_reader",
}


def __getattr__(name: str) -> Any:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "decode",
    "locate",
    "locate_in_note",
    "parse_note",
    "parse_yaml",
    "read_file",
    "read_note",
    "read_yaml",
    "split_front_matter",
    "top_level_not_mapping",
]
