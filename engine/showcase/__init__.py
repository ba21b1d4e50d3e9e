"""Showcase: what the demo shows running (its sample expedients)."""
