"""The one shape of the API's error answers, documented on every route that can give them.

FastAPI answers an ``HTTPException`` with ``{"detail": "…"}`` and a request it cannot read with
``{"detail": [{"loc", "msg", "type", …}]}``; a conflict may carry the current state as an
object. ``ErrorOut`` names all three, and ``document`` writes it into the OpenAPI schema for
each status a route can answer, so a client (and schemathesis) knows every answer.
Open311 routes answer errors in the GeoReport v2 shape instead (a list of code and
description), as that standard requires.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError


class FieldError(BaseModel):
    """One thing wrong in a request: where (``loc``), what (``msg``), and its ``type``."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error answer: ``detail`` is a sentence, the list of fields wrong (422 on a
    request that does not fit the schema), or an object (409: the state that conflicts)."""

    detail: str | list[FieldError] | dict[str, Any]


class Open311ErrorOut(BaseModel):
    """One error of a GeoReport v2 answer (the body is a list of them)."""

    code: int
    description: str


DESCRIPTIONS = {
    400: "The request is malformed.",
    401: "Not signed in, or the token is no longer valid.",
    403: "The role or the scope does not allow this.",
    404: "Nothing of that name or id in the caller's scope.",
    409: "The request conflicts with the current state.",
    413: "The request is too large.",
    415: "The body is of a type the route does not read.",
    422: "The request does not fit the schema, or its values are refused.",
    429: "Too many requests: wait for Retry-After seconds.",
    502: "A device or service behind the hub (a camera, Frigate) failed or did not answer.",
    503: "A device or service behind the hub is not available now.",
    504: "A service behind the hub (Frigate) did not answer in time.",
}
PUBLIC = (404, 422)
SIGNED_IN = (401, 403, 404, 422)
"""What every route can answer, by whether it needs a signed-in user; a route lists its own
further statuses (409, 429, …) with ``responses=error_responses(…)``."""


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry of a route documenting its own further ``statuses``."""
    return {code: {"model": ErrorOut, "description": DESCRIPTIONS[code]} for code in statuses}


def document(app: FastAPI) -> None:
    """Have ``app``'s OpenAPI schema name, on every operation, the error statuses it can
    answer (a signed-in route: 401, 403, 404, 422; a public one: 404, 422) with their shape.

    Done on the generated schema, where an operation that needs a user carries ``security``.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ErrorOut, Open311ErrorOut):
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(found.pop("$defs", {}))
            components[model.__name__] = found
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                _document_operation(path, operation)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_operation(path: str, operation: dict[str, Any]) -> None:
    open311 = path.startswith("/open311/")
    shape: dict[str, Any] = (
        {"type": "array", "items": {"$ref": "#/components/schemas/Open311ErrorOut"}}
        if open311
        else {"$ref": "#/components/schemas/ErrorOut"}
    )
    media = ("application/json", "text/xml") if open311 else ("application/json",)
    responses = operation.setdefault("responses", {})
    statuses = SIGNED_IN if operation.get("security") else PUBLIC
    for code in sorted(
        {*statuses, *(int(key) for key in responses if key.isdigit() and key >= "400")}
    ):
        entry = responses.setdefault(str(code), {"description": DESCRIPTIONS.get(code, "")})
        entry["content"] = {kind: {"schema": shape} for kind in media}


def refuse_unstorable(app: FastAPI) -> None:
    """Answer 422 (not 500) to a request holding a value the store cannot keep: a NUL
    character in a text (PostgreSQL refuses it), a number out of a column's range.

    The request's session is rolled back when the error leaves the route, so nothing it did
    is kept. The handler runs inside the security-headers middleware, which adds them.
    """

    async def unstorable(_request: Request, exc: Exception) -> JSONResponse:
        orig = getattr(exc, "orig", None) or exc
        text = str(orig).strip().splitlines()
        reason = text[0] if text else type(orig).__name__
        body = ErrorOut(detail=f"a value the store cannot hold: {reason}")
        return JSONResponse(body.model_dump(), status_code=422)

    app.add_exception_handler(DataError, unstorable)
