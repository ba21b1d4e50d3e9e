"""The script sandbox: RestrictedPython in a resource-limited child process, with GEE's helper library."""
