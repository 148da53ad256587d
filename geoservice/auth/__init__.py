"""Who may write: accounts with a role, API tokens, password and OpenID Connect logins.
Domain code (no FastAPI): the CLI and the API call the same functions."""
