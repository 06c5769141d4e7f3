"""``twschat serve``: a local WebSocket server that behaves like API Gateway for ``template.yaml``.

Development only. What it does like API Gateway:

- ``$connect`` runs before the opening handshake completes (in ``process_response``: after websockets
  has validated the upgrade request, before the 101 is written). A ``statusCode`` other than 200
  rejects the handshake with that HTTP status; a handler exception rejects it with 500. Until the 101
  is sent the connection does not exist for the ``@connections`` API: a post during ``$connect``
  gets 410 Gone.
- Each text frame is a ``$default`` event (or the route named by the API's RouteSelectionExpression
  when the frame is a JSON object that names an existing route); a binary frame is a ``$default``
  event with ``isBase64Encoded: true``. No route -> ``{"message": "Forbidden", ...}``; handler
  exception -> ``{"message": "Internal server error", ...}``, as API Gateway sends them.
- Close -> ``$disconnect`` with ``disconnectStatusCode``/``disconnectReason``.
- Limits: 128 KB per message and 32 KB per frame (websockets ``max_size=(message, fragment)``; over
  either the connection is closed with 1009, as API Gateway does), 10 minutes idle and 2 hours per
  connection (closed with 1001 "Going away"), 128 KB per PostToConnection (413).
- Messages of one connection are handled one at a time, in order (API Gateway gives no order
  guarantee and may run them concurrently); different connections run concurrently. Each frame's
  ``requestTimeEpoch`` is when it arrived (a millisecond after the previous one's at least), not
  when its turn came, as API Gateway stamps it.

Not like API Gateway: plain HTTP requests on the same port (no ``Upgrade: websocket``) get the
operators' web page from ``web/`` (:class:`WebPage`), its ``config.json``, and with ``--auth local``
a development sign-in endpoint, ``POST /dev/token``. In AWS the page is hosted on its own.

Anyone on the machine, and any web page in the developer's browser, can reach a loopback port, so:
a handshake with an ``Origin`` other than this page's (``--allow-origin`` adds more) is refused,
the sign-in and ``config.json`` answer only to loopback host names (DNS rebinding), the Lambda
Invoke API wants the process secret (:mod:`twschat_dev.connections_api`), and a token in a connect
path never reaches a log line, however its name is percent-encoded.
"""

# What the tests, benchmarks and the other commands import from ``twschat_dev.gateway``.
from twschat_dev.gateway.cli import (
    _mint_one_role,
    quiet_powertools,
    register,
    run_serve,
    serve_command,
    setup_console,
)
from twschat_dev.gateway.events import message_event, new_id, parse_connect_path, redact_path, request_time
from twschat_dev.gateway.server import Gateway
from twschat_dev.gateway.web import WebPage, default_web_dir, is_websocket_upgrade

__all__ = [
    "Gateway",
    "WebPage",
    "_mint_one_role",
    "default_web_dir",
    "is_websocket_upgrade",
    "message_event",
    "new_id",
    "parse_connect_path",
    "quiet_powertools",
    "redact_path",
    "register",
    "request_time",
    "run_serve",
    "serve_command",
    "setup_console",
]
