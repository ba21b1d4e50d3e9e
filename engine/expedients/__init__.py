"""Expedients and their interested parties: opening, numbering, searching, relating; dashboard figures."""
