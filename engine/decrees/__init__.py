"""The decree book: decrees numbered without gaps at the mayor's signature, attestation, annulment, yearly book."""
