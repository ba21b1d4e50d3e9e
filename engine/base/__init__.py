"""The ground every package stands on: settings, database handle, errors, translations, the service context,
clocks, jobs, mail, the event registry and the unit of work. It imports no other engine package."""
