"""CLI commands beyond the foundation, one module each; ``register(app)`` adds them."""
