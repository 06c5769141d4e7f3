"""The TWS assistant's typed errors. Ordinary outcomes (a question back, a refusal) are answers, not these."""

from __future__ import annotations

from twschat.core.exceptions import TwsChatError

from .tws import TwsError

__all__ = ["TwsFailure"]


class TwsFailure(TwsChatError):
    """The TWS could not answer during a turn; the responder words it (what failed, what to try)."""

    def __init__(self, error: TwsError, what: str, lang: str = "") -> None:
        super().__init__(str(error))
        self.error = error
        self.what = what
        """What the turn was doing: ``jobs``, ``workstations``, ``streams``, ``log``, ``act``, ``prompts``, ``resources``: a ``what.*`` entry of the message catalogues."""
        self.lang = lang
        """The language to answer in when the turn's is not the conversation's (a confirmation)."""
