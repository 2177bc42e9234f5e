"""The challenge a post without an API key must answer: an ALTCHA proof of work, made and
checked here (no third party, works with no internet), each good for one report.

The page's phone finds the number behind the challenge in about a second; a flood of posts
must pay that for every one, on top of the rate limits. No puzzle to read: elderly villagers
are not asked to prove they are human.
"""

import base64
from datetime import datetime, timedelta
from typing import Any, Final

import orjson
from altcha import ChallengeOptionsV1, create_challenge_v1, verify_solution_v1
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridhub.config.reports import ReportsConfig
from gridhub.reports.models import UsedChallenge

ALGORITHM: Final = "SHA-256"


class BadChallenge(ValueError):
    """The challenge's answer is missing, wrong, expired or used before."""


def new_challenge(config: ReportsConfig, secret: str, now: datetime) -> dict[str, Any]:
    """A challenge as ALTCHA's widget and solvers expect it (``algorithm``, ``challenge``,
    ``maxnumber``, ``salt``, ``signature``)."""
    options = ChallengeOptionsV1(
        algorithm=ALGORITHM,
        max_number=config.challenge_max_number,
        hmac_key=secret,
        expires=now + timedelta(seconds=config.challenge_ttl_s),
    )
    made = create_challenge_v1(options)
    return {**made.to_dict(), "maxnumber": made.max_number}


def verify_answer(config: ReportsConfig, secret: str, payload: str | None) -> str | None:
    """The challenge ``payload`` (ALTCHA's base64 solution) answers, if it is this hub's and
    unexpired; BadChallenge otherwise. None when no challenge is asked (max number 0)."""
    if config.challenge_max_number == 0:
        return None
    if not payload:
        raise BadChallenge(
            "answer a challenge (GET /open311/v2/challenge.json) in 'altcha', or send an api_key"
        )
    ok, error = verify_solution_v1(payload, secret, check_expires=True)
    if not ok:
        raise BadChallenge(f"the challenge was not answered: {error or 'wrong number'}")
    return _challenge_of(payload)


def spend(session: Session, challenge: str, config: ReportsConfig, now: datetime) -> None:
    """Mark ``challenge`` used (in the report's transaction); BadChallenge if it was."""
    session.execute(delete(UsedChallenge).where(UsedChallenge.expires_at < now))
    expires = now + timedelta(seconds=config.challenge_ttl_s)
    try:
        with session.begin_nested():
            session.add(UsedChallenge(challenge=challenge, expires_at=expires))
    except IntegrityError:
        raise BadChallenge("this challenge was used already; get a new one") from None


def _challenge_of(payload: str) -> str:
    return str(orjson.loads(base64.b64decode(payload))["challenge"])[:128]
