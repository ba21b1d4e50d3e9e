"""The process core: process definitions (deploy, validation, specs, catalogue), running instances (tasks,
timers, incidents, state, projections, messages), the script sandbox and task forms.

It imports no feature: features call down into it and meet it through :mod:`engine.base.events`.
"""
