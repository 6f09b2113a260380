"""The reader stage: data files → plain Python values, or diagnostics that point at a line.

See DESIGN §4 for the rules; :mod:`zhilian.read.yaml_reader` explains the fast path.
"""

from zhilian.read.front_matter import locate_in_note, parse_note, read_note, split_front_matter
from zhilian.read.positions import locate
from zhilian.read.yaml_reader import (
    decode,
    parse_yaml,
    read_file,
    read_yaml,
    top_level_not_mapping,
)

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
