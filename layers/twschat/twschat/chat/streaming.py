"""A streaming responder's reply on the wire: batched delta frames and progress frames, all with the
reply's deterministic ``messageId``, before the final ``message`` frame the turn posts."""

from __future__ import annotations

import time
from collections.abc import Callable

from twschat.core import frames
from twschat.core.ports import FramePoster, MetricsSink, PostOutcome
from twschat.core.streaming import DeltaBatcher

PROGRESS_STAGES = {"model": "thinking", "tool": "tool"}
"""A streaming responder's ``on_progress`` stages -> the progress frame's ``stage`` (others are not sent)."""


class ReplyStream:
    """A streaming responder's callbacks for one reply. A 410 stops the stream (``on_gone`` is told);
    the turn goes on and its reply is stored."""

    def __init__(
        self,
        poster: FramePoster,
        connection_id: str,
        *,
        message_id: str,
        conversation_id: str,
        metrics: MetricsSink,
        on_gone: Callable[[str], None],
    ) -> None:
        self._poster = poster
        self._connection_id = connection_id
        self._metrics = metrics
        self._on_gone = on_gone
        self.message_id = message_id
        self.conversation_id = conversation_id
        self.posted = 0
        self.progress_posted = 0
        self.gone = False
        self.first_token_epoch_ms: int | None = None
        self.first_posted_epoch_ms: int | None = None
        self._last_progress: tuple[str, str] | None = None
        self.batcher = DeltaBatcher(self._send_delta)

    def on_delta(self, text: str) -> None:
        if self.first_token_epoch_ms is None:
            self.first_token_epoch_ms = int(time.time() * 1000)
        self.batcher.add(text)

    def on_progress(self, stage: str, detail: str) -> None:
        shown = PROGRESS_STAGES.get(stage)
        if shown is None or self.gone or (stage, detail) == self._last_progress:
            return
        self._last_progress = (stage, detail)
        self.batcher.flush()  # the text so far goes before what comes next
        frame = frames.progress_frame(
            message_id=self.message_id,
            stage=shown,
            tool=detail if shown == "tool" else "",
            conversation_id=self.conversation_id,
        )
        if self._post(frame):
            self.progress_posted += 1

    def _send_delta(self, seq: int, text: str) -> bool:
        frame = frames.delta_frame(
            message_id=self.message_id, seq=seq, text=text, conversation_id=self.conversation_id
        )
        if self._post(frame) and self.first_posted_epoch_ms is None:
            self.first_posted_epoch_ms = int(time.time() * 1000)
        return not self.gone  # a failed post loses one piece (the final message has them all)

    def _post(self, frame: frames.Frame) -> bool:
        if self.gone:
            return False
        outcome = self._poster.post(self._connection_id, frame)
        if outcome is PostOutcome.GONE:
            self.gone = True
            self._on_gone(self._connection_id)
            return False
        if outcome is PostOutcome.FAILED:
            self._metrics.add_metric("PostFailures", "Count", 1)
            return False
        self.posted += 1
        return True
