"""tws-chat: WebSocket chat for TWS operators (shared library of the Lambda functions)."""

__version__ = "0.1.0"
