"""What an operator sees: structured logs, Prometheus metrics, ``/healthz``,
the record of outside systems that are down, the production calendar's horizon."""
