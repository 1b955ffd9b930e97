"""What can go wrong with a review, said to the customer (or the merchant) in their language.
Each refusal leaves nothing stored."""

from __future__ import annotations

from app.errors import BoomerangError, InvalidRequest, NotFound
from app.i18n import Text


class ReviewRefused(InvalidRequest):
    """Bad input on the form: the page says why, next to what to fix."""


class PhotoRefused(ReviewRefused):
    status_code = 422


class PhotoTooLarge(PhotoRefused):
    status_code = 413


class LinkInvalid(BoomerangError):
    """A forged, altered or unknown review link."""

    status_code = 404


class LinkExpired(BoomerangError):
    status_code = 410


class AlreadyReviewed(BoomerangError):
    """This link already reviewed this product and the 24 hours to edit have passed."""

    status_code = 409


class ReviewNotFound(NotFound):
    pass


LINK_INVALID = Text(
    en="This review link is not valid. Open the link from your email again, without changing it.",
    fr="Ce lien d'avis n'est pas valide. Ouvrez à nouveau le lien de votre e-mail, sans le "
    "modifier.",
)
LINK_EXPIRED = Text(
    en="This review link has expired. Contact the shop if you still want to leave a review.",
    fr="Ce lien d'avis a expiré. Contactez la boutique si vous souhaitez encore laisser un avis.",
)
ORDER_GIVEN_BACK = Text(
    en="This order was cancelled or refunded, so it can no longer be reviewed.",
    fr="Cette commande a été annulée ou remboursée : elle ne peut plus recevoir d'avis.",
)
ALREADY_REVIEWED = Text(
    en="You already reviewed this product with this link, and reviews can only be edited "
    "within 24 hours.",
    fr="Vous avez déjà donné votre avis sur ce produit avec ce lien, et un avis ne peut être "
    "modifié que dans les 24 heures.",
)
NOT_IN_ORDER = Text(
    en="This product is not part of the order this link is for.",
    fr="Ce produit ne fait pas partie de la commande concernée par ce lien.",
)
