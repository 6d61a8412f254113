"""``tracker-bridge check``, the Tracker part: is Tracker set up the way the config says?

Checks, in order: the token and organisation are accepted (``/v2/myself``); every configured
queue exists; each of its workflows (read at the documented ``/v3`` pages; a 404 there is named
as such) has every mapped status and every transition the regulation needs
(:data:`REQUIRED_TRANSITIONS`), and each of those transitions asks for no field the bridge does
not fill (a resolution it sends, and that resolution exists); the queue has every local field
the bridge writes. The
report is a list of ✓/✗ lines, each ✗ saying what to fix; :attr:`CheckReport.exit_code` is
non-zero when anything is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tracker_bridge.regulation.statuses import TERMINAL_STATUSES, Status, StatusMap
from tracker_bridge.tracker.errors import TrackerAuthError, TrackerError, TrackerNotFound
from tracker_bridge.tracker.gateway import TrackerGateway
from tracker_bridge.tracker.snapshots import WorkflowInfo
from tracker_bridge.tracker.writes import TIME_FIELDS

__all__ = ["REQUIRED_TRANSITIONS", "CheckLine", "CheckReport", "check_tracker", "render"]

_S = Status
# (from, to, why): the moves the bridge makes itself or the regulation expects support to make.
REQUIRED_TRANSITIONS: tuple[tuple[Status, Status, str], ...] = (
    (_S.OPEN, _S.IN_PROGRESS, "taking a request into work (R10)"),
    (_S.IN_PROGRESS, _S.INFO_REQUESTED, "asking the requester for information (R8)"),
    (_S.INFO_REQUESTED, _S.IN_PROGRESS, "back to work on the requester's answer (R8)"),
    (_S.IN_PROGRESS, _S.AWAITING_TESTING, "handing a change to the customer for testing (R15)"),
    (_S.AWAITING_TESTING, _S.VERIFIED, "the customer confirms the change (R15)"),
    (_S.AWAITING_TESTING, _S.ERROR_FOUND, "the customer reports an error (R15)"),
    (_S.AWAITING_TESTING, _S.IN_PROGRESS, "an unclear answer to testing: support's turn (R19)"),
    (_S.INFO_REQUESTED, _S.CLOSED_NO_RESPONSE, "auto-close without an answer (R19)"),
    (_S.AWAITING_TESTING, _S.CLOSED_NO_RESPONSE, "auto-close without an answer (R19)"),
    *(
        (terminal, _S.REOPENED, "reopening a closed request")
        for terminal in sorted(TERMINAL_STATUSES)
    ),
)


_ACCESS_FIX = "give the bridge's Tracker user read access to the queue and its workflows"


@dataclass(frozen=True)
class CheckLine:
    ok: bool
    what: str
    fix: str = ""
    warning: bool = False  # ok for now, but something to do soon (⚠, exit still 0)


@dataclass(frozen=True)
class CheckReport:
    lines: tuple[CheckLine, ...]

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def failures(self) -> tuple[CheckLine, ...]:
        return tuple(line for line in self.lines if not line.ok)


def render(report: CheckReport) -> str:
    """One line per check: ``✓ what`` or ``✗ what — fix``, then a summary line."""
    out = [f"✓ {x.what}" if x.ok else f"✗ {x.what} — {x.fix}" for x in report.lines]
    bad = len(report.failures)
    out.append("Tracker: all good" if bad == 0 else f"Tracker: {bad} problem(s) to fix")
    return "\n".join(out)


async def check_tracker(
    gateway: TrackerGateway,
    *,
    queues: Sequence[str],
    status_map: StatusMap,
    field_ids: Mapping[str, str],
) -> CheckReport:
    """Run every check; stops after the login check if Tracker refuses the credentials."""
    lines: list[CheckLine] = []
    try:
        me = await gateway.myself()
    except TrackerError as exc:
        return CheckReport((_auth_failure(exc),))
    lines.append(CheckLine(True, f"token and organisation accepted (acting as {me.login})"))
    for queue in queues:
        lines += await _check_queue(gateway, queue, status_map, field_ids)
    return CheckReport(tuple(lines))


def _auth_failure(exc: TrackerError) -> CheckLine:
    if isinstance(exc, TrackerAuthError):
        fix = (
            "check the token and the organisation id (X-Org-Id for Yandex 360, "
            "X-Cloud-Org-Id for Cloud organisations)"
        )
    else:
        fix = "check tracker.base_url and the network"
    return CheckLine(False, f"Tracker refused the login: {exc}", fix)


async def _check_queue(
    gateway: TrackerGateway, queue: str, status_map: StatusMap, field_ids: Mapping[str, str]
) -> list[CheckLine]:
    try:
        info = await gateway.queue(queue, workflows=False)
    except TrackerNotFound:
        return [CheckLine(False, f"queue {queue} exists", "create it or fix the queue in config")]
    except TrackerError as exc:
        return [CheckLine(False, f"queue {queue} can be read ({exc})", _ACCESS_FIX)]
    lines = [CheckLine(True, f"queue {queue} exists ({info.name})")]
    lines += await _check_workflows(gateway, queue, status_map)
    types = {f.key: f.type for f in await gateway.local_fields(queue)}
    for logical, key in sorted(field_ids.items()):
        line = f"queue {queue}: local field {key!r} ({logical})"
        fix = f"add the local field {key!r} to queue {queue}, or map {logical} to another field"
        present = key in types
        if present and logical in TIME_FIELDS and types[key] != "datetime":
            # 12.5: only a date-and-time field shows a deadline as a date and a time in the UI
            line += f" is of type {types[key]!r}, not a date and time"
            fix = f"make {key!r} a local field of type date-and-time (datetime) in queue {queue}"
            present = False
        lines.append(CheckLine(present, line, "" if present else fix))
    return lines


async def _check_workflows(
    gateway: TrackerGateway, queue: str, status_map: StatusMap
) -> list[CheckLine]:
    """The queue's workflows from the documented v3 pages (api/queues/workflows/*.md); a 404
    there says the page is missing, not that the queue is."""
    where = f"/v3/queues/{queue}/workflows"
    try:
        workflow_ids = await gateway.queue_workflows(queue)
    except TrackerNotFound as exc:
        what = f"queue {queue}: its workflows can be read at {where} (404: {exc})"
        return [CheckLine(False, what, _V3_FIX)]
    except TrackerError as exc:
        return [CheckLine(False, f"queue {queue}: its workflows can be read ({exc})", _ACCESS_FIX)]
    if not workflow_ids:
        return [CheckLine(False, f"queue {queue}: has a workflow", "bind a workflow to the queue")]
    try:
        resolutions = {r.key for r in await gateway.resolutions()}
    except TrackerError:
        resolutions = None  # cannot tell; the workflow checks still run
    lines: list[CheckLine] = []
    for workflow_id in workflow_ids:
        try:
            flow = await gateway.workflow(workflow_id)
        except TrackerNotFound as exc:
            page = f"/v3/workflows/{workflow_id}"
            what = f"queue {queue}: workflow {workflow_id!r} at {page} (404: {exc})"
            lines.append(CheckLine(False, what, _V3_FIX))
            continue
        except TrackerError as exc:
            what = f"queue {queue}: workflow {workflow_id!r} can be read ({exc})"
            lines.append(CheckLine(False, what, _ACCESS_FIX))
            continue
        lines += _check_workflow(queue, flow, status_map, gateway, resolutions)
    return lines


_V3_FIX = (
    "Tracker did not serve the documented v3 workflow page: check tracker.base_url "
    "(https://api.tracker.yandex.net) and that the token may read the queue's settings"
)


def _check_workflow(
    queue: str,
    flow: WorkflowInfo,
    status_map: StatusMap,
    gateway: TrackerGateway,
    resolutions: set[str] | None,
) -> list[CheckLine]:
    where = f"queue {queue}, workflow {flow.id!r}"
    lines = []
    missing = [s for s in Status if status_map.tracker_key(s) not in flow.statuses]
    for status in missing:
        key = status_map.tracker_key(status)
        fix = f"add status {key!r} to the workflow, or map {status.value} to one of its statuses"
        lines.append(CheckLine(False, f"{where}: status {key!r} ({status.title_ru})", fix))
    if not missing:
        lines.append(CheckLine(True, f"{where}: all {len(Status)} regulation statuses present"))
    edges = {(source, target): tid for source, tid, target in flow.transitions}
    for source, target, why in REQUIRED_TRANSITIONS:
        pair = (status_map.tracker_key(source), status_map.tracker_key(target))
        what = f"{where}: transition {pair[0]!r} → {pair[1]!r} ({why})"
        fix = f"add a transition from {pair[0]!r} to {pair[1]!r} to the workflow"
        tid = edges.get(pair)
        lines.append(CheckLine(tid is not None, what, "" if tid is not None else fix))
        if tid is not None:
            needs = flow.required.get(tid, ())
            lines += _required_lines(what, tid, needs, gateway.resolution_for(target), resolutions)
    return lines


def _required_lines(
    what: str,
    tid: str,
    needs: tuple[str, ...],
    sends: str | None,
    resolutions: set[str] | None,
) -> list[CheckLine]:
    """What the transition's screen requires, and whether the bridge fills it: a resolution
    (the configured one, which must exist), and nothing else it could know."""
    lines = []
    if "resolution" in needs:
        if sends is None:
            fix = (
                f"the transition {tid!r} needs a resolution but leads to a status the bridge "
                "does not treat as done: map it to a done or cancelled status"
            )
            lines.append(CheckLine(False, f"{what}: needs a resolution", fix))
        elif resolutions is not None and sends not in resolutions:
            fix = (
                f"resolution {sends!r} does not exist: set tracker.resolution (or "
                "tracker.resolutions) to one of " + ", ".join(sorted(resolutions))
            )
            lines.append(CheckLine(False, f"{what}: needs a resolution ({sends!r})", fix))
        else:
            lines.append(CheckLine(True, f"{what}: needs a resolution; the bridge sends {sends!r}"))
    for name in needs:
        if name != "resolution":
            fix = f"make {name!r} optional on the screen of {tid!r}: the bridge cannot fill it"
            lines.append(CheckLine(False, f"{what}: requires the field {name!r}", fix))
    return lines
