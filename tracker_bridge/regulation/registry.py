"""Clauses R1–R22 of the regulation, the code that implements each, and the tests that prove it.

``tracker-bridge regulation`` prints this registry. ``tests/test_registry.py`` keeps it true: every
code reference must import, and the test list of each clause must be exactly the tests named after
it (``test_r<N>_…``), which :mod:`tracker_bridge.regulation.clause_tests` records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tracker_bridge.regulation.clause_tests import CLAUSE_TESTS
from tracker_bridge.regulation.readings import READINGS

__all__ = ["CLAUSES", "Clause", "render_listing"]


@dataclass(frozen=True)
class Clause:
    id: str
    says: str
    does: str
    code: tuple[str, ...]
    in_scope: bool = True

    @property
    def tests(self) -> tuple[str, ...]:
        return CLAUSE_TESTS.get(self.id, ())


_R = "tracker_bridge.regulation"

CLAUSES: tuple[Clause, ...] = (
    Clause(
        "R1",
        "Work happens only on requests registered in Yandex Tracker.",
        "Every accepted email becomes, or attaches to, exactly one Tracker issue (Tracker "
        "`unique` from customer + Message-ID).",
        (f"{_R}.triage.triage", f"{_R}.actions.CreateIssue", f"{_R}.actions.unique_for"),
    ),
    Clause(
        "R2",
        "Each customer gets its own intake email address.",
        "Mail is routed to a customer by the intake address in Delivered-To/To/Cc; unknown "
        "addresses are quarantined.",
        (f"{_R}.triage.route", f"{_R}.model.Customer"),
    ),
    Clause(
        "R3",
        "The customer's server must be reachable over SSH.",
        "Out of scope: no software role.",
        (),
        in_scope=False,
    ),
    Clause(
        "R4",
        "A blockage caused by the customer's server or network is reported to the customer.",
        "An infrastructure resolution or tag sends the requester the matching notice.",
        (f"{_R}.rules.infrastructure_notice",),
    ),
    Clause(
        "R5",
        "Urgent requests and consultations go through a Telegram group.",
        "Urgent requests get one live card each, refreshed whenever what it shows changes.",
        (f"{_R}.rules.card", f"{_R}.actions.TelegramCard"),
    ),
    Clause(
        "R6",
        "Support works Mon–Fri on working days, 10:00–18:00 Moscow time.",
        "The RU production calendar (holidays, transferred days, shortened days); out-of-hours "
        "receipt is said; non-urgent alerts wait for the opening.",
        (
            f"{_R}.calendar.WorkCalendar",
            f"{_R}.production_calendar",
            f"{_R}.rules.clock_alerts",
        ),
    ),
    Clause(
        "R7",
        "Requests come by email: subject = problem + department; body = description, login, "
        "card no., history no., record, button; files attached.",
        "Subject and body are parsed into summary, department, fields and attachments; an "
        "unrecognised layout still makes a request; a missing login is asked for.",
        (f"{_R}.request.describe_request", f"{_R}.triage.triage"),
    ),
    Clause(
        "R8",
        "Support may ask clarifying questions; the requester is notified; work resumes after "
        "the answer.",
        "Support comments are mailed (internal ones never); the reply becomes a comment; a reply "
        "to 'info requested' moves the request back to work.",
        (f"{_R}.triage.triage", f"{_R}.rules.comment_notifications"),
    ),
    Clause(
        "R9",
        "Priority is set by the customer and corrected by support.",
        "Priority comes from a subject marker or X-Priority/Importance; a change by support is "
        "mailed with the old and new value and re-targets the clock.",
        (f"{_R}.request.describe_request", f"{_R}.rules.priority_notifications"),
    ),
    Clause(
        "R10",
        "High-priority requests are taken into work no later than 3 days after they appear; time "
        "in 'info requested' is subtracted from the execution term.",
        "Reaction clock: 72 calendar hours from the mail's arrival until a person takes the "
        "request into work (the bridge's own moves do not count); its own Tracker field, "
        "warnings at 75 % and the last hour, breach alert, each naming the clock. Waiting time "
        "is subtracted from the execution clock (R17).",
        (
            f"{_R}.sla.reaction_clock",
            f"{_R}.rules.clock_alerts",
            f"{_R}.rules.deadline_fields",
            f"{_R}.model.IssueView",
        ),
    ),
    Clause(
        "R11",
        "Google Chrome is the target browser; caches can cause faults after updates.",
        "The 'awaiting testing' notification reminds the requester to refresh the browser cache.",
        (f"{_R}.notifications.CONTEXT",),
    ),
    Clause(
        "R12",
        "Every event (registration, clarification, closing) is notified by email.",
        "One notification per event: registration with the deadline, each status the requester "
        "cares about, comments, priority, reminders.",
        (f"{_R}.rules.status_notifications", f"{_R}.notifications.TEMPLATES"),
    ),
    Clause(
        "R13",
        "The fourteen statuses of the regulation.",
        "Logical statuses with categories, mapped to each queue's Tracker keys by config.",
        (f"{_R}.statuses.Status", f"{_R}.statuses.StatusMap"),
    ),
    Clause(
        "R14",
        "Work in 'awaiting testing' and 'info requested' is suspended until the customer answers.",
        "These two are the paused statuses: the execution clock stops while in them.",
        (f"{_R}.statuses.Category", f"{_R}.sla.execution_clock"),
    ),
    Clause(
        "R15",
        "Changes go to test first; production only after the customer's responsible person "
        "confirms by email.",
        "A confirming reply from an allowed confirmer verifies; a problem report → error found; "
        "anything unclear goes to support; the hand-off to production is alerted.",
        (f"{_R}.replies.classify_test_reply", f"{_R}.rules.production_handoff"),
    ),
    Clause(
        "R16",
        "Once closed, the work on the request is done.",
        "Terminal statuses end every clock, warning and reminder.",
        (f"{_R}.sla.execution_clock", f"{_R}.sla.reaction_clock", f"{_R}.statuses.Category"),
    ),
    Clause(
        "R17",
        "Non-critical requests may be postponed up to 14 working days.",
        "Execution clock: 14 working days from the mail's arrival until the customer accepts "
        "the change, waiting for the customer (R14) excluded; for high priorities too (the text "
        "sets them no other term).",
        (f"{_R}.sla.execution_clock", f"{_R}.policy.Policy"),
    ),
    Clause(
        "R18",
        "Enhancements are outside the support regulation.",
        "Issue types or tags marked as enhancements get no clock and no deadline.",
        (f"{_R}.sla.is_enhancement", f"{_R}.rules.deadline_fields"),
    ),
    Clause(
        "R19",
        "No answer within 10 working days of 'awaiting testing' or 'info requested' → closed "
        "for no response.",
        "Silence clock of 10 working days, reset by any reply; reminders at 3 and 1 days left; "
        "auto-close with a comment.",
        (f"{_R}.sla.silence_clock", f"{_R}.rules.silence_actions"),
    ),
    Clause(
        "R20",
        "Comments to finished requests are ignored; corrections come as new requests quoting "
        "the old number.",
        "A reply to a terminal request is not added and the sender is told (rate-limited); per "
        "status it may file a linked request or reopen; quoted keys are linked.",
        (f"{_R}.triage.triage", f"{_R}.policy.TerminalReply"),
    ),
    Clause(
        "R21",
        "Non-critical requests may be deferred; high ones are taken daily.",
        "A daily digest at the opening: open requests by priority, due today, breaches.",
        (f"{_R}.digest.daily_digests",),
    ),
    Clause(
        "R22",
        "Information on updates and fixes is sent to the requester automatically.",
        "Every notification is an action with an idempotency key: sent once, never lost.",
        (f"{_R}.actions.Notify", f"{_R}.rules.evaluate"),
    ),
)


def render_listing(
    *, verbose: bool = False, tests: Mapping[str, tuple[str, ...]] | None = None
) -> str:
    """The registry as text: each clause, what it says, what we do, the code and the tests.

    ``tests`` replaces the recorded test lists (used when regenerating them).
    """
    recorded = CLAUSE_TESTS if tests is None else tests
    lines: list[str] = []
    total = 0
    for clause in CLAUSES:
        clause_tests = recorded.get(clause.id, ())
        total += len(clause_tests)
        lines.append(f"{clause.id:<4} {clause.says}")
        lines.append(f"     does:  {clause.does}")
        if clause.code:
            lines.append(f"     code:  {', '.join(clause.code)}")
        scope = "" if clause.in_scope else " (out of scope)"
        lines.append(f"     tests: {len(clause_tests)}{scope}")
        if verbose:
            lines.extend(f"            {test}" for test in clause_tests)
        lines.append("")
    lines.append(f"{len(CLAUSES)} clauses, {total} clause tests.")
    if verbose:
        lines += ["", READINGS.rstrip("\n")]
    return "\n".join(lines) + "\n"
