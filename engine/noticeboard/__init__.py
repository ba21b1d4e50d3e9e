"""The electronic notice board (tauler d'anuncis): edicts published from an expedient for an exposure
period, a public page per tenant, and the certificate of exposure (diligència) at the end."""
