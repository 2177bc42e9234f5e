"""``/api/v1/auth``: sign in with a password for a bearer token; who am I."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from gridhub.api.deps import API_PREFIX, CurrentUser, SessionDep, SettingsDep, unauthorized
from gridhub.api.schemas import MeOut, TokenOut
from gridhub.api.security import create_access_token
from gridhub.api.users import authenticate
from gridhub.db import utcnow

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])


@router.post("/token")
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    """Exchange a username and password (OAuth2 password form) for a bearer token."""
    user = authenticate(session, form.username, form.password)
    if user is None:
        raise unauthorized("wrong username or password, or user disabled")
    session.commit()  # a rehashed password, if argon2's parameters were raised
    access_token, expires_in = create_access_token(settings, user.id, utcnow())
    return TokenOut(access_token=access_token, expires_in=expires_in)


@router.get("/me")
def me(user: CurrentUser) -> MeOut:
    """The signed-in user, their role and scope."""
    return MeOut.model_validate(user)
