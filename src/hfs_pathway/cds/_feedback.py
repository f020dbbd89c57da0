"""What clinicians did with the cards, recorded without patient data.

The store remembers which kind of card (its topic code) each issued card uuid was, in every worker;
feedback is recorded as that code, the outcome, the override reason's coding and the timestamps. Free
text (``userComment``) may name the patient and is never kept: only whether one was given. Rows go to
the service's database (:mod:`._records`) before the answer is sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from ._models import FeedbackEntry
from ._records import Records
from ._store import Store

log = logging.getLogger("hfs_pathway.cds")


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


async def record_feedback(store: Store, records: Records, service_id: str, entries: list[FeedbackEntry]) -> int:
    """Record ``entries`` for ``service_id``; how many were recorded (all of them, or an exception)."""
    received = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []
    for entry in entries:
        card = entry.card.removeprefix("urn:uuid:").lower()
        issued = await store.card(card)
        reason = entry.overrideReason.reason if entry.overrideReason else None
        rows.append(
            {
                "received_at": received,
                "service": service_id,
                "card": card,
                "topic": issued[1] if issued and issued[0] == service_id else None,
                "outcome": entry.outcome,
                "accepted_suggestions": len(entry.acceptedSuggestions),
                "override_system": None if reason is None else reason.system,
                "override_code": None if reason is None else reason.code,
                "comment_given": bool(entry.overrideReason and entry.overrideReason.userComment),
                "outcome_timestamp": _utc(entry.outcomeTimestamp),
            }
        )
    await asyncio.to_thread(records.record_feedback, rows)
    for row in rows:
        log.info("feedback %s on a %s card (%s)", row["outcome"], row["topic"] or "unknown", service_id)
    return len(rows)
