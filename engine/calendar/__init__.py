"""Working-day calendar and legal terms (Ley 39/2015, arts. 21-25 and 30)."""

from engine.calendar.terms import SilenceEffect, Suspension, silence_effect
from engine.calendar.working_days import TenantCalendar, regional_holidays

__all__ = ["SilenceEffect", "Suspension", "TenantCalendar", "regional_holidays", "silence_effect"]
