"""Broker password hashes: Mosquitto's ``$7$`` format both ways (Mosquitto signing in users
with hashes made here is shown by test_access)."""

import subprocess
from pathlib import Path

import pytest

from gridhub.mqtt.passwords import ITERATIONS, hash_password, verify_password
from tests.support.mosquitto import mosquitto_passwd_binary
from tests.support.services import unavailable


def test_a_hash_written_by_mosquitto_passwd_verifies_here(tmp_path: Path) -> None:
    tool = mosquitto_passwd_binary()
    if tool is None:
        unavailable("mosquitto_passwd is not installed")
    path = tmp_path / "passwd"
    subprocess.run([tool, "-c", "-b", str(path), "W1", "密码 with spaces:1"], check=True)
    written = path.read_text().strip().split(":", 1)[1]
    assert written.startswith("$7$")
    assert verify_password("密码 with spaces:1", written)
    assert not verify_password("密码 with spaces:2", written)


def test_hashes_are_salted_and_hold_no_password() -> None:
    first, second = hash_password("w1-secret-pass"), hash_password("w1-secret-pass")
    assert first != second and "w1-secret-pass" not in first
    assert first.startswith(f"$7${ITERATIONS}$")
    assert verify_password("w1-secret-pass", first) and verify_password("w1-secret-pass", second)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "w1-secret-pass",
        "$6$c2FsdA==$aGFzaA==",
        "$7$abc$c2FsdA==$aGFzaA==",
        "$7$101$not base64$aGFzaA==",
        "$7$101$c2FsdA==$aGFzaA==",  # a digest of the wrong length
        hash_password("w1-secret-pass").replace(f"${ITERATIONS}$", "$999999999$"),
    ],
    ids=["empty", "plain", "sha512-crypt", "bad rounds", "bad salt", "short digest", "huge"],
)
def test_anything_but_a_sound_hash_never_matches(stored: str) -> None:
    assert not verify_password("w1-secret-pass", stored)
