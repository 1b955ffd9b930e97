"""A review photo as the form receives it, checked and made safe before anything is stored:
its type told by its content (JPEG, PNG or WebP, whatever its name or declared type says), at
most 5 MB, not a decompression bomb, then decoded and re-encoded by Pillow from its pixels
alone, so no metadata (EXIF, GPS included, XMP, comments) survives, and scaled to at most
MAX_SIDE pixels a side. Pure: bytes in, bytes out; storing is app/reviews/storage.py."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from app.i18n import Text
from app.reviews.errors import PhotoRefused, PhotoTooLarge

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Far above any phone's camera (48 MP is 8000 x 6000), far below what would exhaust memory.
MAX_PIXELS = 50_000_000
MAX_SIDE = 2048
# What Pillow names each format we take, and what we store it as.
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def too_many() -> PhotoRefused:
    return PhotoRefused(
        Text(
            en=f"Add at most {MAX_PHOTOS} photos per product.",
            fr=f"Ajoutez au plus {MAX_PHOTOS} photos par produit.",
        )
    )


def _too_large(name: str) -> PhotoTooLarge:
    return PhotoTooLarge(
        Text(
            en=f"The photo {name} is larger than 5 MB. Choose a smaller photo or reduce its size.",
            fr=f"La photo {name} dépasse 5 Mo. Choisissez une photo plus petite ou réduisez sa "
            "taille.",
        )
    )


def _not_an_image(name: str) -> PhotoRefused:
    return PhotoRefused(
        Text(
            en=f"The file {name} is not a JPEG, PNG or WebP photo. Choose a photo in one of "
            "these formats.",
            fr=f"Le fichier {name} n'est pas une photo JPEG, PNG ou WebP. Choisissez une photo "
            "dans l'un de ces formats.",
        )
    )


def _bomb(name: str) -> PhotoRefused:
    return PhotoRefused(
        Text(
            en=f"The photo {name} has too many pixels to be a photo (more than "
            f"{MAX_PIXELS // 1_000_000} megapixels once opened). Choose another photo.",
            fr=f"La photo {name} contient trop de pixels pour être une photo (plus de "
            f"{MAX_PIXELS // 1_000_000} mégapixels une fois ouverte). Choisissez une autre photo.",
        )
    )


def clean_photo(name: str, data: bytes) -> CleanPhoto:
    """The photo re-encoded without metadata, or PhotoRefused saying what to do instead."""
    shown = name[:80] or "?"
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large(shown)
    if not data:
        raise _not_an_image(shown)
    with warnings.catch_warnings():
        # Pillow warns (then refuses at twice its limit) on huge images: both are refusals.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                found = image.format or ""
                if found not in FORMATS:
                    raise _not_an_image(shown)
                width, height = image.size
                # The header's size, read before a pixel is decoded.
                if width * height > MAX_PIXELS:
                    raise _bomb(shown)
                image.seek(0)  # an animated WebP or PNG keeps its first frame
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _bomb(shown) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise _not_an_image(shown) from None
    # A fresh image from the pixels alone: nothing of the original's info is carried over.
    fresh = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    fresh.thumbnail((MAX_SIDE, MAX_SIDE))
    content_type, extension = FORMATS[found]
    out = io.BytesIO()
    if found == "JPEG":
        fresh.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif found == "PNG":
        fresh.save(out, "PNG", optimize=True)
    else:
        fresh.save(out, "WEBP", quality=85)
    return CleanPhoto(out.getvalue(), content_type, extension, fresh.width, fresh.height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
