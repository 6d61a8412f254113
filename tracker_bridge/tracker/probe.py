"""``tracker-bridge check --live``: what the real organisation does where the docs are silent.

Run by an operator against the real Tracker and a **sandbox queue** (never a customer's queue;
refused without one). In that queue it creates one throwaway issue and, on it only:

1. writes a comment with the bridge's marker and reads back how Tracker stored it (``text``)
   and renders it (``textHtml``): kept and hidden, stripped, or shown to support;
2. runs the sync's query clauses on it: the zone Tracker reads a date literal in (learned as
   the daemon learns it, :func:`~tracker_bridge.tracker.sync.learn_query_zone`), whether
   ``"Last comment"`` is accepted and matches, and whether a comment moves ``updatedAt``;
3. tries a stale ``If-Match`` and a stale ``?version=`` (is either honoured?);
4. walks every transition the regulation needs (:data:`~tracker_bridge.tracker.check.
   REQUIRED_TRANSITIONS`) through the sandbox queue's workflow, with the resolution the bridge
   sends to a done status, and reads the changelog back (are the status changes there?);
5. cleans up: deletes the comments it wrote and closes the issue (Tracker's API has no
   documented issue deletion: the key is printed to delete it by hand).

It prints what it found and, for each, the setting to use — in most places none, because the
daemon picks the safe mode by itself (the literal zone, polling when ``"Last comment"`` is
refused, the store's comment ids, ``?version=``). Every write goes to the throwaway issue.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from tracker_bridge.regulation.actions import AddComment, CreateIssue, Transition
from tracker_bridge.regulation.statuses import Status, StatusMap, UnknownStatusError
from tracker_bridge.tracker.check import REQUIRED_TRANSITIONS, CheckLine
from tracker_bridge.tracker.errors import (
    TrackerBadRequest,
    TrackerConflict,
    TrackerError,
    TrackerNotFound,
)
from tracker_bridge.tracker.gateway import TrackerGateway
from tracker_bridge.tracker.markers import find_marker
from tracker_bridge.tracker.sync import learn_query_zone

__all__ = ["Finding", "ProbeRefused", "ProbeReport", "probe_tracker", "render_probe"]

SUMMARY = "tracker-bridge live probe: a throwaway issue, safe to delete"
_NONE = "none: the daemon adapts by itself"


class ProbeRefused(Exception):
    """The probe will not run (no sandbox queue, or a customer's queue given as one)."""


@dataclass(frozen=True)
class Finding:
    """One behaviour the docs leave open: what this Tracker does and what to set for it."""

    topic: str
    found: str
    setting: str = _NONE
    ok: bool = True


@dataclass(frozen=True)
class ProbeReport:
    issue: str | None
    findings: tuple[Finding, ...] = ()
    lines: tuple[CheckLine, ...] = ()

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings) and all(x.ok for x in self.lines)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def finding(self, topic: str) -> Finding:
        return next(f for f in self.findings if f.topic == topic)


class _Run:
    """One probe's state: the throwaway issue, and what was found and written so far."""

    def __init__(
        self, gateway: TrackerGateway, key: str, tag: str, status_map: StatusMap, version: str
    ) -> None:
        self.gateway, self.key, self.tag = gateway, key, tag
        self.status_map, self.created_version = status_map, version
        self.findings: list[Finding] = []
        self.lines: list[CheckLine] = []
        self.comments: list[str] = []  # ids of the comments the probe wrote (deleted at the end)


