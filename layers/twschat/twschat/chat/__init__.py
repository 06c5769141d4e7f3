"""The chat service, by route (no AWS import: the store, the poster, the welcome trigger, the worker
hand-over and the metrics are handed in by the composition root, :mod:`twschat.runtime`).

- :mod:`.service` :class:`ChatService`: the dependencies, the route entries, posting and refusing
- :mod:`.connect` ``$connect``, the welcome, ``$disconnect``
- :mod:`.turn` ``$default`` and the turn worker: ONE pipeline (claim -> redelivered? -> hand over or
  answer -> store -> post) over :class:`~.turn.TurnKeys`; store outages told in one place
- :mod:`.answer` the window, the responder, the reply stored then posted
- :mod:`.requests` history, conversations, ping: a table keyed by request type
- :mod:`.replies` a stored reply's platform keys and its frames (first post, redelivery, history)
- :mod:`.streaming` delta and progress frames of a streamed reply
- :mod:`.telemetry` the per-turn model figures as a log line and metrics
- :mod:`.sweeper` closing idle and old connections
"""

from twschat.core.texts import CLOSING_TEXT, DEV_MODE_NOTE, WELCOME_BACK_TEXT, WELCOME_TEXT

from .claim import ClaimedTurn, TurnKeys
from .outcomes import ConnectOutcome, TurnOutcome, TurnStatus
from .replies import BLOCKS_KEY, CONFIRMATION_SUFFIX, LEAD_KEY, QUICK_REPLIES_KEY
from .replies import history_entries as _history_entries
from .service import ChatService
from .streaming import PROGRESS_STAGES

__all__ = [
    "BLOCKS_KEY",
    "CLOSING_TEXT",
    "CONFIRMATION_SUFFIX",
    "DEV_MODE_NOTE",
    "LEAD_KEY",
    "PROGRESS_STAGES",
    "QUICK_REPLIES_KEY",
    "WELCOME_BACK_TEXT",
    "WELCOME_TEXT",
    "ChatService",
    "ClaimedTurn",
    "ConnectOutcome",
    "TurnKeys",
    "TurnOutcome",
    "TurnStatus",
    "_history_entries",
]
