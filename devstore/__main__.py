"""`python -m devstore`: serve the Shopify simulator on a local port."""

from __future__ import annotations

import argparse

from devstore.config import SimulatorConfig
from devstore.server import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="devstore", description="Local Shopify simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--shop", action="append", default=[], help="shop to create (repeatable)")
    parser.add_argument("--api-key", default=SimulatorConfig.api_key)
    parser.add_argument("--api-secret", default=SimulatorConfig.api_secret)
    parser.add_argument("--app-url", default=SimulatorConfig.app_url)
    parser.add_argument("--token-lifetime", type=float, default=3600.0)
    parser.add_argument("--webhook-compression", type=float, default=1.0)
    args = parser.parse_args(argv)
    config = SimulatorConfig(
        api_key=args.api_key,
        api_secret=args.api_secret,
        app_url=args.app_url,
        access_token_lifetime=args.token_lifetime,
        webhook_time_compression=args.webhook_compression,
    )
    run(args.host, args.port, config=config, shops=args.shop or ["demo"])


if __name__ == "__main__":
    main()
