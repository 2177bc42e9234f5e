"""``/api/v1/i18n/{language}``: the catalogue of a language for the pages, as JSON."""

from fastapi import APIRouter, Response

from gridhub.api.deps import API_PREFIX, SettingsDep
from gridhub.i18n import LANGUAGES, Language, page_catalogue

router = APIRouter(prefix=API_PREFIX, tags=["i18n"])

CACHE_S = 3600
"""The catalogues change only with a new release of the hub."""


@router.get("/i18n")
def languages(settings: SettingsDep) -> dict[str, object]:
    """The languages the hub speaks, and the one pages show first."""
    return {"languages": list(LANGUAGES), "default": settings.language}


@router.get("/i18n/{language}")
def catalogue(language: Language, response: Response) -> dict[str, str]:
    """Every message key with its text in ``language`` (no sign-in: the sign-in page needs it)."""
    response.headers["Cache-Control"] = f"public, max-age={CACHE_S}"
    return page_catalogue(language)
