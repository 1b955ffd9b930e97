"""The embedded page references the built admin UI through Vite's manifest, loads App Bridge
and Polaris from the configured CDN, and /assets/ serves the hashed files for a year."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.settings import Settings
from tests.support.shops import create_shop

SHOP = "acme.myshopify.com"


def build(dist: Path, script: str = "main-abc123.js", css: str = "main-def456.css") -> None:
    """A Vite build's layout: assets/ and .vite/manifest.json naming the entry's files."""
    (dist / "assets").mkdir(parents=True, exist_ok=True)
    (dist / ".vite").mkdir(exist_ok=True)
    (dist / "assets" / script).write_text("console.log('boomerang');\n")
    (dist / "assets" / css).write_text("body { margin: 0 }\n")
    manifest = {
        "src/main.tsx": {"file": f"assets/{script}", "isEntry": True, "css": [f"assets/{css}"]}
    }
    (dist / ".vite" / "manifest.json").write_text(json.dumps(manifest))


@asynccontextmanager
async def app_client(settings: Settings, **update: object) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings.model_copy(update=update))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_shell_references_the_built_entry_and_the_configured_cdn(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await create_shop(sessions, domain=SHOP)
    build(tmp_path)
    async with app_client(
        settings,
        frontend_dir=tmp_path,
        shopify_cdn_url="http://127.0.0.1:9/cdn",
        extra_frame_ancestors="http://127.0.0.1:9",
    ) as client:
        page = await client.get("/", params={"shop": SHOP, "locale": "fr"})
        assert page.status_code == 200
        html = page.text
        assert '<script src="http://127.0.0.1:9/cdn/shopifycloud/app-bridge.js"></script>' in html
        assert '<script src="http://127.0.0.1:9/cdn/shopifycloud/polaris-1.js"></script>' in html
        assert html.index("app-bridge.js") < html.index("polaris-1.js") < html.index("main-")
        assert '<script type="module" src="/assets/main-abc123.js"></script>' in html
        assert '<link rel="stylesheet" href="/assets/main-def456.css">' in html
        assert "Chargement de Boomerang" in html
        # A skeleton of the page until the UI mounts, announced as loading.
        assert '<div class="skeleton" role="status" aria-busy="true"' in html
        assert page.headers["content-security-policy"] == (
            f"frame-ancestors https://{SHOP} https://admin.shopify.com http://127.0.0.1:9;"
        )

        asset = await client.get("/assets/main-abc123.js")
        assert asset.status_code == 200
        assert asset.text == "console.log('boomerang');\n"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert (await client.get("/assets/main-missing.js")).status_code == 404
        assert (await client.get("/assets/../.vite/manifest.json")).status_code == 404

        # A rebuild while the server runs is picked up.
        build(tmp_path, script="main-new999.js")
        assert "/assets/main-new999.js" in (await client.get("/", params={"shop": SHOP})).text


async def test_without_a_build_the_page_says_how_to_build_it(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await create_shop(sessions, domain=SHOP)
    async with app_client(settings, frontend_dir=tmp_path / "nothing") as client:
        page = await client.get("/", params={"shop": SHOP, "locale": "fr"})
        assert page.status_code == 200
        assert "lancez ./scripts/build-frontend" in page.text
        assert 'type="module"' not in page.text
        assert "https://cdn.shopify.com/shopifycloud/app-bridge.js" in page.text
        assert (await client.get("/assets/main.js")).status_code == 404
