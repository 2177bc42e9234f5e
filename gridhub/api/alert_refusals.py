"""An alert action's refusals as HTTP answers, the same on every route that acts on alerts."""

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException, status
from sqlalchemy.orm import Session

from gridhub.alerts.actions import NotARecipient, UnknownAlert
from gridhub.alerts.lifecycle import IllegalTransition
from gridhub.scope import OutOfScope


@contextmanager
def refused_as_http(session: Session, alert_id: int) -> Iterator[None]:
    """Roll back and answer: 403 beyond the caller (scope, not sent to them), 409 with the
    state now, 404 for no such alert, 422 for a value refused."""
    try:
        yield
    except (OutOfScope, NotARecipient) as exc:
        session.rollback()
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except IllegalTransition as exc:
        session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT, {"message": str(exc), "status": exc.state}
        ) from None
    except UnknownAlert:
        session.rollback()
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}") from None
    except ValueError as exc:
        session.rollback()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
