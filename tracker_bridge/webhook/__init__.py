"""Tracker trigger webhooks: an HTTP endpoint that turns "issue X changed" into an immediate read
of X, with polling kept as the safety net (docs/operations.md, "Trigger webhooks")."""
