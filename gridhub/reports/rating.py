"""Residents rate a done report once: 满意, 基本满意 or 不满意, with a comment."""

from datetime import datetime

from gridhub.reports import states
from gridhub.reports.models import Report

MAX_COMMENT = 500


class CannotRate(ValueError):
    """Not yet done, or rated already; the message says which."""


def rate(report: Report, rating: str, comment: str | None, now: datetime) -> None:
    """Record the holder's rating (the caller has checked the tracking code)."""
    if rating not in states.RATINGS:
        raise ValueError(f"rating must be one of {', '.join(states.RATINGS)}")
    if report.state != states.DONE:
        raise CannotRate(f"report {report.id} is not done yet; rate it once it is")
    if report.rating is not None:
        raise CannotRate(f"report {report.id} was rated already")
    report.rating = rating
    report.rating_comment = (comment or "").strip()[:MAX_COMMENT] or None
    report.rated_at = now
