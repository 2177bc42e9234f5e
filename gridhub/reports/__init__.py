"""Residents' reports (村民说事): intake (the phone page, Open311), routing to handlers, the
resident-facing state of each work order, the public board, ratings and monthly figures."""
