"""Streaming a reply as it is written: model text deltas batched into a bounded number of frames.

Each ``delta`` frame costs one connections-API call, so the text is not forwarded token by token:
the first piece goes out at once (time to first text is what the operator feels), later pieces are
held until the buffer reaches ``min_chars``, ends a sentence, or has waited ``max_wait_seconds``
(checked when the next piece arrives; :meth:`DeltaBatcher.flush` sends what is left). Past
``max_frames`` no more deltas are sent: the final ``message`` frame carries the whole text anyway.

Stdlib only; the clock is injected (tests drive it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

SENTENCE_ENDS = (".", "!", "?", "\n", ":", ";")


class DeltaBatcher:
    def __init__(
        self,
        send: Callable[[int, str], bool],
        *,
        clock: Callable[[], float] = time.monotonic,
        min_chars: int = 64,
        min_sentence_chars: int = 16,
        max_wait_seconds: float = 0.15,
        max_frames: int = 200,
    ) -> None:
        """``send(seq, text)`` posts one delta frame; it returns False to stop the stream (410 Gone)."""
        self._send = send
        self._clock = clock
        self.min_chars = min_chars
        self.min_sentence_chars = min_sentence_chars
        self.max_wait = max_wait_seconds
        self.max_frames = max_frames
        self._buffer: list[str] = []
        self._size = 0
        self._since = 0.0
        self.seq = 0
        """Delta frames sent so far (the last ``seq``)."""
        self.stopped = False
        self.first_delta_at: float | None = None
        """``clock()`` when the first piece arrived (the model's first token, as the responder saw it)."""
        self.first_sent_at: float | None = None

    def add(self, text: str) -> None:
        if not text or self.stopped:
            return
        now = self._clock()
        if self.first_delta_at is None:
            self.first_delta_at = now
        if not self._buffer:
            self._since = now
        self._buffer.append(text)
        self._size += len(text)
        if self.seq == 0 or self._due(now, text):
            self.flush()

    def _due(self, now: float, last: str) -> bool:
        if self._size >= self.min_chars:
            return True
        if self._size >= self.min_sentence_chars and last.rstrip(" ").endswith(SENTENCE_ENDS):
            return True
        return now - self._since >= self.max_wait

    def flush(self) -> None:
        """Send what is buffered as one delta frame (before a progress frame, and at the end)."""
        if not self._buffer or self.stopped:
            return
        text = "".join(self._buffer)
        self._buffer.clear()
        self._size = 0
        if self.seq >= self.max_frames:
            return
        self.seq += 1
        if self.first_sent_at is None:
            self.first_sent_at = self._clock()
        if not self._send(self.seq, text):
            self.stopped = True
