"""Keyed ordering (tracker_bridge.service.lanes): independent jobs side by side, dependent ones in
order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tracker_bridge.service.lanes import Job, JobResult, run_ordered


class Recorder:
    """Jobs that log their start and end and finish only when released (no sleeps)."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.running = 0
        self.most = 0

    def job(self, name: str, *keys: str, fail: bool = False) -> Job[str]:
        gate = self.gates.setdefault(name, asyncio.Event())

        async def work() -> str:
            self.events.append(f"start {name}")
            self.running += 1
            self.most = max(self.most, self.running)
            try:
                await gate.wait()
            finally:
                self.running -= 1
            self.events.append(f"end {name}")
            if fail:
                raise RuntimeError(name)
            return name

        return Job(keys, work)

    def started(self) -> list[str]:
        return [e.split()[1] for e in self.events if e.startswith("start")]

    async def release(self, name: str) -> None:
        self.gates[name].set()
        await _settle()


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def _spawn(
    jobs: list[Job[str]], limit: int, **options: Callable[[], bool] | bool
) -> asyncio.Task[list[JobResult[str]]]:
    return asyncio.ensure_future(run_ordered(jobs, limit=limit, **options))  # type: ignore[arg-type]


async def _finish(rec: Recorder, task: Awaitable[list[JobResult[str]]]) -> list[JobResult[str]]:
    for gate in rec.gates.values():
        gate.set()
    return await task


async def test_independent_jobs_run_side_by_side_up_to_the_limit() -> None:
    """Jobs sharing no key start together, never more than ``limit`` at once."""
    rec = Recorder()
    task = _spawn([rec.job(f"j{i}", f"k{i}") for i in range(10)], limit=4)
    await _settle()
    assert rec.started() == ["j0", "j1", "j2", "j3"]
    await rec.release("j2")
    assert rec.started()[-1] == "j4"  # a free slot goes to the next in submission order
    results = await _finish(rec, task)
    assert rec.most == 4
    assert [r.value for r in results] == [f"j{i}" for i in range(10)]


async def test_a_job_waits_for_every_earlier_job_sharing_a_key() -> None:
    """A reply (sharing the message's key) starts only once the message it answers is done."""
    rec = Recorder()
    task = _spawn([rec.job("mail", "id:a"), rec.job("reply", "id:a", "from:x")], limit=8)
    await _settle()
    assert rec.started() == ["mail"]
    await rec.release("mail")
    assert rec.events[:3] == ["start mail", "end mail", "start reply"]
    await _finish(rec, task)


async def test_an_independent_later_job_overtakes_a_blocked_one() -> None:
    """A new request from someone else does not wait behind a blocked reply."""
    rec = Recorder()
    jobs = [rec.job("a", "issue:1"), rec.job("b", "issue:1"), rec.job("c", "issue:2")]
    task = _spawn(jobs, limit=8)
    await _settle()
    assert rec.started() == ["a", "c"]
    await _finish(rec, task)
    assert rec.events.index("end a") < rec.events.index("start b")


async def test_a_job_never_overtakes_an_earlier_waiting_job_that_shares_a_key() -> None:
    """Order is transitive: c shares only k2 with b, and b waits for a, so c waits too."""
    rec = Recorder()
    jobs = [rec.job("a", "k1"), rec.job("b", "k1", "k2"), rec.job("c", "k2")]
    task = _spawn(jobs, limit=8)
    await _settle()
    assert rec.started() == ["a"]
    await rec.release("a")
    assert rec.started() == ["a", "b"]
    await rec.release("b")
    assert rec.started() == ["a", "b", "c"]
    await _finish(rec, task)


async def test_limit_one_is_a_plain_sequential_loop() -> None:
    """With one slot, jobs run one after the other in submission order."""
    rec = Recorder()
    task = _spawn([rec.job(f"j{i}", f"k{i}") for i in range(3)], limit=1)
    await _finish(rec, task)
    assert rec.events == ["start j0", "end j0", "start j1", "end j1", "start j2", "end j2"]


async def test_after_a_failure_no_new_job_starts_and_running_ones_finish() -> None:
    """An outage backs off: the failed job is reported, the rest are left unstarted."""
    rec = Recorder()
    jobs = [rec.job("bad", "k0", fail=True), rec.job("busy", "k1"), rec.job("later", "k2")]
    task = _spawn(jobs, limit=2)
    await _settle()
    await rec.release("bad")
    assert rec.started() == ["bad", "busy"]
    await rec.release("busy")
    results = await task
    assert isinstance(results[0].error, RuntimeError) and not results[0].ok
    assert results[1].ok and results[1].value == "busy"
    assert results[2] == JobResult(started=False)


async def test_without_stop_on_error_every_job_still_runs() -> None:
    """Independent evaluations each get their chance; failures are reported per job."""
    rec = Recorder()
    jobs = [rec.job("bad", "k0", fail=True), rec.job("good", "k1")]
    results = await _finish(rec, _spawn(jobs, limit=1, stop_on_error=False))
    assert [r.ok for r in results] == [False, True]


async def test_a_stop_lets_the_jobs_in_hand_finish_and_starts_no_more() -> None:
    """Shutdown: the message in hand is finished, nothing new is begun."""
    rec = Recorder()
    stopping = False
    task = _spawn([rec.job(f"j{i}", f"k{i}") for i in range(4)], limit=2, stop=lambda: stopping)
    await _settle()
    stopping = True
    results = await _finish(rec, task)
    assert [r.started for r in results] == [True, True, False, False]
    assert [r.value for r in results[:2]] == ["j0", "j1"]


async def test_cancelling_the_run_cancels_the_jobs_in_flight() -> None:
    """Cancellation is never swallowed and leaves no job running."""
    rec = Recorder()
    task = _spawn([rec.job("a", "k"), rec.job("b", "j")], limit=2)
    await _settle()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert rec.running == 0


async def test_a_limit_below_one_is_refused() -> None:
    """Zero slots would never run anything: a configuration error, said at once."""
    with pytest.raises(ValueError, match="at least 1"):
        await run_ordered([], limit=0)


async def test_no_jobs_is_no_work() -> None:
    """An empty backlog returns at once."""
    assert await run_ordered([], limit=3) == []
