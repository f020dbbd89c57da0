"""Values worked out from a guideline once and reused by the rules that read them on every event.

A guideline is frozen, so what is derived from it (its toxin parameters as plain attributes, the counselling
figures) can be kept per guideline object. Kept by the object's ``id``, each entry holds its guideline, so an id
is never reused while its entry stands; at most ``PerGuideline.KEPT`` guidelines are kept, so a service that loads
a guideline per request does not grow the cache. A cached value on the guideline itself would not do:
``model_copy(update=...)`` would carry it over to a guideline with other values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from ._guideline import Guideline

T = TypeVar("T")


class PerGuideline(Generic[T]):
    """``build(guideline)``, made once per guideline object: call the cache with the guideline.

    ``latest`` is the entry used last, ``(guideline, value)``: a rule that runs on every event tests
    ``latest[0] is guideline`` (a replay has one guideline) instead of making the call.
    """

    KEPT: ClassVar[int] = 16
    """At most this many guidelines' values are kept."""

    __slots__ = ("_build", "by_id", "latest")

    def __init__(self, build: Callable[[Guideline], T]) -> None:
        self._build = build
        self.by_id: dict[int, tuple[Guideline, T]] = {}
        self.latest: tuple[Guideline, T] | None = None

    def __call__(self, guideline: Guideline) -> T:
        entry = self.by_id.get(id(guideline))
        if entry is None:
            entry = (guideline, self._build(guideline))
            if len(self.by_id) >= self.KEPT:
                self.by_id.clear()
            self.by_id[id(guideline)] = entry
        self.latest = entry
        return entry[1]
