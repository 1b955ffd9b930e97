"""The online store's side of a theme app extension, as Shopify renders it
(shopify.dev: apps/build/online-store/theme-app-extensions/configuration): each block's
Liquid (its `{% schema %}` read for its settings and assets, never output), with snippets for
`{% render %}`, the storefront locale files for the `t` filter (the storefront's language,
then the `*.default.json` one), the schema's `stylesheet` and `javascript` injected into the
page from the extension's `assets/`, and the global objects a block sees: `shop`, `customer`
(with its metafields; the app's own `$app:<namespace>` resolves to `app--{app id}--<namespace>`,
as the reserved prefix does in an app's extension), `request.locale`, `routes` and `block`.

Rendered with python-liquid (Liquid as Shopify specifies it); the Shopify-only filters the
extension uses are added here: `t` and `json`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from liquid import CachingFileSystemLoader, Environment, is_undefined

from devstore.state import Customer, Metafield, Shop

_SCHEMA = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.DOTALL)
_INTERPOLATION = re.compile(r"{{\s*(\w+)\s*}}")


@dataclass(frozen=True)
class Block:
    name: str  # the file's name under blocks/, without .liquid
    source: str  # the Liquid, schema removed
    schema: dict[str, Any]

    @property
    def target(self) -> str:
        return str(self.schema.get("target", "section"))

    def default_settings(self) -> dict[str, Any]:
        return {s["id"]: s.get("default") for s in self.schema.get("settings", []) if "id" in s}


def _lookup(catalog: dict[str, Any], key: str) -> str | None:
    node: Any = catalog
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


@dataclass
class ThemeAppExtension:
    """An extension directory (blocks/, snippets/, locales/, assets/) loaded once."""

    root: Path
    handle: str
    blocks: dict[str, Block] = field(default_factory=dict)
    locales: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_locale: str = "en"

    @classmethod
    def load(cls, root: Path) -> ThemeAppExtension:
        extension = cls(root=root, handle=root.name)
        for path in sorted((root / "blocks").glob("*.liquid")):
            text = path.read_text(encoding="utf-8")
            found = _SCHEMA.search(text)
            schema = json.loads(found.group(1)) if found else {}
            extension.blocks[path.stem] = Block(path.stem, _SCHEMA.sub("", text), schema)
        for path in sorted((root / "locales").glob("*.json")):
            if path.name.endswith(".schema.json"):
                continue  # the merchant's words (theme editor), not the storefront's
            locale = path.name.split(".")[0]
            extension.locales[locale] = json.loads(path.read_text(encoding="utf-8"))
            if ".default." in path.name:
                extension.default_locale = locale
        return extension

    def translate(self, locale: str, key: str, values: dict[str, Any]) -> str:
        text = _lookup(self.locales.get(locale, {}), key)
        if text is None:
            text = _lookup(self.locales.get(self.default_locale, {}), key)
        if text is None:
            return f"translation missing: {locale}.{key}"  # what Shopify prints
        return _INTERPOLATION.sub(
            lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), text
        )

    def environment(self, locale: str) -> Environment:
        env = Environment(loader=CachingFileSystemLoader(self.root / "snippets", ext=".liquid"))

        def t(key: object, **values: Any) -> str:
            return self.translate(locale, str(key), values)

        def to_json(value: object) -> str:
            # Shopify's `json`: nil (and anything undefined) is `null`.
            return json.dumps(None if is_undefined(value) else value, default=str)

        env.add_filter("t", t)
        env.add_filter("json", to_json)
        return env

    def asset_url(self, base: str, name: str) -> str:
        return f"{base}/cdn/extensions/{self.handle}/assets/{name}"


def _metafield_value(metafield: Metafield) -> Any:
    if metafield.type == "json":
        return json.loads(metafield.value)
    if metafield.type == "number_integer":
        return int(metafield.value)
    if metafield.type == "boolean":
        return metafield.value == "true"
    return metafield.value


def metafields_of(shop: Shop, owner_gid: str, app_id: int) -> dict[str, dict[str, Any]]:
    """An owner's metafields as Liquid sees them: namespace → key → {value, type}; the app's
    reserved namespaces also under their `$app:` name."""
    found: dict[str, dict[str, Any]] = {}
    own = f"app--{app_id}--"
    for metafield in shop.metafields.values():
        if metafield.owner_id != owner_gid:
            continue
        view = {"value": _metafield_value(metafield), "type": metafield.type}
        found.setdefault(metafield.namespace, {})[metafield.key] = view
        if metafield.namespace.startswith(own):
            alias = f"$app:{metafield.namespace.removeprefix(own)}"
            found.setdefault(alias, {})[metafield.key] = view
    return found


@dataclass(frozen=True)
class StorefrontPage:
    """One storefront request: which shop, who is logged in, in which language."""

    shop: Shop
    customer: Customer | None
    locale: str
    base: str  # the storefront's root URL as the browser reaches it


def render_block(
    extension: ThemeAppExtension,
    block: Block,
    page: StorefrontPage,
    *,
    app_id: int,
    block_id: str,
    settings: dict[str, Any] | None = None,
) -> str:
    customer = page.customer
    objects: dict[str, Any] = {
        "shop": {
            "name": page.shop.name,
            "url": page.base,
            "metafields": metafields_of(page.shop, page.shop.gid, app_id),
        },
        "customer": (
            {
                "id": customer.id,
                "first_name": customer.first_name or "",
                "last_name": customer.last_name or "",
                "email": customer.email or "",
                "metafields": metafields_of(page.shop, customer.gid, app_id),
            }
            if customer
            else None
        ),
        "request": {"locale": {"iso_code": page.locale}},
        "routes": {
            "root_url": "/" if page.locale == page.shop.locales[0] else f"/{page.locale}",
            "account_login_url": "/account/login",
            "account_register_url": "/account/register",
        },
        "block": {
            "id": block_id,
            "settings": {**block.default_settings(), **(settings or {})},
            "shopify_attributes": "",
        },
    }
    env = extension.environment(page.locale)
    return env.from_string(block.source, globals=objects).render()


def render_page(
    extension: ThemeAppExtension,
    page: StorefrontPage,
    *,
    app_id: int,
    title: str,
    settings: dict[str, dict[str, Any]] | None = None,
) -> str:
    """A page of a minimal theme: the section blocks in its main content, the app embeds
    (target body) before `</body>`, each block's schema assets injected once."""
    chosen = settings or {}
    sections: list[str] = []
    embeds: list[str] = []
    styles: list[str] = []
    scripts: list[str] = []
    for number, block in enumerate(extension.blocks.values(), start=1):
        html = render_block(
            extension,
            block,
            page,
            app_id=app_id,
            block_id=f"{block.name}-{number}",
            settings=chosen.get(block.name),
        )
        (embeds if block.target == "body" else sections).append(html)
        for name, kept in (("stylesheet", styles), ("javascript", scripts)):
            asset = block.schema.get(name)
            if asset and asset not in kept:
                kept.append(asset)
    head = "".join(
        f'<link rel="stylesheet" href="{escape(extension.asset_url(page.base, s))}">'
        for s in styles
    )
    tail = "".join(
        f'<script src="{escape(extension.asset_url(page.base, s))}" defer></script>'
        for s in scripts
    )
    return (
        f'<!doctype html><html lang="{escape(page.locale)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} – {escape(page.shop.name)}</title>{head}</head>"
        f'<body><header><p><a href="{escape(page.base)}/">{escape(page.shop.name)}</a></p>'
        f"</header><main>{''.join(sections)}</main>{''.join(embeds)}{tail}</body></html>"
    )
