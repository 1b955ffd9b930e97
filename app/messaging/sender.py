"""Who a shop's email comes from: the name shoppers see, where their replies go, the address
(on a domain the operator verified for the relay, or the operator's own), and the logo and
brand colour of the email layout. Checked when the merchant saves it and again when each
email leaves (the operator may drop a domain in between)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr

from app.errors import InvalidRequest
from app.i18n import Locale, Text
from app.models import Shop

_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME = 100


@dataclass(frozen=True)
class SenderFields:
    """What the merchant sets; None (or "") for a field means: the default."""

    name: str | None
    reply_to: str | None
    address: str | None
    logo_url: str | None
    brand_color: str | None


@dataclass(frozen=True)
class SenderProblem:
    field: str
    text: Text


class SenderRefused(InvalidRequest):
    """The sender identity cannot be saved; `problems` says which field and why."""

    def __init__(self, problems: list[SenderProblem]) -> None:
        super().__init__(
            Text(
                en="The sender was not saved: " + " ".join(p.text.en for p in problems),
                fr="L'expéditeur n'a pas été enregistré : " + " ".join(p.text.fr for p in problems),
            )
        )
        self.problems = problems

    def body_fields(self, locale: Locale) -> dict[str, object]:
        return {
            "problems": [
                {"field": p.field, "message": p.text.in_locale(locale)} for p in self.problems
            ]
        }


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower().rstrip(".")


def check_fields(fields: SenderFields, verified_domains: frozenset[str]) -> list[SenderProblem]:
    """Every problem at once, each saying what to do."""
    problems: list[SenderProblem] = []
    if fields.name is not None and (_CONTROL.search(fields.name) or len(fields.name) > MAX_NAME):
        problems.append(
            SenderProblem(
                "name",
                Text(
                    en=f"Use a sender name of at most {MAX_NAME} characters, on one line.",
                    fr=f"Choisissez un nom d'expéditeur d'au plus {MAX_NAME} caractères, sur "
                    "une seule ligne.",
                ),
            )
        )
    for field, value in (("reply_to", fields.reply_to), ("address", fields.address)):
        if value is not None and not _EMAIL.match(value):
            problems.append(
                SenderProblem(
                    field,
                    Text(
                        en=f"{value!r} is not an email address: write it as name@example.com.",
                        fr=f"{value!r} n'est pas une adresse e-mail : écrivez-la sous la forme "
                        "nom@exemple.fr.",
                    ),
                )
            )
    if fields.address is not None and _EMAIL.match(fields.address):
        domain = domain_of(fields.address)
        if domain not in verified_domains:
            known = ", ".join(sorted(verified_domains))
            problems.append(
                SenderProblem(
                    "address",
                    Text(
                        en=f"{domain} is not a domain verified for sending, so mail from it "
                        "would be marked as spam or refused. "
                        + (
                            f"Use an address on {known}, "
                            if known
                            else "No domain is verified yet: ask your app's operator to verify "
                            "yours (SPF, DKIM and DMARC), "
                        )
                        + "or leave the address empty: your emails then go from the app's "
                        "address, under your shop's name, with your reply-to.",
                        fr=f"{domain} n'est pas un domaine vérifié pour l'envoi : un e-mail qui "
                        "en viendrait serait classé en spam ou refusé. "
                        + (
                            f"Utilisez une adresse sur {known}, "
                            if known
                            else "Aucun domaine n'est encore vérifié : demandez à l'opérateur de "
                            "l'application de vérifier le vôtre (SPF, DKIM et DMARC), "
                        )
                        + "ou laissez l'adresse vide : vos e-mails partent alors de l'adresse "
                        "de l'application, au nom de votre boutique, avec votre adresse de "
                        "réponse.",
                    ),
                )
            )
    if fields.logo_url is not None and not (
        fields.logo_url.startswith("https://") and not _CONTROL.search(fields.logo_url)
    ):
        problems.append(
            SenderProblem(
                "logo_url",
                Text(
                    en="The logo must be an image address starting with https:// (mail "
                    "clients block others), e.g. your logo's link in Shopify's Files.",
                    fr="Le logo doit être l'adresse d'une image commençant par https:// (les "
                    "messageries bloquent les autres), par exemple le lien de votre logo dans "
                    "les Fichiers de Shopify.",
                ),
            )
        )
    if fields.brand_color is not None and not _COLOR.match(fields.brand_color):
        problems.append(
            SenderProblem(
                "brand_color",
                Text(
                    en="Write the brand colour as # and six hexadecimal digits, e.g. #1f6feb.",
                    fr="Écrivez la couleur de marque sous la forme # suivi de six chiffres "
                    "hexadécimaux, par exemple #1f6feb.",
                ),
            )
        )
    return problems


def apply_fields(shop: Shop, fields: SenderFields, verified_domains: frozenset[str]) -> None:
    """Store the fields on the shop, or raise SenderRefused with every problem."""
    problems = check_fields(fields, verified_domains)
    if problems:
        raise SenderRefused(problems)
    shop.sender_name = fields.name
    shop.sender_reply_to = fields.reply_to
    shop.sender_address = fields.address.lower() if fields.address else None
    shop.logo_url = fields.logo_url
    shop.brand_color = fields.brand_color.lower() if fields.brand_color else None


@dataclass(frozen=True)
class Sender:
    """The headers an email of the shop carries."""

    from_header: str
    reply_to: str | None
    # Whether the shop's own address is used (on a verified domain), or the operator's.
    own_address: bool


def display_name(shop: Shop) -> str:
    return shop.sender_name or shop.name or shop.domain


def sender_of(shop: Shop, operator_from: str, verified_domains: frozenset[str]) -> Sender:
    """The From and Reply-To of the shop's mail. An address whose domain is not (or no
    longer) verified is never used: the operator's address then carries the shop's name."""
    own = shop.sender_address
    if own and domain_of(own) in verified_domains:
        address = own
    else:
        own = None
        address = parseaddr(operator_from)[1] or "no-reply@boomerang.invalid"
    # Address() quotes and encodes the name as RFC 5322 asks (commas, non-ASCII).
    header = str(Address(display_name=display_name(shop), addr_spec=address))
    reply_to = shop.sender_reply_to or shop.email
    return Sender(
        from_header=header,
        reply_to=reply_to or None,
        own_address=own is not None,
    )
