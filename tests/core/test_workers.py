"""``workers.Helper``: a lean process that runs functions on what it is sent — and is never
needed: whatever happens to it, a job's result is the one computing it here would give."""

from __future__ import annotations

import os
import signal

import pytest

from zhilian.workers import Helper, can_fork


def _pid_and_double(value: int) -> tuple[int, int]:
    return os.getpid(), 2 * value


def _fail(value: int) -> int:
    raise ValueError(f"bad value {value} in pid {os.getpid()}")


@pytest.fixture
def helper() -> Helper:
    assert can_fork(), "the helper cannot be forked here: the tests would prove nothing"
    helper = Helper()
    yield helper
    helper.close()


def test_a_job_runs_in_the_helper_process(helper: Helper) -> None:
    pid, value = helper.submit(_pid_and_double, 21)()
    assert value == 42
    assert pid == helper.process.pid != os.getpid()


def test_jobs_answer_in_order_even_when_a_result_was_never_taken(helper: Helper) -> None:
    helper.submit(_pid_and_double, 1)  # a build stopped before it took its workbook
    second = helper.submit(_pid_and_double, 2)
    third = helper.submit(_pid_and_double, 3)
    assert third()[1] == 6  # taken out of order: the others' answers are passed over
    assert helper.submit(_pid_and_double, 4)()[1] == 8
    assert second()[1] == 4  # its answer was passed over: made here instead
    assert second()[0] == os.getpid()


def test_a_failing_job_raises_here_with_this_process_traceback(helper: Helper) -> None:
    with pytest.raises(ValueError, match=f"bad value 7 in pid {os.getpid()}$"):
        helper.submit(_fail, 7)()
    assert helper.submit(_pid_and_double, 5)()[0] == helper.process.pid  # still at work


def test_a_dead_helper_leaves_the_work_to_this_process(helper: Helper) -> None:
    os.kill(helper.process.pid, signal.SIGKILL)
    helper.process.join()
    assert helper.submit(_pid_and_double, 8)() == (os.getpid(), 16)
    assert helper.submit(_pid_and_double, 9)() == (os.getpid(), 18)  # not tried again


def test_a_closed_helper_ends_its_process(helper: Helper) -> None:
    process = helper.process
    helper.close()
    assert not process.is_alive() and process.exitcode == 0
    assert helper.submit(_pid_and_double, 10)() == (os.getpid(), 20)


def test_what_cannot_be_sent_runs_here(helper: Helper) -> None:
    def local(value: int) -> tuple[int, int]:  # (a local function cannot be pickled)
        return os.getpid(), value

    assert helper.submit(local, 3)() == (os.getpid(), 3)
    assert helper.submit(_pid_and_double, 11)()[0] == helper.process.pid  # still at work
