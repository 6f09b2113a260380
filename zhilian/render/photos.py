"""Cadre photos for the public site: resized, re-encoded, every byte of metadata dropped.

A photo from a phone carries EXIF (camera, time, often GPS position).  Only the pixels
survive here: the image is rotated by its EXIF orientation, flattened onto white, scaled
to fit ``MAX_SIDE`` and saved as a fresh baseline JPEG with no EXIF, ICC, XMP or comment.
The same input gives the same bytes, and the file is named by the hash of those bytes.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (imported when a photo is processed: a rebuild seldom has one, 0.03 s)
    from PIL.Image import Image as PilImage

MAX_SIDE = 240  # px: cards show 72 CSS px, the cadre page 120 (sharp at 2× DPR)
MAX_INPUT_PIXELS = 40_000_000  # bigger is a mistake (or a decompression bomb): skip it
JPEG_QUALITY = 82


@dataclass(frozen=True)
class ProcessedPhoto:
    data: bytes
    width: int
    height: int
    digest: str  # first 16 hex digits of the SHA-256 of data


def process_photo(path: Path) -> ProcessedPhoto | None:
    """The publishable JPEG of ``path``, or None when the file is not a readable image
    (the reference rules report a bad photo; the card then shows the generated avatar)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.format not in ("JPEG", "PNG"):
                    return None
                if img.width * img.height > MAX_INPUT_PIXELS:
                    return None
                img.load()
                return _encode(img)
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None


def _encode(img: PilImage) -> ProcessedPhoto:
    from PIL import Image, ImageOps

    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    else:
        img = img.convert("RGB")
    # A new image holds the pixels only: no info dict, no EXIF, no ICC profile.
    clean = Image.new("RGB", img.size)
    clean.paste(img)
    clean.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    clean.save(
        out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False, subsampling="4:2:0"
    )
    data = out.getvalue()
    return ProcessedPhoto(data, clean.width, clean.height, hashlib.sha256(data).hexdigest()[:16])
