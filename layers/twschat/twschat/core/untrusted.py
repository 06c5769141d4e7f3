"""Text the platform did not get from the operator (a model's words, a summary it wrote) made safe to
show and store: the same characters :mod:`.inbound` refuses from clients — C0/C1 controls other than
tab and newline, the bidirectional embedding/override/isolate controls, lone surrogates — plus Unicode
tag characters (invisible "ASCII smuggling") are removed instead of refused (the reply must still reach
the operator), carriage returns become newlines, and the text is bounded."""

from __future__ import annotations

import re

from .inbound import _BIDI_CONTROLS, _C0_C1, _SURROGATES

__all__ = ["MODEL_TEXT_MAX_CHARS", "scrub_fragment", "scrub_model_text"]

MODEL_TEXT_MAX_CHARS = 8000
"""A model's answer is cut past this many characters (the reply frame splits into parts well below
what DynamoDB's item limit allows; an answer this long is a runaway, not a reply)."""

# The characters inbound text may not carry (the same classes), plus the Unicode tag characters.
_UNSAFE = re.compile(f"[{_SURROGATES}{_C0_C1}{_BIDI_CONTROLS}\U000e0000-\U000e007f]")


def scrub_fragment(text: str) -> str:
    """One piece of a streamed answer without the unsafe characters (no trimming: pieces join)."""
    return _UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def scrub_model_text(text: str, limit: int = MODEL_TEXT_MAX_CHARS) -> str:
    """A whole answer: scrubbed, stripped, and cut to ``limit`` characters (with an ellipsis)."""
    clean = scrub_fragment(text).strip()
    return clean if len(clean) <= limit else clean[: limit - 1].rstrip() + "…"
