"""The JSON API (/api/v1): bearer-token authentication and small request helpers.

The routes are in :mod:`webapp.views.api`; the OpenAPI document in :mod:`webapp.api.openapi`.
"""
