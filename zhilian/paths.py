"""Where a deployment keeps things zhilian reads and writes besides its data.

Kept apart from the stages so that the quick paths (a no-change build or check answered
from the memo) need nothing heavier than this to find them.
"""

from __future__ import annotations

from pathlib import Path

#: Caches of a deployment (parsed files, rendered pages, QR codes, the handbook, the memo):
#: safe to delete, never committed.  They hold youth data, like ``data/``.
CACHE_DIR = ".zhilian-cache"
#: In ``CACHE_DIR``: the positions (line, column) of the last run's diagnostics.
POSITIONS_FILE = "positions.marshal"
#: In ``CACHE_DIR``: the sites that builds replaced, which the next build removes
REPLACED_DIR = "replaced"

#: The templates shipped with zhilian, used when a deployment has no ``templates/`` of its own.
DEFAULT_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def templates_dir(root: Path) -> Path:
    """The deployment's ``templates/`` (a university may restyle its copy), else ours."""
    own = root / "templates"
    return own if own.is_dir() else DEFAULT_TEMPLATES
