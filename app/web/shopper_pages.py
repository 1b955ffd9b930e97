"""The plain page a shopper's browser gets from a link in an email or a share (unsubscribe, a
referral link we do not know, the review form): a title and a body the caller built, in the
shopper's language, never cached or indexed."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

from app.i18n import Locale

_STYLE = (
    "body{font-family:-apple-system,Segoe UI,Roboto,Arial,sans-serif;max-width:480px;"
    "margin:48px auto;padding:0 16px;color:#1f2937}button{background:#111827;color:#fff;"
    "border:0;border-radius:6px;padding:12px 20px;font-size:16px}"
)


def shopper_page(
    locale: Locale, title: str, body: str, status: int = 200, *, style: str = _STYLE
) -> HTMLResponse:
    """`body` is HTML the caller built (its text escaped); `title` is escaped here; `style`
    replaces the plain page's CSS (the review form's has its fields)."""
    return HTMLResponse(
        f'<!DOCTYPE html><html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
