"""The gateway's transport: how one Tracker call is made, and made again.

:class:`Transport` owns what the gateway and its writes share and neither decides: the credential
(read again before every attempt), the worker threads the blocking client runs in, one
:class:`Api` per concurrent call (the client's collections keep per-call state, ENV-NOTES.md §2),
one attempt (:meth:`Transport.once`), the retry loop on the injected clock
(:meth:`Transport.retried`), and whether Tracker is down. The gateway holds it as a collaborator,
as an ``httpx.Client`` holds its transport, and so do the writes (:mod:`.writes`).

Only the library's public API is used: the ``Connection`` (``yandex_tracker_client.connection``)
is made here and handed to ``TrackerClient(connection=...)``, so the calls that must send a path
the high-level API would reach with an extra request (``issue.comments`` first fetches the issue,
TRACKER-API.md §2.2) use that same connection through :attr:`Api.http`, never the client's private
``_connection``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import queue
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from yandex_tracker_client import TrackerClient
from yandex_tracker_client import exceptions as client_errors
from yandex_tracker_client.connection import Connection

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.foundation.retry import RetryPolicy, retrying
from tracker_bridge.tracker.errors import (
    TrackerAuthError,
    TrackerError,
    TrackerRateLimited,
    TrackerTransient,
    TrackerUnavailable,
    from_status,
)

__all__ = ["Api", "Credential", "Transport", "translate"]

T = TypeVar("T")
# a token, or where to read it from on every attempt
Credential = str | Callable[[], str]


@dataclass(frozen=True)
class Api:
    """One connection to Tracker and the client over it, for one call at a time (the library
    has no types: both are ``Any``)."""

    client: Any  # yandex_tracker_client.TrackerClient: the collections (issues.find, myself, …)
    http: Any  # yandex_tracker_client.connection.Connection: get/post/patch/delete/stream a path
    token: str  # the credential it was made with


def translate(exc: BaseException) -> TrackerError:
    """The client's (or ``requests``') exception as ours; the caller raises it ``from exc``."""
    if isinstance(exc, client_errors.TrackerServerError) and exc.status_code is not None:
        if isinstance(exc, client_errors.InvalidJSONResponse) and exc.status_code < 400:
            return TrackerUnavailable(f"Tracker answered {exc.status_code} without JSON")
        messages = "; ".join(exc.error_messages or []) or str(exc.reason or "")
        header = exc.response.headers.get("Retry-After") if exc.response is not None else None
        return from_status(exc.status_code, messages, _seconds(header))
    if isinstance(exc, client_errors.TrackerRequestError | requests.RequestException | OSError):
        cause = getattr(exc, "original_error", exc)
        timed_out = isinstance(cause, requests.Timeout)
        return TrackerUnavailable(f"no answer from Tracker: {exc}", timed_out=timed_out)
    return TrackerError(f"Tracker client error: {exc}")  # misuse, e.g. both token kinds given


def _seconds(header: str | None) -> float | None:
    try:
        return None if header is None else max(0.0, float(header))
    except ValueError:
        return None  # an HTTP-date: not sent by Tracker as far as known; back off normally


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, TrackerTransient)


class Transport:
    """Tracker calls in worker threads, with one retry policy and an outage flag."""

    def __init__(
        self,
        *,
        base_url: str,
        credential: Credential,
        kind: str,
        org_id: str | None,
        cloud_org_id: str | None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        workers: int = 16,
        clock: Clock | None = None,
        observer: Callable[[BaseException | None], None] | None = None,
    ) -> None:
        self._kind = kind  # "token" (OAuth) or "iam_token"
        self._credential = credential
        self.timeout = timeout
        self._options: dict[str, Any] = {
            "base_url": base_url,
            "org_id": org_id,
            "cloud_org_id": cloud_org_id,
            "timeout": timeout,
            "retries": 0,  # one retry layer only: ours (STYLE.md habit 7)
        }
        self._policy = retry or RetryPolicy()
        self._single = RetryPolicy(attempts=1, on_retry=self._policy.on_retry)
        self._sleep = clock.sleep if clock is not None else None
        self.down = False  # a call used up its retries and none has succeeded since
        # told every call's outcome (None: success), for the daemon's outage record
        self.observer = observer
        self._idle: queue.SimpleQueue[Api] = queue.SimpleQueue()
        self._made: list[Api] = []
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tracker")

    async def aclose(self) -> None:
        """Close every HTTP session the transport opened, and its threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        for api in self._made:
            api.http.session.close()
        self._made.clear()

    def _token(self) -> str:
        """The credential as it is now (read from its source when given as a function)."""
        source = self._credential
        try:
            value = source() if callable(source) else source
        except OSError as exc:  # a token file being replaced, or gone: wait for it
            raise TrackerAuthError(f"cannot read the Tracker token: {exc}") from exc
        return value.strip()

    def _api(self, token: str) -> Api:
        while True:
            try:
                api = self._idle.get_nowait()
            except queue.Empty:
                break
            if api.token == token:
                return api
            self._drop(api)  # made with a token that has since been replaced
        options = {k: v for k, v in self._options.items() if v is not None}
        http = Connection(**options, **{self._kind: token})
        api = Api(TrackerClient(connection=http), http, token)
        self._made.append(api)
        return api

    def _drop(self, api: Api) -> None:
        api.http.session.close()
        with contextlib.suppress(ValueError):
            self._made.remove(api)

    def _blocking(self, fn: Callable[..., T], *args: Any) -> T:
        api = self._api(self._token())
        try:
            return fn(api, *args)
        except (client_errors.TrackerError, requests.RequestException, OSError) as exc:
            raise translate(exc) from exc
        finally:
            self._idle.put(api)

    async def once(self, fn: Callable[..., T], *args: Any) -> T:
        """One attempt in a worker thread, no retry (the building block of reconciling writes)."""
        call = functools.partial(contextvars.copy_context().run, self._blocking, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    async def retried(self, name: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt`` until it succeeds or the policy gives up; once Tracker is taken for down,
        one attempt per call (the daemon's schedule does the waiting)."""
        policy = self._single if self.down else self._policy
        try:
            result = await retrying(
                attempt,
                name=name,
                policy=policy,
                transient=_transient,
                retry_after=self._floor,
                sleep=self._sleep,
            )
        except TrackerError as exc:
            self.down = self.down or isinstance(exc, TrackerTransient)
            # an outage of Tracker itself (down, or refusing our credential), not one request's
            if self.observer is not None and isinstance(exc, TrackerTransient | TrackerAuthError):
                self.observer(exc)
            raise
        self.down = False
        if self.observer is not None:
            self.observer(None)
        return result

    def _floor(self, exc: BaseException) -> float | None:
        """The least wait before the next attempt: a 429's Retry-After; after a timeout, the
        timeout again — Tracker may still apply the lost request, and a write re-checks state
        only after giving it that long."""
        if isinstance(exc, TrackerRateLimited):
            return exc.retry_after
        if isinstance(exc, TrackerUnavailable) and exc.timed_out:
            return self.timeout
        return None

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """An idempotent call, re-sent on transient errors."""
        return await self.retried(fn.__name__, lambda: self.once(fn, *args))
