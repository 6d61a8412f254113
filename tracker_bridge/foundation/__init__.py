"""What every part of the shell stands on: the injected clock, one failure
taxonomy, one backoff, the optional extras of the install, one ``with`` for
what is closed after use and one threaded HTTP server."""
