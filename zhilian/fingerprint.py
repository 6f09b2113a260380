"""Skip the render when nothing that shapes the output has changed since the last build.

The fingerprint covers every file of the deployment (path, size, modification time) except
build output and caches, the templates in use, zhilian's own code, ``--today`` and the
output folder.  Any edit, ``git checkout`` or upgrade changes it; a mere ``touch`` only
costs one rebuild.  It is stored under ``.zhilian-cache/`` (safe to delete) and written only
after a build succeeded, so a failed build never marks stale output as current.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from .load import CACHE_DIR

SKIP_DIRS = frozenset({
    ".git", CACHE_DIR, ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis",
    ".ruff_cache", ".cache", "node_modules", "test-artifacts", "site",
})
PACKAGE = Path(__file__).resolve().parent


def _walk(digest: hashlib._Hash, base: Path, out: Path) -> None:  # type: ignore[name-defined]
    for dirpath, dirnames, filenames in os.walk(base):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and (here / d).resolve() != out
        )
        for name in sorted(filenames):
            try:
                stat = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), base)
            digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())


def fingerprint(root: Path, out: Path, templates: Path, today: dt.date) -> str:
    digest = hashlib.blake2b(digest_size=20)
    out = out.resolve()
    digest.update(f"{today.isoformat()}\0{out}\n".encode())
    for base in dict.fromkeys((root.resolve(), templates.resolve(), PACKAGE)):
        digest.update(f"[{base}]\n".encode())
        _walk(digest, base, out)
    return digest.hexdigest()


def _stamp(root: Path, out: Path) -> Path:
    name = hashlib.blake2b(str(out.resolve()).encode(), digest_size=6).hexdigest()
    return root / CACHE_DIR / f"build-{name}"


def unchanged(root: Path, out: Path, current: str) -> bool:
    stamp = _stamp(root, out)
    try:
        return out.is_dir() and stamp.read_text(encoding="utf-8") == current
    except OSError:
        return False


def remember(root: Path, out: Path, current: str) -> None:
    stamp = _stamp(root, out)
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(current, encoding="utf-8")
    except OSError:
        pass  # only costs a rebuild next time
