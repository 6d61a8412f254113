"""The Tracker adapter: the only package that knows ``yandex-tracker-client``.

- :mod:`.gateway` — ``TrackerGateway``: async reads and per-action writes (:mod:`.writes`);
- :mod:`.transport` — how one call is made and retried, in worker threads, over the client's
  public ``Connection`` (:mod:`.remote` and :mod:`.trigger_calls`: the blocking calls);
- :mod:`.errors` — the exceptions it raises; :mod:`.snapshots` — the values it returns;
- :mod:`.views` — snapshot + history + store facts → ``IssueView`` (pure);
- :mod:`.sync` — incremental polling with a stored cursor;
- :mod:`.check` — ``tracker-bridge check``, the Tracker part.
"""
