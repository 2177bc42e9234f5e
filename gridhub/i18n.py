"""Words in the people's language: one gettext catalogue per language (zh-CN first, English
as a switch), for what members receive and for the pages.

The catalogues are ``gridhub/locale/<lang>/LC_MESSAGES/gridhub.po``, read with Babel. Their
message ids are keys (``alert.sensor_warning``, ``page.sign_in``) with ``{name}``
placeholders; the pages get the same catalogue as JSON from ``/api/v1/i18n/{lang}``.
"""

import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT_LANGUAGE = "zh-CN"
TRANSLATED_ARGS = {
    "level": "severity",
    "severity": "severity",
    "kind": "kind",
    "status": "camera_status",
    "role": "role",
}
"""Arguments that are themselves words to translate: ``level=red`` reads 红色 in zh-CN."""


def language_of(wanted: str | None) -> str:
    """The supported language closest to ``wanted`` (``zh``, ``zh_CN``, ``en-US``…)."""
    if wanted:
        base = wanted.replace("_", "-").lower()
        for language in LANGUAGES:
            if base == language.lower() or base.split("-")[0] == language.lower().split("-")[0]:
                return language
    return DEFAULT_LANGUAGE


@cache
def _catalogue(language: str) -> Catalog:
    """The catalogue file of ``language``, read once (the files do not change)."""
    locale = language.replace("-", "_")
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "gridhub.po").open("rb") as f:
        return read_po(f, locale=locale)


@cache
def translations(language: str) -> Translations:
    """The catalogue of ``language`` compiled, as ``pybabel compile`` would, in memory."""
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue(language))
    compiled.seek(0)
    return Translations(fp=compiled)


def text(language: str, key: str, args: Mapping[str, Any] | None = None) -> str:
    """The message ``key`` in ``language``, filled with ``args`` (words among them translated
    too, and an argument given as ``{language: text}`` read in ``language``); the key itself
    when no catalogue has it, so that nothing is ever blank."""
    language = language_of(language)
    words = translations(language)
    template = words.gettext(key)
    if not args:
        return template
    filled = {name: _word(words, language, name, value) for name, value in args.items()}
    try:
        return template.format_map(filled)
    except (KeyError, IndexError, ValueError):
        return template


def _word(words: Translations, language: str, name: str, value: Any) -> Any:
    if isinstance(value, Mapping):  # given in every language (a configured name)
        return value.get(language) or next(iter(value.values()), "")
    group = TRANSLATED_ARGS.get(name)
    if group is None or not isinstance(value, str):
        return "" if value is None else value
    key = f"{group}.{value}"
    translated = words.gettext(key)
    return value if translated == key else translated


@cache
def page_catalogue(language: str) -> dict[str, str]:
    """Every message of ``language`` as ``{key: text}``, for the pages."""
    return {str(m.id): str(m.string or m.id) for m in _catalogue(language) if m.id}
