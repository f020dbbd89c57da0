"""What the service must remember between calls, and share between its workers: the ``jti`` of every
token seen (replay), the cases behind diagram links, and the kind of every card issued (for feedback).

Two implementations of one interface: :class:`MemoryStore` (this process only, the default: one worker)
and :class:`RedisStore` (``store = "redis://..."``: every worker and host behind a load balancer, and it
outlives restarts). Entries expire on their own: a ``jti`` when its token has expired, a diagram link after
``diagram_ttl_seconds``, an issued card after :data:`ISSUED_CARD_SECONDS`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

ISSUED_CARD_SECONDS = 7 * 24 * 3600
"""How long the kind of an issued card is remembered, for feedback that comes later."""

_PREFIX = "hfs-pathway:cds:"


class StoreUnavailable(Exception):
    """The shared store cannot be reached; the call is answered 503 (never accepted unchecked)."""


class Store(Protocol):
    """The interface both stores implement (all methods are coroutines: a shared store is over the network)."""

    async def first_use(self, iss: str, jti: str, seconds: float) -> bool:
        """Remember ``jti`` of ``iss`` for ``seconds``; False when it is already remembered (a replay)."""
        ...

    async def remember(
        self, service_id: str, cards: Sequence[tuple[str, str]], diagram: tuple[str, str, int] | None = None
    ) -> None:
        """Remember issued cards as (uuid, topic code), and a diagram link as (token, payload, seconds)."""
        ...

    async def diagram(self, token: str) -> str | None:
        """The payload behind a diagram link, or None when unknown or expired."""
        ...

    async def card(self, card_uuid: str) -> tuple[str, str] | None:
        """(service id, topic code) of an issued card, or None when unknown or forgotten."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def _jti_key(iss: str, jti: str) -> str:
    # Hashed: a jti is the caller's text, of any length and content.
    return hashlib.sha256(f"{iss}\x00{jti}".encode()).hexdigest()


class _Expiring:
    """A bounded dict whose entries expire (oldest forgotten first when full)."""

    def __init__(self, capacity: int) -> None:
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._capacity = capacity

    def get(self, key: str, now: float) -> Any:
        item = self._items.get(key)
        return None if item is None or item[0] <= now else item[1]

    def put(self, key: str, value: Any, until: float) -> None:
        self._items[key] = (until, value)
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def sweep(self, now: float) -> None:
        for key in [k for k, (until, _) in self._items.items() if until <= now]:
            del self._items[key]

    def __len__(self) -> int:
        return len(self._items)


class MemoryStore:
    """Everything in this process (one worker); forgotten on restart."""

    def __init__(self, *, capacity: int = 50_000, jti_capacity: int = 1_000_000) -> None:
        self._jtis: dict[str, float] = {}
        self._jti_capacity = jti_capacity
        self._next_sweep = 0.0
        self._diagrams = _Expiring(10_000)
        self._cards = _Expiring(capacity)
        self._lock = threading.Lock()

    async def first_use(self, iss: str, jti: str, seconds: float) -> bool:
        key, now = _jti_key(iss, jti), time.monotonic()
        with self._lock:
            if now >= self._next_sweep or len(self._jtis) >= self._jti_capacity:
                self._jtis = {k: t for k, t in self._jtis.items() if t > now}
                self._next_sweep = now + 30.0
                if len(self._jtis) >= self._jti_capacity:
                    raise StoreUnavailable("the replay cache is full")
            previous = self._jtis.get(key)
            if previous is not None and previous > now:
                return False
            self._jtis[key] = now + seconds
            return True

    async def remember(
        self, service_id: str, cards: Sequence[tuple[str, str]], diagram: tuple[str, str, int] | None = None
    ) -> None:
        now = time.monotonic()
        with self._lock:
            for card_uuid, topic in cards:
                self._cards.put(card_uuid, (service_id, topic), now + ISSUED_CARD_SECONDS)
            if diagram is not None:
                token, payload, seconds = diagram
                self._diagrams.put(token, payload, now + seconds)

    async def diagram(self, token: str) -> str | None:
        with self._lock:
            found: str | None = self._diagrams.get(token, time.monotonic())
        return found

    async def card(self, card_uuid: str) -> tuple[str, str] | None:
        with self._lock:
            found: tuple[str, str] | None = self._cards.get(card_uuid, time.monotonic())
        return found

    async def close(self) -> None:
        return None


class RedisStore:
    """Everything in Redis (``redis`` Python client): shared by every worker, kept across restarts."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=False
        )
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError, TimeoutError)

    async def first_use(self, iss: str, jti: str, seconds: float) -> bool:
        try:
            # SET NX: the first worker to see the jti wins; any later one, anywhere, sees it taken.
            done = await self._redis.set(f"{_PREFIX}jti:{_jti_key(iss, jti)}", b"1", nx=True, px=int(seconds * 1000))
        except self._errors as exc:
            raise StoreUnavailable(type(exc).__name__) from None
        return bool(done)

    async def remember(
        self, service_id: str, cards: Sequence[tuple[str, str]], diagram: tuple[str, str, int] | None = None
    ) -> None:
        if not cards and diagram is None:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for card_uuid, topic in cards:
                    value = json.dumps([service_id, topic])
                    pipe.set(f"{_PREFIX}card:{card_uuid}", value, ex=ISSUED_CARD_SECONDS)
                if diagram is not None:
                    token, payload, seconds = diagram
                    pipe.set(f"{_PREFIX}diagram:{token}", payload, ex=seconds)
                await pipe.execute()
        except self._errors as exc:
            raise StoreUnavailable(type(exc).__name__) from None

    async def diagram(self, token: str) -> str | None:
        try:
            found = await self._redis.get(f"{_PREFIX}diagram:{token}")
        except self._errors as exc:
            raise StoreUnavailable(type(exc).__name__) from None
        return None if found is None else found.decode() if isinstance(found, bytes) else str(found)

    async def card(self, card_uuid: str) -> tuple[str, str] | None:
        try:
            found = await self._redis.get(f"{_PREFIX}card:{card_uuid}")
        except self._errors as exc:
            raise StoreUnavailable(type(exc).__name__) from None
        if found is None:
            return None
        service_id, topic = json.loads(found)
        return str(service_id), str(topic)

    async def close(self) -> None:
        await self._redis.aclose()


def open_store(url: str) -> Store:
    """The store a ``store`` setting names."""
    if url == "memory":
        return MemoryStore()
    return RedisStore(url)
