"""Demo data for a newcomer: municipalities, users, procedures, signers and the local demo certification authority."""
