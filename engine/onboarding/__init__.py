"""Onboarding of ens locals on the provincial platform: the CSV import of many tenants at once,
each new tenant's welcome checklist, and the adoption figures the provincial service follows."""
