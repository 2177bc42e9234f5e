"""The catalogues: both languages say everything, and what members read names things the way
people call them."""

import string

import pytest

from gridhub import i18n


def test_both_catalogues_hold_the_same_keys_with_the_same_placeholders():
    zh, en = i18n.page_catalogue("zh-CN"), i18n.page_catalogue("en")
    assert zh.keys() == en.keys()
    for key in zh:
        assert sorted(_fields(zh[key])) == sorted(_fields(en[key])), key


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def test_a_water_level_warning_reads_as_people_say_it():
    args = {"sensor": "柳湾河3号水位站", "level": "red", "kind": "water_level"}
    args |= {"value": "21.3", "unit": "m"}
    assert i18n.text("zh-CN", "alert.sensor_warning_value", args) == (
        "柳湾河3号水位站 红色水位预警（水位 21.3 m）"
    )
    assert i18n.text("en", "alert.sensor_warning_value", args) == (
        "Red water level warning at 柳湾河3号水位站 (water level 21.3 m)"
    )


LENIENT = [("zh", "zh-CN"), ("zh_CN", "zh-CN"), ("en-US", "en"), (None, "zh-CN"), ("fr", "zh-CN")]


@pytest.mark.parametrize(("asked", "got"), LENIENT)
def test_languages_are_matched_leniently(asked, got):
    assert i18n.language_of(asked) == got


def test_an_unknown_word_stays_readable():
    assert i18n.text("zh-CN", "alert.area_warning", {"level": "red", "kind": "landslide"}) == (
        "红色landslide预警"
    )
    assert i18n.text("en", "no.such.key") == "no.such.key"
