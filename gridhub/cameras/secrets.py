"""Camera credentials encrypted at rest with Fernet, keyed from the hub's secret key."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

# A fixed context string so the camera key differs from keys other areas derive from the secret.
KEY_CONTEXT = b"gridhub/cameras/credentials/v1"


class SecretError(Exception):
    """A stored credential cannot be decrypted (the secret key changed?)."""


class CredentialBox:
    """Encrypts and decrypts camera passwords; built once from ``settings.secret()``."""

    def __init__(self, secret: str) -> None:
        digest = hashlib.sha256(KEY_CONTEXT + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            raise SecretError(
                "stored camera credential cannot be decrypted: was the hub's secret key changed?"
            ) from None
