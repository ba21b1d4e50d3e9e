"""Test-running a process version before it is published: sample data, one path, every path."""
