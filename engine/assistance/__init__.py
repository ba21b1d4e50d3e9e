"""Assistance between administrations on the platform: an ajuntament asks its Diputació or its
consell comarcal for a technical or legal report (art. 36.1.b LBRL), which comes back signed
into the requesting expedient."""
