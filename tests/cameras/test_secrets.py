"""Camera credentials at rest: sealed with the hub's key, unreadable with another."""

import pytest

from gridhub.cameras.secrets import CredentialBox, SecretError


def test_sealed_password_opens_only_with_the_same_key():
    box = CredentialBox("the hub's secret key, 32 chars..")
    sealed = box.seal("admin123")
    assert "admin123" not in sealed and sealed != box.seal("admin123")  # fresh IV each time
    assert CredentialBox("the hub's secret key, 32 chars..").open(sealed) == "admin123"
    with pytest.raises(SecretError, match="secret key changed"):
        CredentialBox("another key entirely, 32 chars..").open(sealed)
