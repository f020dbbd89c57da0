"""What clinicians did with the cards, kept without patient data.

The service remembers, for a while, which kind of card (its topic code) each card uuid it issued was;
feedback is recorded as that code, the outcome, the override reason's code and the timestamps. Free
text (``userComment``) may name the patient and is never kept: only whether one was given.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import Counter, OrderedDict, deque
from pathlib import Path
from typing import Any

from ._models import FeedbackEntry

log = logging.getLogger("hfs_pathway.cds")


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class IssuedCards:
    """The topic code of each recently issued card, by uuid (bounded; oldest forgotten first)."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._cards: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def add(self, service_id: str, cards: list[dict[str, Any]]) -> None:
        with self._lock:
            for card in cards:
                self._cards[card["uuid"]] = (service_id, card["source"]["topic"]["code"])
            while len(self._cards) > self._capacity:
                self._cards.popitem(last=False)

    def topic(self, card_uuid: str) -> tuple[str, str] | None:
        with self._lock:
            return self._cards.get(card_uuid.removeprefix("urn:uuid:"))


class FeedbackLog:
    """Recorded feedback entries (the latest ones in memory, all of them in a file when configured)."""

    def __init__(self, issued: IssuedCards, path: Path | None = None, keep: int = 10_000) -> None:
        self._issued = issued
        self._path = path
        self.entries: deque[dict[str, Any]] = deque(maxlen=keep)
        self.outcomes: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def record(self, service_id: str, entries: list[FeedbackEntry]) -> int:
        received = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = []
        for entry in entries:
            issued = self._issued.topic(entry.card)
            reason = entry.overrideReason.reason if entry.overrideReason else None
            rows.append(
                {
                    "service": service_id,
                    "card": entry.card.removeprefix("urn:uuid:"),
                    "topic": issued[1] if issued and issued[0] == service_id else None,
                    "outcome": entry.outcome,
                    "accepted_suggestions": len(entry.acceptedSuggestions),
                    "override_reason": None if reason is None else {"system": reason.system, "code": reason.code},
                    "comment_given": bool(entry.overrideReason and entry.overrideReason.userComment),
                    "outcome_timestamp": _utc(entry.outcomeTimestamp),
                    "received": received,
                }
            )
        with self._lock:
            for row in rows:
                self.entries.append(row)
                self.outcomes[(str(row["topic"]), str(row["outcome"]))] += 1
                log.info("feedback %s on a %s card (%s)", row["outcome"], row["topic"] or "unknown", service_id)
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as out:
                    out.writelines(json.dumps(row) + "\n" for row in rows)
        return len(rows)
