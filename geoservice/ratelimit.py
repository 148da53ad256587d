"""How long a client must wait: the rule shared by failed logins and residents'
proposals (the events themselves are counted in the store, for every replica)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def retry_after(events: list[str], limit: int, window: timedelta) -> int | None:
    """Seconds until one of the ``events`` (ISO dates, oldest first, within the window)
    leaves the window, when there are ``limit`` or more; None when the client may go on."""
    if len(events) < limit:
        return None
    oldest = datetime.fromisoformat(events[-limit])
    return max(1, int((oldest + window - datetime.now(UTC)).total_seconds()) + 1)
