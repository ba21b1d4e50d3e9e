"""Real-time control of the maximum legal terms of expedients (arts. 21-25 and 30 Ley 39/2015)."""
