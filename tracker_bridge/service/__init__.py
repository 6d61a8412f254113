"""The service: mail and issues in, the core's decisions carried out as effects.

``intake`` turns one email into its outcome, ``rules_pass`` evaluates issues on the regulation,
``effects`` runs each action exactly once, ``outbox`` sends the queued notifications;
``issue_reader`` builds the core's view of an issue, ``lanes`` keeps keyed order,
``stall_guard`` names a message that keeps the event loop busy.
"""
