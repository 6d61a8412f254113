"""The functional core: the support regulation as pure functions of plain values.

Nothing in this package does I/O, reads the real time, logs, or imports anything from the rest of
``tracker_bridge``: the shell gathers values, calls the core, and applies the actions it returns.
"""
