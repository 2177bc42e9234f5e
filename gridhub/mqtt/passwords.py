"""Broker password hashes in Mosquitto 2's ``$7$`` format (PBKDF2-SHA512), made with hashlib.

One hash serves both brokers: Mosquitto reads it from its password file, and the embedded
amqtt fallback verifies it here. The format, as ``mosquitto_passwd`` writes it:
``$7$<iterations>$<base64 salt>$<base64 PBKDF2-SHA512 digest>``.
"""

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "$7$"
ITERATIONS = 10_000
"""About 10 ms per check on a small machine: each CONNECT pays it once, so a town's few hundred
devices reconnecting after a restart cost the broker seconds, while a leaked hash costs an
attacker 100 times what ``mosquitto_passwd``'s default of 101 iterations would."""
SALT_BYTES = 12  # what mosquitto_passwd uses
DIGEST_BYTES = 64  # SHA-512


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, DIGEST_BYTES)
    return f"{PREFIX}{iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches a ``$7$`` hash; any other or malformed hash never matches."""
    parts = password_hash.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except binascii.Error:
        return False
    iterations = int(parts[2])
    if not 0 < iterations <= 10 * ITERATIONS or len(expected) != DIGEST_BYTES:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, DIGEST_BYTES)
    return hmac.compare_digest(digest, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
