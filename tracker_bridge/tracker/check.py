"""``tracker-bridge check``, the Tracker part: is Tracker set up the way the config says?

Checks, in order: the token and organisation are accepted (``/v2/myself``); every configured
queue exists; each of its workflows has every mapped status and every transition the regulation
needs (:data:`REQUIRED_TRANSITIONS`); the queue has every local field the bridge writes. The
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
        info = await gateway.queue(queue)
    except TrackerNotFound:
        return [CheckLine(False, f"queue {queue} exists", "create it or fix the queue in config")]
    except TrackerError as exc:
        return [CheckLine(False, f"queue {queue} can be read ({exc})", _ACCESS_FIX)]
    lines = [CheckLine(True, f"queue {queue} exists ({info.name})")]
    for workflow_id in info.workflows:
        try:
            flow = await gateway.workflow(workflow_id)
        except TrackerError as exc:
            what = f"queue {queue}: workflow {workflow_id!r} can be read ({exc})"
            lines.append(CheckLine(False, what, _ACCESS_FIX))
            continue
        lines += _check_workflow(queue, flow, status_map)
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


def _check_workflow(queue: str, flow: WorkflowInfo, status_map: StatusMap) -> list[CheckLine]:
    where = f"queue {queue}, workflow {flow.id!r}"
    lines = []
    missing = [s for s in Status if status_map.tracker_key(s) not in flow.statuses]
    for status in missing:
        key = status_map.tracker_key(status)
        fix = f"add status {key!r} to the workflow, or map {status.value} to one of its statuses"
        lines.append(CheckLine(False, f"{where}: status {key!r} ({status.title_ru})", fix))
    if not missing:
        lines.append(CheckLine(True, f"{where}: all {len(Status)} regulation statuses present"))
    edges = {(source, target) for source, _, target in flow.transitions}
    for source, target, why in REQUIRED_TRANSITIONS:
        pair = (status_map.tracker_key(source), status_map.tracker_key(target))
        what = f"{where}: transition {pair[0]!r} → {pair[1]!r} ({why})"
        fix = f"add a transition from {pair[0]!r} to {pair[1]!r} to the workflow"
        lines.append(CheckLine(pair in edges, what, "" if pair in edges else fix))
    return lines
