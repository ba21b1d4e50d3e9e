"""Task forms: JSON Schema validation of what a person submits, with readable field errors."""
