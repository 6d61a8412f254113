"""The runtime: ``wiring`` builds every part from the configuration, ``daemon``
runs and supervises the loops, ``systemd`` talks to the service manager."""
