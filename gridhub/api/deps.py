"""Dependencies shared by the routers: the hub, settings, a session and the signed-in user."""

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.api.models import USER_ROLES, User
from gridhub.api.security import InvalidToken, decode_access_token, is_api_token
from gridhub.api.users import active_user, user_for_api_token
from gridhub.config import Settings
from gridhub.geo.models import Region
from gridhub.hub import Hub
from gridhub.scope import Scope


# Dependencies that do no I/O are ``async``: FastAPI then runs them on the event loop
# instead of sending each through the thread pool, a hop that costs more than they do.
async def get_hub(request: Request) -> Hub:
    return request.app.state.hub


HubDep = Annotated[Hub, Depends(get_hub)]


async def get_settings(hub: HubDep) -> Settings:
    return hub.settings


def get_session(hub: HubDep) -> Iterator[Session]:
    # Sync on purpose: FastAPI closes it in a thread outside the request threads' limit. An
    # async one closing through ``run_in_threadpool`` waits for a request thread while it
    # holds a connection, and under load every request thread waits for that connection.
    with hub.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]

API_PREFIX = "/api/v1"
TOKEN_URL = f"{API_PREFIX}/auth/token"
TOKEN_USE_RECORD_S = 60
"""Record an API token's last use at most this often: not a write on every request."""

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def scope_of(session: Session, user: User) -> Scope:
    """The user's scope: everything, or what lies under their region (nothing if it is gone)."""
    if user.scope is None:
        return Scope.everything()
    return Scope.under(session.scalar(select(Region.path).where(Region.code == user.scope)))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking and what they may see, resolved once per request."""

    user: User
    scope: Scope


def get_principal(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    """The signed-in user (a bearer sign-in token (JWT) of the user's current token version,
    or an API token; 401 otherwise) and their scope, in one transaction and one thread hop:
    every route needs both, and each hop and checkout costs more than the lookups."""
    if not token:
        raise unauthorized("not signed in: send Authorization: Bearer <token>")
    if is_api_token(token):
        user = user_for_api_token(session, token, min_interval_s=TOKEN_USE_RECORD_S)
    else:
        try:
            user = active_user(session, decode_access_token(settings, token))
        except InvalidToken as exc:
            raise unauthorized(f"invalid token: {exc}") from None
    scope = None if user is None else scope_of(session, user)
    # Besides recording an API token's use, ending the transaction hands the connection back
    # before the endpoint waits for a worker thread. Held across that wait, a burst of
    # requests can leave every worker thread waiting for a connection that a request
    # waiting for a thread holds.
    session.commit()
    if user is None or scope is None:
        raise unauthorized("token revoked, or user unknown or disabled")
    return Principal(user, scope)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_current_user(principal: PrincipalDep) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_scope(principal: PrincipalDep) -> Scope:
    return principal.scope


CurrentScope = Annotated[Scope, Depends(get_scope)]


def require_roles(*roles: str) -> Callable[[User], Awaitable[User]]:
    """A dependency letting through users with one of ``roles`` (admins always); 403 else."""
    allowed = frozenset(roles) | {"admin"}
    unknown = allowed - set(USER_ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(unknown)}")

    async def dependency(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {user.role!r} may not do this (needs {', '.join(sorted(allowed))})",
            )
        return user

    return dependency
