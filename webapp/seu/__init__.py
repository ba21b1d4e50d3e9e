"""The citizen side of the web app (seu electrònica): citizen session, OIDC login, forms."""
