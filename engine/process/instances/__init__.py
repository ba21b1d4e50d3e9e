"""Running process instances: start, complete tasks, timers, incidents, messages, state and projections."""
