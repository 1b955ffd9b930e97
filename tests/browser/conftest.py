"""Browser tests: Debian's Chromium, driven by Playwright, opens the simulated Shopify admin,
which frames the app served on a real socket; the app talks to the simulator over HTTP, runs
its jobs on the test Redis and sends email to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, FrameLocator, Locator, Page, async_playwright
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.models import Shop
from app.settings import Settings
from devstore import SimulatorConfig
from devstore.server import Simulator
from tests.conftest import TEST_API_KEY, TEST_API_SECRET
from tests.messaging.conftest import Inbox, inbox  # noqa: F401  (fixture)
from tests.scenarios.conftest import Store
from tests.support.sending import send_at_any_hour
from tests.support.servers import serve
from tests.support.services import free_port

CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Chromium quiet and working on these machines (closed network, root).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SHOP = "acme.myshopify.com"
# How long a UI expectation may take (the first page load installs the shop).
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def built_frontend() -> Path:
    """The admin UI as the app serves it, rebuilt if a source changed (quick otherwise)."""
    subprocess.run([str(ROOT / "scripts" / "build-frontend")], check=True)  # noqa: S603
    dist = ROOT / "frontend" / "dist"
    assert (dist / ".vite" / "manifest.json").is_file()
    return dist


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: ./scripts/bootstrap installs it (apt-get, as root)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        # Playwright gives each launch a fresh, temporary user data dir.
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        await launched.close()


@dataclass
class EmbeddedAdmin:
    """The merchant's side (a browser on the simulated admin) and the store's side."""

    page: Page
    sim: Simulator
    sim_url: str
    app_url: str
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    inbox: Inbox
    store: Store

    @property
    def app(self) -> FrameLocator:
        """The embedded app, inside the admin's iframe."""
        return self.page.frame_locator("#app-iframe")

    @property
    def app_nav(self) -> Locator:
        """The app's menu (its ui-nav-menu), drawn by the admin in its sidebar."""
        return self.page.get_by_role("navigation", name="Boomerang", exact=True)

    @property
    def title_bar(self) -> Locator:
        """The app's title bar (its ui-title-bar), drawn by the admin above the app."""
        return self.page.locator("#title-bar")

    async def go(self, item: str) -> None:
        """Open a section of the app from its menu in the admin's sidebar, as a merchant does."""
        await self.app_nav.get_by_role("link", name=item, exact=True).click()

    async def go_home(self) -> None:
        """The app's name in the admin's sidebar: the app's home page."""
        admin_nav = self.page.get_by_role("navigation", name="Shopify admin")
        await admin_nav.get_by_role("link", name="Boomerang", exact=True).click()

    async def open(self, *, locale: str = "en", path: str = "") -> None:
        await self.page.goto(f"{self.sim_url}/store/acme/apps/boomerang{path}?locale={locale}")

    async def work(self) -> None:
        """The worker's jobs, reaching the simulator over its socket (item images, codes)."""
        await self.store.work()

    async def shop(self) -> Shop:
        async with self.sessions.begin() as session:
            found = await session.scalar(select(Shop).where(Shop.domain == SHOP))
        assert found is not None, "the shop was not installed through the admin"
        return found

    async def send_at_any_hour(self) -> None:
        """No quiet hours for the installed shop: the tests run at any hour, and the default's
        (21:00-08:00) would hold their emails until morning."""
        shop = await self.shop()
        async with self.sessions.begin() as session:
            await send_at_any_hour(session, shop.id)


@pytest.fixture
def shop_timezone() -> str:
    """The simulated shop's IANA timezone (a test may parametrize another)."""
    return "UTC"


@pytest.fixture
async def admin(
    shop_timezone: str,
    browser: Browser,
    built_frontend: Path,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    inbox: Inbox,  # noqa: F811
) -> AsyncIterator[EmbeddedAdmin]:
    app_port = free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    config = SimulatorConfig(api_key=TEST_API_KEY, api_secret=TEST_API_SECRET, app_url=app_url)
    config.bulk_code_creation_delay = 0.0
    sim = Simulator(config)
    sim.add_shop("acme", currency="EUR", iana_timezone=shop_timezone, shop_name="Acme")
    async with serve(sim.app(), lifespan="off") as sim_url:
        app_settings = settings.model_copy(
            update={
                "app_url": app_url,
                "shopify_admin_url_template": f"{sim_url}/{{shop}}",
                "shopify_cdn_url": f"{sim_url}/cdn",
                "extra_frame_ancestors": sim_url,
                "frontend_dir": built_frontend,
                "smtp_url": SecretStr(f"smtp://127.0.0.1:{inbox.port}"),
                "email_from": "Acme <shop@acme.test>",
            }
        )
        async with (
            serve(create_app(app_settings), port=app_port),
            httpx.AsyncClient(base_url=app_url) as client,
        ):
            context = await browser.new_context(locale="en-US")
            context.set_default_timeout(TIMEOUT_MS)
            page = await context.new_page()
            store = Store(
                shop=None,  # installed by the admin's first visit
                sim=sim,
                client=client,
                settings=app_settings,
                sessions=sessions,
                shopify=httpx.AsyncHTTPTransport(),
            )
            try:
                yield EmbeddedAdmin(
                    page, sim, sim_url, app_url, app_settings, sessions, inbox, store
                )
            finally:
                await context.close()
    await sim.webhooks.aclose()
