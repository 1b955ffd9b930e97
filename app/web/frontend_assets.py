"""The built admin UI (frontend/dist): Vite's manifest names the hashed files of the entry the
shell references, and /assets/ serves them with a year-long immutable cache, since a new
build gives every changed file a new name."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

ASSETS_PATH = "/assets"
ENTRY = "src/main.tsx"
MANIFEST = Path(".vite") / "manifest.json"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class EntryAssets:
    """URL paths of the entry's script and the stylesheets it imports."""

    script: str
    styles: tuple[str, ...]


class FrontendNotBuilt(LookupError):
    """frontend/dist has no manifest (or no entry in it): ./scripts/build-frontend builds it."""


_cache: dict[Path, tuple[float, EntryAssets]] = {}


def entry_assets(dist: Path) -> EntryAssets:
    """The entry's files from `dist`'s manifest, re-read only when the manifest changes (a
    rebuild while the server runs is picked up)."""
    manifest = dist / MANIFEST
    try:
        mtime = manifest.stat().st_mtime
    except FileNotFoundError:
        raise FrontendNotBuilt(f"{manifest} does not exist") from None
    cached = _cache.get(manifest)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    entry = entries.get(ENTRY)
    if not isinstance(entry, dict) or "file" not in entry:
        raise FrontendNotBuilt(f"{manifest} has no entry {ENTRY!r}")
    assets = EntryAssets(
        script=f"/{entry['file']}",
        styles=tuple(f"/{css}" for css in entry.get("css", [])),
    )
    _cache[manifest] = (mtime, assets)
    return assets


class ImmutableAssets(StaticFiles):
    """StaticFiles for hashed build output: long cache headers, and a missing build is a 404
    rather than a startup error (the API works without the UI)."""

    def __init__(self, dist: Path) -> None:
        super().__init__(directory=dist / ASSETS_PATH.strip("/"), check_dir=False)

    async def check_config(self) -> None:
        return None

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response
