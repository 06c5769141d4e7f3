"""Chat persistence: one abstract base, one adapter per backend (DynamoDB, embedded SQLite)."""

from twschat.persistence.base import ChatStore, MessageAlreadyExists, StoreStats

__all__ = ["ChatStore", "MessageAlreadyExists", "StoreStats"]
