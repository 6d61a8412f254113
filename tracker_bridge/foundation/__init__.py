"""What every part of the shell stands on: the injected clock, one failure
taxonomy, one backoff, and the optional extras of the install."""
