"""The shared secret box: sealing, keys, following a rotation, and what a URL shows."""

import os
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gridhub.config import load_settings
from gridhub.secrets import (
    KEYS_FILE,
    SecretBox,
    SecretError,
    derived_key,
    read_keys,
    redact_url,
    write_keys,
)


def test_a_sealed_secret_opens_only_with_the_same_key():
    box = SecretBox([derived_key("the hub's secret key, 32 chars..")])
    sealed = box.seal("admin123")
    assert "admin123" not in sealed and sealed != box.seal("admin123")  # fresh IV each time
    assert SecretBox([derived_key("the hub's secret key, 32 chars..")]).open(sealed) == "admin123"
    with pytest.raises(SecretError, match="cannot be decrypted"):
        SecretBox([derived_key("another key entirely, 32 chars..")]).open(sealed)
    with pytest.raises(SecretError, match="written in clear"):
        box.open("rtsp://admin:admin123@10.0.0.5/main")


def test_without_a_keys_file_the_key_is_the_one_camera_credentials_always_used(tmp_path):
    settings = load_settings(data_dir=tmp_path, secret_key="k" * 32)
    box = SecretBox.for_settings(settings)
    assert box.keys == (derived_key("k" * 32),)
    write_keys(tmp_path / KEYS_FILE, [new := Fernet.generate_key()])
    assert SecretBox.for_settings(settings).keys == (new,)


def test_a_running_box_follows_a_rotation_of_the_keys_file(tmp_path: Path):
    path = tmp_path / KEYS_FILE
    old, new = Fernet.generate_key(), Fernet.generate_key()
    write_keys(path, [old])
    running = SecretBox(read_keys(path), path)
    before = running.seal("wecombot://key")
    write_keys(path, [new, old])
    os.utime(path, ns=(1, 1))  # a rotation within the clock's tick still reads as a change
    after = running.seal("wecombot://key")
    assert SecretBox([new]).open(after) == "wecombot://key"  # sealed with the new key now
    write_keys(path, [new])
    os.utime(path, ns=(2, 2))
    assert running.open(after) == "wecombot://key"
    running.seal("json://h/sms")  # the next seal takes up the file: the old key is dropped
    with pytest.raises(SecretError):
        running.open(before)


def test_the_keys_file_is_private_and_replaced_whole(tmp_path: Path):
    path = tmp_path / "data" / KEYS_FILE
    write_keys(path, [Fernet.generate_key()])
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir()] == [KEYS_FILE]  # no draft left behind


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtsp://admin:Pa55@10.0.0.5:554/Streaming/Channels/101", "rtsp://…@10.0.0.5:554/…"),
        ("rtsp://10.0.0.5/live", "rtsp://10.0.0.5/…"),
        ("http://10.0.0.5", "http://10.0.0.5"),
        ("https://oapi.dingtalk.com/robot/send?access_token=abc", "https://oapi.dingtalk.com/…"),
        ("dingtalk://SECxyz@tokenabc/13800000000", "dingtalk://…"),
        ("wecombot://key-693a91f6", "wecombot://…"),
        ("mailto://user:pass@example.com", "mailto://…"),
        ("json://sms:Pa55@[::1]:8080/sms", "json://…@[::1]:8080/…"),
        ("mqtt://hub:Pa55@broker:1883", "mqtt://…"),
        ("not a url", "…"),
        ("http://[::1/bad", "…"),
    ],
)
def test_a_redacted_url_keeps_only_scheme_and_address(url: str, shown: str):
    assert redact_url(url) == shown


def test_threads_opening_side_by_side_all_take_up_a_rotation(tmp_path: Path):
    """The dispatcher's channel threads open URLs at once, just after a rotation."""
    path = tmp_path / KEYS_FILE
    running = SecretBox([derived_key("k" * 32)], path)
    new = Fernet.generate_key()
    sealed = SecretBox([new]).seal("json://sms:pass@10.0.0.9/sms")
    write_keys(path, [new])
    barrier = threading.Barrier(16)
    opened: list[str] = []

    def open_it() -> None:
        barrier.wait()
        opened.append(running.open(sealed))

    threads = [threading.Thread(target=open_it) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert opened == ["json://sms:pass@10.0.0.9/sms"] * 16
