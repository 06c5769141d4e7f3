"""``twschat chat``: a terminal client for operators, for the local gateway and the deployed API.

::

    twschat chat                                   # ws://localhost:8030/api/v1/ws/tws-general
    twschat chat wss://abc.execute-api.us-east-1.amazonaws.com/prod --token "$TOKEN"
    printf 'qual job esta em abend?\\nobrigado\\n' | twschat chat

Each line read from stdin is sent as a text frame and the client waits for its answer (bounded)
before reading the next one, so a pipe gives a tidy transcript and the command exits after the last
answer. Lines that start with a known ``/command`` are handled locally (``/help``). Frames are rendered
for a human by :func:`render` (pure; ``--raw`` prints the frames' JSON instead), replies split into
parts are put back together by :class:`PartAssembler`, and what to do when the connection ends is
decided by :func:`reconnect_decision` (pure): a ``closing`` frame (idle, or API Gateway's 2-hour cap)
or an unexpected drop reconnects with the same ``conversationId``, so a long conversation survives
both. HTTP 400/401/403 at connect end the command with exit code 2, no retry.

The token (``--token`` or ``TWSCHAT_TOKEN``) goes in the ``token`` query parameter, as browsers must
send it; it is never printed (URLs in messages are redacted).

Stdlib and websockets' asyncio client only.
"""

from twschat_dev.client.cli import TerminalLines, register, run
from twschat_dev.client.render import (
    ANSWER_TYPES,
    DEFAULT_AGENT,
    Decision,
    PartAssembler,
    build_url,
    parse_command,
    reconnect_decision,
    redact_url,
    render,
    server_zone,
)
from twschat_dev.client.session import ChatClient, ConnectRefused, StdinLines, refusal_message

__all__ = [
    "ANSWER_TYPES",
    "DEFAULT_AGENT",
    "ChatClient",
    "ConnectRefused",
    "Decision",
    "PartAssembler",
    "StdinLines",
    "TerminalLines",
    "build_url",
    "parse_command",
    "reconnect_decision",
    "redact_url",
    "refusal_message",
    "register",
    "render",
    "run",
    "server_zone",
]
