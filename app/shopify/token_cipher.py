"""Shopify tokens encrypted at rest with MultiFernet: encrypt with the newest key, decrypt with
any, rotate old ciphertexts to the newest key (TOKEN_ENCRYPTION_KEYS, newest first)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.errors import BoomerangError
from app.i18n import Text
from app.settings import Settings


class TokenDecryptionFailed(BoomerangError):
    """A stored token cannot be decrypted with any configured key."""

    def __init__(self) -> None:
        super().__init__(
            Text(
                en="A stored Shopify token cannot be decrypted: keep the key it was written "
                "with in TOKEN_ENCRYPTION_KEYS (newest first) until `boomerang rotate-keys` has "
                "run.",
                fr="Un jeton Shopify enregistré ne peut pas être déchiffré : gardez la clé avec "
                "laquelle il a été chiffré dans TOKEN_ENCRYPTION_KEYS (la plus récente en "
                "premier) jusqu'à ce que `boomerang rotate-keys` ait tourné.",
            )
        )


class TokenCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("TOKEN_ENCRYPTION_KEYS holds no key")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        raw = settings.token_encryption_keys.get_secret_value()
        return cls([key.strip() for key in raw.split(",") if key.strip()])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenDecryptionFailed from None

    def rotate(self, ciphertext: str) -> str:
        """The same secret re-encrypted with the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenDecryptionFailed from None