async def probe_tracker(
    gateway: TrackerGateway,
    *,
    sandbox: str | None,
    customer_queues: Sequence[str],
    status_map: StatusMap,
) -> ProbeReport:
    """Run the live probe in ``sandbox``; raises :class:`ProbeRefused` before any write if
    there is no sandbox queue, it is a customer's queue, or Tracker does not have it."""
    if not sandbox:
        raise ProbeRefused("the live probe writes to Tracker: give it a sandbox queue")
    if sandbox in customer_queues:
        raise ProbeRefused(f"{sandbox} is a customer's queue: the probe runs in a sandbox only")
    try:
        await gateway.queue(sandbox, workflows=False)
    except TrackerNotFound:
        raise ProbeRefused(f"Tracker has no queue {sandbox}: create the sandbox first") from None
    tag = uuid.uuid4().hex[:12]
    key = await gateway.create_issue(
        CreateIssue(
            unique=f"tb-probe-{tag}",
            customer="probe",
            queue=sandbox,
            summary=SUMMARY,
            description="Created by `tracker-bridge check --live`; nothing reads it.",
            requester="",
            source_message_id=f"<probe-{tag}@tracker-bridge>",
        )
    )
    created = gateway.created_snapshot(key) or await gateway.issue(key)
    run = _Run(gateway, key, tag, status_map, created.version)
    run.lines.append(CheckLine(True, f"throwaway issue {key} created in {sandbox}"))
    try:
        await _marker(run)
        await _queries(run)
        await _versions(run)
        await _walk(run, sandbox)
        await _changelog(run)
    except TrackerError as exc:
        run.lines.append(CheckLine(False, f"the probe stopped: {exc}", "see the message"))
    finally:
        await _clean_up(run)
    return ProbeReport(key, tuple(run.findings), tuple(run.lines))


# --- 1. the marker -----------------------------------------------------------------------------
async def _marker(run: _Run) -> None:
    text = "tracker-bridge probe: how is this comment stored?"
    action = AddComment(run.key, text, f"probe-{run.tag}", on_behalf_of="probe@tracker-bridge")
    comment_id = await run.gateway.add_comment(action, run.key)
    run.comments.append(comment_id)
    stored, html = next(
        (c, h) for c, h in await run.gateway.rendered_comments(run.key) if c.id == comment_id
    )
    if find_marker(stored.text) is None:
        found = "stripped from the text: the bridge knows its comments by the ids in its store"
    elif "tracker-bridge:" in html:
        found = "kept, but shown to support in the rendered comment"
    else:
        found = "kept verbatim and hidden when rendered"
    run.findings.append(Finding("comment marker", found))


# --- 2. the sync query -------------------------------------------------------------------------
async def _queries(run: _Run) -> None:
    gateway, key = run.gateway, run.key
    issue = await gateway.issue(key)
    zone = await learn_query_zone(gateway.count, issue)
    offset = zone.utcoffset(None) or timedelta(0)
    run.findings.append(
        Finding("query date literals", f"read in UTC{_offset(offset)}", _NONE + " (learned)")
    )
    since = (issue.created_at - timedelta(minutes=1)).astimezone(zone)
    literal = since.strftime('"%Y-%m-%d %H:%M:%S"')
    try:
        hits = await gateway.count(f'Key: {key} "Last comment": >= {literal}')
    except TrackerBadRequest:
        found, setting = "refused (400)", _NONE + ": it polls the tracked issues instead"
    else:
        found = "accepted, finds the new comment" if hits else "accepted, but finds nothing"
        setting = _NONE if hits else "comments = poll (TrackerSync): the query misses comments"
    run.findings.append(Finding('"Last comment" in queries', found, setting, ok=True))
    bumped = issue.version != run.created_version or issue.updated_at > issue.created_at
    found = "yes" if bumped else "no (lastCommentUpdatedAt only)"
    run.findings.append(Finding("a comment moves updatedAt", found))


def _offset(offset: timedelta) -> str:
    if not offset:
        return ""
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# --- 3. versions -------------------------------------------------------------------------------
async def _versions(run: _Run) -> None:
    gateway, key = run.gateway, run.key
    stale = (await gateway.update_issue(key, {"description": "probe: version 1"})).version
    await gateway.update_issue(key, {"description": "probe: version 2"})
    results = []
    for how, call in (
        ("If-Match", gateway.update_with_if_match(key, {"description": "stale"}, stale)),
        ("?version=", gateway.update_issue(key, {"description": "stale"}, version=stale)),
    ):
        try:
            await call
        except TrackerConflict:
            results.append((how, True))
        else:
            results.append((how, False))
    if_match, version = (honoured for _, honoured in results)
    run.findings.append(
        Finding(
            "If-Match",
            "honoured" if if_match else "ignored",
            _NONE + ": the bridge sends ?version=",
        )
    )
    run.findings.append(
        Finding(
            "?version= (docs patch-issue.md)",
            "honoured" if version else "ignored: a concurrent edit is not detected",
            _NONE if version else "report it to Yandex support; edits are plain sets",
            ok=True,
        )
    )


