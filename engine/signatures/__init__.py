"""Electronic signatures: PAdES signing with each signer's certificate, signing circuits, verification.

- :mod:`.credentials` keeps each signer's certificate and (doubly) encrypted private key.
- :mod:`.pades` signs PDFs with a visible stamp; :mod:`.verify` checks them.
- :mod:`.circuits` orders who signs what (the alcalde signs, then the secretary attests).
- :mod:`.test_ca` makes a local certification authority for the demo and the tests.
"""
