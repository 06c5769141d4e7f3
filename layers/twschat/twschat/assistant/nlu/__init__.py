"""The assistant's NLU: normalisation and typo matching, the entity catalogue, intents and their rules."""

from .catalog import Catalog
from .intents import INTENTS, Intent
from .rules import recognize

__all__ = ["INTENTS", "Catalog", "Intent", "recognize"]
