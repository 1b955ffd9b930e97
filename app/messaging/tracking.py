"""Open and click tracking that tells people from machines. Apple Mail Privacy Protection
fetches every image through a proxy whose User-Agent is the bare "Mozilla/5.0"; security
scanners fetch every link, often with HEAD, within seconds of delivery and of each other.
Those are recorded as machine events so the KPIs count human opens and clicks only.
Links carry a signed token naming the message and the exact URL: the redirect can only go
where the email pointed, and an unknown or edited token is a 404.

Only links the template wrote are tracked, and only to the shop's own domains (its
myshopify domain and its primary domain) or the app's: an `href` in the HTML part (autoescape
keeps a variable's value from ever becoming an attribute), and in the text part only a URL
that is also one of those hrefs. A URL a shopper typed into their name is never made into a
link on the app's domain, and a click token naming any other host redirects nowhere, so the
app cannot be used as an open redirect."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging import signing
from app.messaging.config import MessagingConfig
from app.messaging.guards import notify_engagement
from app.models import Message, MessageEvent, Shop

_HREF = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)
# A URL in running text ends at whitespace; sentence punctuation right after it is not part
# of it ("… your cart: https://…/recover." keeps its full stop outside the link).
_TEXT_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}»"

# Too soon after delivery for a person to have opened the email and clicked.
DELIVERY_GRACE = timedelta(seconds=2)
# Two clicks on one message this close together: a scanner walking the links.
CLICK_BURST = timedelta(seconds=1)

# Substrings of User-Agents of link scanners, prefetchers and HTTP libraries.
_SCANNER_AGENTS = (
    "bot",
    "spider",
    "crawler",
    "scanner",
    "barracuda",
    "mimecast",
    "proofpoint",
    "safelinks",
    "microsoft office",
    "ms-office",
    "headlesschrome",
    "python-",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "okhttp",
    "apache-httpclient",
    "libwww",
    "facebookexternalhit",
    "slackbot",
    "preview",
)
# Apple's Mail Privacy Protection proxy announces itself with this exact User-Agent.
_APPLE_MPP_AGENT = "mozilla/5.0"


def open_token(config: MessagingConfig, message_id: int) -> str:
    return signing.sign({"m": message_id, "k": "o"}, config.tracking_key)


def click_token(config: MessagingConfig, message_id: int, url: str) -> str:
    return signing.sign({"m": message_id, "k": "c", "u": url}, config.tracking_key)


# A URL a browser could read differently from urlsplit (a backslash taken for a slash,
# whitespace or control characters dropped) is never tracked nor redirected to.
_AMBIGUOUS = re.compile(r"[\\\s\x00-\x1f\x7f]")


def link_hosts(shop: Shop, config: MessagingConfig) -> frozenset[str]:
    """The hosts a tracked link may lead to: the shop's and the app's own."""
    hosts = {shop.domain.lower()}
    for url in (shop.primary_domain_url, config.app_url):
        host = urlsplit(url or "").hostname
        if host:
            hosts.add(host.lower())
    return frozenset(hosts)


async def shop_link_hosts(
    session: AsyncSession, config: MessagingConfig, shop_id: int
) -> frozenset[str]:
    shop = await session.get(Shop, shop_id)
    if shop is None:
        return frozenset()
    return link_hosts(shop, config)


def may_track(url: str, hosts: frozenset[str]) -> bool:
    """Whether `url` is an http(s) URL, read the same by every parser, on one of `hosts`."""
    if _AMBIGUOUS.search(url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and host is not None and host.lower() in hosts


def template_links(html: str) -> frozenset[str]:
    """The URLs of the HTML part's href attributes: links the template itself wrote."""
    return frozenset(html_lib.unescape(m.group(1)) for m in _HREF.finditer(html))


def instrument_html(message: Message, config: MessagingConfig, hosts: frozenset[str]) -> str:
    """Wrap the template's links to `hosts` (except the unsubscribe link), and add the open
    pixel."""
    unsubscribe_prefix = f"{config.app_url}/u/"

    def wrap(match: re.Match[str]) -> str:
        url = html_lib.unescape(match.group(1))
        if url.startswith(unsubscribe_prefix) or not may_track(url, hosts):
            return match.group(0)
        return f'href="{config.app_url}/t/c/{click_token(config, message.id, url)}"'

    body = _HREF.sub(wrap, message.html)
    pixel = (
        f'<img src="{config.app_url}/t/o/{open_token(config, message.id)}.gif" '
        'width="1" height="1" alt="" style="display:block;border:0">'
    )
    if "</body>" in body:
        return body.replace("</body>", pixel + "</body>", 1)
    return body + pixel


