"""The records an ajuntament is legally bound to keep."""
