"""A camera's registered login, applied at the moment the camera is opened and nowhere else.

Most cameras (Hikvision, Dahua, …) ask for a login on RTSP as well as on ONVIF. The login is
registered once (its password encrypted at rest) and put into the stream's URL only in the
call that opens it, so it is never stored in a URL, logged or returned. When a stream does
not open, an RTSP DESCRIBE through aiortsp (a maintained asyncio RTSP client speaking Basic
and Digest) tells a refused login from any other failure, so health can say which it is.
"""

import asyncio
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

from aiortsp.rtsp.connection import RTSPConnection
from aiortsp.rtsp.errors import RTSPError, RTSPResponseError

RTSP_PORT = 554
LOGIN_FAILED = "login failed: the camera refused the registered user name and password"
LOGIN_NEEDED = "login needed: the camera asks for a user name and password, none is registered"


@dataclass(frozen=True, slots=True)
class Login:
    user: str
    password: str = field(repr=False)


def with_login(url: str, login: Login | None) -> str:
    """``url`` with the login as its user info, for the open call only (RTSP URLs that carry
    none of their own; others are returned as they are)."""
    parts = urlsplit(url)
    if login is None or parts.scheme not in ("rtsp", "rtsps") or "@" in parts.netloc:
        return url
    user_info = f"{quote(login.user, safe='')}:{quote(login.password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{user_info}@{parts.netloc}"))


def login_problem(url: str, login: Login | None, timeout_s: float) -> str | None:
    """Why the RTSP server refuses to describe ``url`` for this login (it answers 401), or
    None when the login is not what is wrong. Blocking: call it from a thread or process."""
    parts = urlsplit(url)
    if parts.scheme != "rtsp" or not parts.hostname:
        return None
    try:
        status = asyncio.run(
            _describe_status(url, parts.hostname, parts.port or RTSP_PORT, login, timeout_s)
        )
    except (RTSPError, OSError, TimeoutError):
        return None  # unreachable: the caller's own reason says so
    if status != 401:
        return None
    return LOGIN_FAILED if login is not None else LOGIN_NEEDED


async def _describe_status(
    url: str, host: str, port: int, login: Login | None, timeout_s: float
) -> int:
    user, password = (login.user, login.password) if login else (None, None)
    async with asyncio.timeout(timeout_s):
        async with RTSPConnection(host, port, user, password, timeout=timeout_s) as connection:
            try:
                response = await connection.send_request(
                    "DESCRIBE", url, headers={"Accept": "application/sdp"}
                )
            except RTSPResponseError as exc:
                if exc.response is None:
                    raise
                return int(exc.response.status)
            return int(response.status)
