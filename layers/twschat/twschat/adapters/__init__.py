"""Adapters at the edge: AWS services (connections API, Lambda) behind the core's ports."""
