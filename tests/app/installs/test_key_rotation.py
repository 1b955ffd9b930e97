"""`boomerang rotate-keys`: stored tokens move to the newest key and still decrypt."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Shop
from app.settings import Settings
from app.shopify.token_cipher import TokenCipher
from tests.conftest import TEST_API_KEY, TEST_API_SECRET, TEST_FERNET_KEY
from tests.support.shops import create_shop


def run_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "rotate-keys"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


NEW_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()


async def test_rotate_keys_reencrypts_every_token_with_the_first_key(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await create_shop(sessions, domain="acme.myshopify.com", access_token="shpat_secret_one")
    env = dict(
        os.environ,
        SHOPIFY_API_KEY=TEST_API_KEY,
        SHOPIFY_API_SECRET=TEST_API_SECRET,
        TOKEN_ENCRYPTION_KEYS=f"{NEW_KEY},{TEST_FERNET_KEY}",
        DATABASE_URL=settings.database,
        REDIS_URL=settings.redis,
    )
    done = await asyncio.to_thread(run_cli, env)
    assert done.returncode == 0, done.stderr
    async with sessions.begin() as session:
        shop = await session.scalar(select(Shop))
    assert shop is not None
    assert shop.access_token_encrypted is not None
    assert TokenCipher([NEW_KEY]).decrypt(shop.access_token_encrypted) == "shpat_secret_one"
