"""What win-back says and how it ranks, as one `engine.Content`: default emails per (step,
locale) in English and French, the timeline's wording of its kinds, the labels of why a
customer was selected and why a run stopped, its priority (the lowest: nothing about it is
urgent), what its codes are for and their title in Shopify's admin.

Step variables besides every email's: discount_code and discount_expires_at (step 1's pooled
code; the reminder repeats the same code), last_order_at."""

from __future__ import annotations

from app.codes.offers import CodePurpose
from app.i18n import Locale, Text
from app.messaging.defaults import TemplateSource
from app.messaging.structured import (
    CodeSubject,
    Frame,
    StructuredDefault,
    compile_template,
)
from app.scenarios.email_parts import greeting_fields
from app.scenarios.engine import Content
from app.scenarios.winback.rule import STARTED_LAPSED, SkipReason

KEY = "winback"
# Below every other scenario: a cart reminder or a welcome due the same day goes first.
PRIORITY = 10
# How an order is attributed to a win-back: it came after an email of the run was sent.
ATTRIBUTED = "attributed_via_winback_email"

# A run started in dry run meets its next step after the merchant left dry run: it was a
# rehearsal, and stops (the live walk starts the customer's real win-back).
DRY_RUN_OVER = "winback_dry_run_over"

REASONS: dict[str, Text] = {
    DRY_RUN_OVER: Text(
        en="Started in simulation, which is over: the live win-back starts on its own",
        fr="Démarrée en simulation, désormais terminée : la reconquête réelle démarre d'elle-même",
    ),
    STARTED_LAPSED: Text(
        en="The customer has not ordered for longer than usual",
        fr="Le client n'a pas commandé depuis plus longtemps que d'habitude",
    ),
    SkipReason.SHOP_UNINSTALLED: Text(
        en="The shop uninstalled Boomerang", fr="La boutique a désinstallé Boomerang"
    ),
    SkipReason.CUSTOMER_REDACTED: Text(
        en="The customer's data was erased at the shop's request",
        fr="Les données du client ont été effacées à la demande de la boutique",
    ),
    SkipReason.NO_EMAIL: Text(
        en="The customer has no email address", fr="Le client n'a pas d'adresse e-mail"
    ),
    SkipReason.NO_MARKETING_CONSENT: Text(
        en="The customer has not agreed to marketing emails",
        fr="Le client n'a pas accepté les e-mails marketing",
    ),
    SkipReason.NEVER_ORDERED: Text(
        en="The customer has never ordered", fr="Le client n'a jamais commandé"
    ),
    SkipReason.NOT_LAPSED: Text(
        en="The customer ordered recently", fr="Le client a commandé récemment"
    ),
    SkipReason.RECENT_WIN_BACK: Text(
        en="The customer already had a win-back offer recently",
        fr="Le client a déjà reçu une offre de reconquête récemment",
    ),
    SkipReason.CUSTOMER_ORDERED: Text(
        en="The customer ordered again", fr="Le client a de nouveau commandé"
    ),
    ATTRIBUTED: Text(
        en="The customer ordered after a win-back email was sent",
        fr="Le client a commandé après l'envoi d'un e-mail de reconquête",
    ),
}


# Win-back's own words for the generic timeline kinds.
KINDS: dict[str, Text] = {
    "started": Text(en="Win-back started", fr="Reconquête démarrée"),
    "not_started": Text(en="Win-back not started", fr="Reconquête non démarrée"),
    "step_queued": Text(en="Win-back email queued for sending", fr="E-mail de reconquête en file"),
    "step_drafted": Text(
        en="Win-back email drafted (dry run)", fr="E-mail de reconquête préparé (simulation)"
    ),
    "step_awaiting_approval": Text(
        en="Win-back email waiting for your approval",
        fr="E-mail de reconquête en attente de votre validation",
    ),
    "step_suppressed": Text(en="Win-back email not sent", fr="E-mail de reconquête non envoyé"),
    "stopped": Text(en="Win-back stopped", fr="Reconquête arrêtée"),
    "recovered": Text(en="Customer won back", fr="Client reconquis"),
}


def _email(
    locale: Locale,
    subject: str | CodeSubject,
    preheader: str,
    heading: str,
    lead: str,
    label: str,
) -> StructuredDefault:
    code_subject = subject if isinstance(subject, CodeSubject) else None
    return StructuredDefault(
        greeting_fields(
            locale,
            subject=code_subject.with_code if code_subject is not None else str(subject),
            preheader=preheader,
            heading=heading,
            lead=lead,
            label=label,
            show_code=True,
        ),
        Frame(link="shop_url", code_subject=code_subject),
    )


# By (1-based step, locale): step 1 the offer, step 2 the reminder; as the template editor's
# fields, and the templates they compile into (what a new shop sends).
EMAILS: dict[tuple[int, Locale], StructuredDefault] = {
    (1, "en"): _email(
        "en",
        "We miss you at {{ shop_name }}",
        "An offer just for you.",
        "We miss you",
        "It has been a while since we last saw you. To welcome you back, here is an offer "
        "just for you.",
        "Come back to the shop",
    ),
    (1, "fr"): _email(
        "fr",
        "Vous nous manquez chez {{ shop_name }}",
        "Une offre rien que pour vous.",
        "Vous nous manquez",
        "Cela fait un moment que nous ne vous avons pas vu. Pour votre retour, voici une "
        "offre rien que pour vous.",
        "Revenir à la boutique",
    ),
    (2, "en"): _email(
        "en",
        CodeSubject(
            "Your offer at {{ shop_name }} ends soon", "Still here for you at {{ shop_name }}"
        ),
        "Your offer is still waiting for you.",
        "A quick reminder",
        "A quick reminder: your offer is still waiting for you.",
        "Use it now",
    ),
    (2, "fr"): _email(
        "fr",
        CodeSubject(
            "Votre offre chez {{ shop_name }} expire bientôt",
            "Toujours là pour vous chez {{ shop_name }}",
        ),
        "Votre offre vous attend encore.",
        "Un petit rappel",
        "Un petit rappel : votre offre vous attend encore.",
        "J'en profite",
    ),
}
TEMPLATES: dict[tuple[int, Locale], TemplateSource] = {
    key: compile_template(email.fields, email.frame, key[1]) for key, email in EMAILS.items()
}

CONTENT = Content(
    templates=TEMPLATES,
    emails=EMAILS,
    kinds=KINDS,
    reasons=REASONS,
    priority=PRIORITY,
    code_purpose=CodePurpose.WIN_BACK,
    discount_title=Text(en="Boomerang: win-back offer", fr="Boomerang : offre de reconquête"),
)
