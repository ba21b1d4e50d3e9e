"""The BPMN runtime: parsing and validating models, the script sandbox, running instances,
persisting their state and projecting human tasks and timers into rows."""
