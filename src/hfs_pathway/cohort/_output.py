"""The evaluations file of a cohort run, appended to in chunk order by whichever process holds the next chunk.

A worker that finishes a chunk when every chunk before it is already in the file appends its evaluations itself
(:meth:`EvaluationsFile.append_if_next`), so they are written once, straight from the worker. Otherwise it hands
them to the main process (as bytes, or as a spool file when they are large), which appends them when it takes the
chunk's result in order (:meth:`EvaluationsFile.append`). Either way the file holds the chunks in input order; a
shared counter (the next chunk to append) and the file's length, under one lock, say whose turn it is and where.
"""

from __future__ import annotations

import os
import shutil
from typing import Any


class EvaluationsFile:
    """``evaluations.ndjson``, shared by the main process and the workers (made before the workers start)."""

    def __init__(self, path: str, context: Any = None) -> None:
        """``context`` is the multiprocessing context of the workers; ``None`` for a run in this process only."""
        self.path = path
        if context is None:
            self._lock: Any = None
            self._next: Any = _Cell()
            self._end: Any = _Cell()
        else:
            self._lock = context.Lock()
            self._next = context.RawValue("q", 0)
            self._end = context.RawValue("q", 0)
        self._fd = -1

    def open(self) -> None:
        """Open the file for writing in this process (the main process creates it empty first)."""
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_WRONLY)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __getstate__(self) -> dict[str, Any]:  # a spawned worker opens its own descriptor
        return {**self.__dict__, "_fd": -1}

    def append_if_next(self, number: int, data: bytes) -> bool:
        """In a worker: append chunk ``number``'s evaluations if every chunk before it is in the file (never waits
        for another chunk); ``False`` when it is not yet its turn."""
        with self._lock:
            if self._next.value != number:
                return False
            self._write(data)
            self._next.value = number + 1
            return True

    def append(self, number: int, evaluations: bytes | str) -> None:
        """In the main process: append chunk ``number``'s evaluations, given as bytes or as the path of a spool
        file (then removed); the chunks before it are in the file, since results are taken in order."""
        if self._lock is None:
            self._append(number, evaluations)
            return
        with self._lock:
            self._append(number, evaluations)

    def _append(self, number: int, evaluations: bytes | str) -> None:
        if self._next.value != number:  # pragma: no cover - results are taken in order
            raise RuntimeError(f"chunk {number} reached the evaluations file out of order")
        if isinstance(evaluations, bytes):
            self._write(evaluations)
        else:
            self._copy(evaluations)
        self._next.value = number + 1

    def _write(self, data: bytes) -> None:
        end = self._end.value
        view = memoryview(data)
        written = 0
        while written < len(view):
            written += os.pwrite(self._fd, view[written:], end + written)
        self._end.value = end + written

    def _copy(self, spool: str) -> None:
        """Append a spool file by a copy in the kernel where it can, then remove it."""
        end = self._end.value
        with open(spool, "rb") as source:
            size = os.fstat(source.fileno()).st_size
            copied = 0
            try:
                while copied < size:
                    step = os.copy_file_range(source.fileno(), self._fd, size - copied, offset_dst=end + copied)
                    if step == 0:
                        break
                    copied += step
            except (AttributeError, OSError):
                copied = 0
            if copied < size:  # no copy_file_range here: copy through Python
                source.seek(copied)
                with os.fdopen(os.dup(self._fd), "r+b") as target:
                    target.seek(end + copied)
                    shutil.copyfileobj(source, target)
        self._end.value = end + size
        os.unlink(spool)


class _Cell:
    """A plain holder with ``.value``, for a run in one process (no lock, nothing shared)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0
