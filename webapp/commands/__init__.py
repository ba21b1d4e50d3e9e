"""CLI commands, one module per topic; each exposes a ``commands`` list."""