# --- 4. the workflow ---------------------------------------------------------------------------
async def _walk(run: _Run, queue: str) -> None:
    """Every required transition, reached through the workflow's graph and then made the way
    the daemon makes it (:meth:`TrackerGateway.transition`, with its resolution)."""
    gateway, key, smap = run.gateway, run.key, run.status_map
    edges: list[tuple[str, str, str]] = []
    for workflow_id in await gateway.queue_workflows(queue):
        edges += (await gateway.workflow(workflow_id)).transitions
    for source, target, why in REQUIRED_TRANSITIONS:
        what = f"transition {smap.tracker_key(source)!r} → {smap.tracker_key(target)!r} ({why})"
        try:
            reached = await _reach(run, edges, smap.tracker_key(source))
            if not reached:
                run.lines.append(CheckLine(False, what, "no path to it in the sandbox workflow"))
                continue
            await gateway.transition(Transition(key, target, f"probe-{run.tag}-{why}"), key)
        except TrackerError as exc:
            fix = "see tracker-bridge check for the transition's required fields"
            run.lines.append(CheckLine(False, f"{what}: {exc}", fix))
            continue
        sent = gateway.resolution_for(target)
        note = f", resolution {sent!r} accepted" if sent else ""
        run.lines.append(CheckLine(True, f"{what}: made{note}"))


async def _reach(run: _Run, edges: list[tuple[str, str, str]], wanted: str) -> bool:
    """Move the issue to status ``wanted`` by the shortest path of transitions (breadth first)."""
    current = (await run.gateway.issue(run.key)).status
    before: dict[str, tuple[str, str] | None] = {current: None}
    queue = deque([current])
    while queue and wanted not in before:
        here = queue.popleft()
        for source, tid, target in edges:
            if source == here and target not in before:
                before[target] = (here, tid)
                queue.append(target)
    if wanted not in before:
        return False
    path: list[tuple[str, str]] = []
    step = wanted
    while (link := before[step]) is not None:
        path.append((link[1], step))
        step = link[0]
    for tid, target in reversed(path):
        await run.gateway.execute_transition(run.key, tid, _resolution(run, target))
    return True


def _resolution(run: _Run, status_key: str) -> str | None:
    try:
        return run.gateway.resolution_for(run.status_map.logical(status_key))
    except UnknownStatusError:
        return None


async def _changelog(run: _Run) -> None:
    entries = await run.gateway.changelog(run.key, ())
    moves = [e for e in entries if e.diff("status") is not None]
    found = f"{len(entries)} entries read whole, {len(moves)} status changes"
    run.findings.append(Finding("changelog", found, ok=bool(moves)))


# --- 5. clean up -------------------------------------------------------------------------------
async def _clean_up(run: _Run) -> None:
    gateway, key = run.gateway, run.key
    for comment_id in run.comments:
        try:
            await gateway.delete_comment(key, comment_id)
        except TrackerError as exc:
            run.lines.append(CheckLine(False, f"comment {comment_id} deleted: {exc}", "delete it"))
    try:
        await gateway.transition(Transition(key, Status.CLOSED, f"probe-{run.tag}-end"), key)
    except TrackerError as exc:
        run.lines.append(CheckLine(False, f"{key} closed: {exc}", f"close {key} by hand"))
        return
    fix = f"delete {key} in Tracker's interface if you want no trace"
    run.lines.append(CheckLine(True, f"{key} closed; its probe comments deleted ({fix})"))


def render_probe(report: ProbeReport) -> str:
    out = ["Live probe"]
    out += [f"  ✓ {x.what}" if x.ok else f"  ✗ {x.what} — {x.fix}" for x in report.lines]
    out.append("Findings (what this Tracker does → the setting to use)")
    for f in report.findings:
        mark = "✓" if f.ok else "✗"
        out.append(f"  {mark} {f.topic}: {f.found} → {f.setting}")
    out.append("Live probe passed." if report.ok else "Live probe found problems.")
    return "\n".join(out) + "\n"
