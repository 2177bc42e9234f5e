"""``/api/v1/auth``: sign in with a password for a bearer token; who am I."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from gridhub.api.deps import API_PREFIX, CurrentUser, SessionDep, SettingsDep, unauthorized
from gridhub.api.schemas import MeOut, TokenOut
from gridhub.api.security import create_access_token
from gridhub.api.signin_throttle import SigninLimits, Throttled
from gridhub.api.users import access_claims, sign_in
from gridhub.db import utcnow

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])

UNKNOWN_ADDRESS = "unknown"
"""Counted for a client the server names no address of (a Unix socket)."""

TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {"description": "Wrong username or password, or user disabled."},
    status.HTTP_429_TOO_MANY_REQUESTS: {
        "description": "Too many failed sign-ins of this name, or from this address, lately. "
        "The password was not checked.",
        "headers": {
            "Retry-After": {
                "description": "Seconds until a try is counted again.",
                "schema": {"type": "integer"},
            }
        },
    },
}


@router.post("/token", responses=TOKEN_RESPONSES)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    """Exchange a username and password (OAuth2 password form) for a bearer token."""
    # Behind a trusted reverse proxy, uvicorn has put the forwarded client here.
    address = request.client.host if request.client else UNKNOWN_ADDRESS
    limits = SigninLimits.of(settings.api)
    try:
        user = sign_in(session, limits, form.username, form.password, address, utcnow())
    except Throttled as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=str(exc),
            headers={"Retry-After": str(exc.retry_after_s)},
        ) from None
    if user is None:
        raise unauthorized("wrong username or password, or user disabled")
    access_token, expires_in = create_access_token(settings, access_claims(user), utcnow())
    return TokenOut(access_token=access_token, expires_in=expires_in)


@router.get("/me")
def me(user: CurrentUser) -> MeOut:
    """The signed-in user, their role and scope."""
    return MeOut.model_validate(user)
