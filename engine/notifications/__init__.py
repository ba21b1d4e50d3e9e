"""Notifications (Ley 39/2015 arts. 40-46): electronic and postal, their evidence, expiry and alerts."""
