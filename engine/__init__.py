"""GEE engine: everything that is not HTTP — domain records and the BPMN runtime.

The engine never imports ``webapp`` and never touches a request: every service takes an
explicit :class:`engine.base.context.Context` (tenant and acting user).
"""
