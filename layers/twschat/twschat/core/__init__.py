"""The pure core: conversation model, inbound frame rules, frames, responder. No AWS import here."""