def instrument_text(message: Message, config: MessagingConfig, hosts: frozenset[str]) -> str:
    """The plain-text part with the same tracked links as the HTML (same URL, same token):
    a shopper whose client shows text is counted like any other. Only the HTML's links are
    tracked here: in plain text nothing tells a URL the template wrote from one a variable
    brought. The unsubscribe link stays as it is."""
    unsubscribe_prefix = f"{config.app_url}/u/"
    written = template_links(message.html)

    def wrap(match: re.Match[str]) -> str:
        found = match.group(0)
        url = found.rstrip(_TRAILING)
        tail = found[len(url) :]
        if not url or url.startswith(unsubscribe_prefix) or url not in written:
            return found
        if not may_track(url, hosts):
            return found
        return f"{config.app_url}/t/c/{click_token(config, message.id, url)}{tail}"

    return _TEXT_URL.sub(wrap, message.text_body)


@dataclass(frozen=True)
class Hit:
    method: str
    user_agent: str | None
    at: datetime


def _agent_reason(user_agent: str | None) -> str | None:
    agent = (user_agent or "").strip().lower()
    if not agent:
        return "no_user_agent"
    if agent == _APPLE_MPP_AGENT:
        return "apple_privacy_proxy"
    if any(marker in agent for marker in _SCANNER_AGENTS):
        return "scanner_user_agent"
    return None


def classify_open(hit: Hit, sent_at: datetime | None) -> str | None:
    """None for a human open, else why it is a machine's."""
    if hit.method == "HEAD":
        return "head_request"
    if reason := _agent_reason(hit.user_agent):
        return reason
    if sent_at is not None and hit.at - sent_at < DELIVERY_GRACE:
        return "too_soon_after_delivery"
    return None


def classify_click(
    hit: Hit, sent_at: datetime | None, previous_click: datetime | None
) -> str | None:
    if hit.method == "HEAD":
        return "head_request"
    if reason := _agent_reason(hit.user_agent):
        # A bare "Mozilla/5.0" click is rare for people too; Apple's proxy does not click.
        return reason
    if sent_at is not None and hit.at - sent_at < DELIVERY_GRACE:
        return "too_soon_after_delivery"
    if previous_click is not None and abs(hit.at - previous_click) < CLICK_BURST:
        return "click_burst"
    return None


async def _message(session: AsyncSession, message_id: object) -> Message | None:
    if not isinstance(message_id, int):
        return None
    return await session.get(Message, message_id)


async def record_open(session: AsyncSession, config: MessagingConfig, token: str, hit: Hit) -> bool:
    """Record an open; False when the token is not one of ours."""
    payload = signing.verify(token, config.tracking_key)
    if payload is None or payload.get("k") != "o":
        return False
    message = await _message(session, payload.get("m"))
    if message is None:
        return False
    reason = classify_open(hit, message.sent_at)
    session.add(_event(message, "open", hit, reason, url=None))
    if reason is None:
        await notify_engagement(session, message, hit.at)
    return True


async def record_click(
    session: AsyncSession, config: MessagingConfig, token: str, hit: Hit
) -> str | None:
    """Record a click; the URL signed in the token, or None when the token is not ours."""
    payload = signing.verify(token, config.tracking_key)
    if payload is None or payload.get("k") != "c":
        return None
    url = payload.get("u")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    message = await _message(session, payload.get("m"))
    if message is None:
        return None
    # Tokens signed before links were limited to the shop's domains, or by a key that
    # leaked, still never redirect elsewhere.
    if not may_track(url, await shop_link_hosts(session, config, message.shop_id)):
        return None
    previous = await session.scalar(
        select(MessageEvent.occurred_at)
        .where(
            MessageEvent.shop_id == message.shop_id,
            MessageEvent.message_id == message.id,
            MessageEvent.kind == "click",
        )
        .order_by(MessageEvent.occurred_at.desc())
        .limit(1)
    )
    reason = classify_click(hit, message.sent_at, previous)
    session.add(_event(message, "click", hit, reason, url=url))
    if reason is None:
        await notify_engagement(session, message, hit.at)
    return url


def _event(
    message: Message, kind: str, hit: Hit, reason: str | None, *, url: str | None
) -> MessageEvent:
    return MessageEvent(
        shop_id=message.shop_id,
        message_id=message.id,
        kind=kind,
        human=reason is None,
        machine_reason=reason,
        url=url,
        user_agent=(hit.user_agent or "")[:512] or None,
        occurred_at=hit.at,
    )
