"""Work spread over the machine's cores in forked processes.

A build is CPU-bound Python, so threads do not help; forked processes start in
milliseconds and inherit everything already in memory (the checked deployment, the
views), so nothing but ids goes to them and only bytes come back.  A process that runs
threads must not fork — a lock held by another thread at fork time stays locked in the
child — so there everything runs in-process, with the same result: workers never change
the output, only when it is ready.  (``serve`` forks its build process before its threads
start, so its builds use workers too.)
"""

from __future__ import annotations

import functools
import gc
import marshal
import multiprocessing
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

#: what :func:`enter_held` enters
C = TypeVar("C", bound=AbstractContextManager[Any])


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def can_fork() -> bool:
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def worker_count(jobs: int) -> int:
    """``--jobs`` (0: one per core, at most 8) → processes to use; 1 means in-process."""
    return min(jobs or cpu_count(), 8) if can_fork() else 1


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while forking: arriving then, one would run its handler in an
    at-fork hook, where CPython drops the exception ("Exception ignored"), and the build
    would go on.  Held, it arrives just after."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def enter_held(stack: ExitStack, make: Callable[[], C]) -> C:
    """``stack.enter_context(make())`` with Ctrl-C and SIGTERM held: what ``make`` starts (a
    process) or makes (a folder) is on the stack, to be stopped or removed should the build
    fail or be interrupted, before a signal can arrive; arriving in between, one would leave
    the process running on (still writing into a folder being removed) or the folder behind.
    Held, it is taken just after."""
    with signals_held():
        return stack.enter_context(make())


def child_signals(*, unwind: bool = True) -> None:
    """In a forked child: Ctrl-C is the parent's to handle; it stops its children with
    SIGTERM, which (``unwind``) raises KeyboardInterrupt, so that temporary folders are
    removed — or simply ends a child that has nothing to clean up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.default_int_handler if unwind else signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Loading builds millions of small acyclic objects, and so do the views (from the
    records, most of a rebuild's), the records and the walk's findings as they are read;
    the cyclic collector would rescan them over and over (40 % of a large check).  Pause
    it, then freeze what was built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _pool_worker_signals() -> None:
    child_signals(unwind=False)  # a pool worker only returns values


@contextmanager
def worker_pool(workers: int) -> Iterator[Callable[..., Future[Any]]]:
    """``workers`` forked processes for work handed out as it comes: yields ``submit(fn,
    item)``, which returns a future.  Leaving on an exception (an interrupt) drops the work
    not started yet; leaving otherwise waits for the rest."""
    # (imported here: a rebuild that parses few files needs no pool, and the import took
    # 5 ms of every build's start)
    from concurrent.futures import ProcessPoolExecutor

    gc.freeze()  # the collector in a worker must not touch (and so copy) our objects
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_pool_worker_signals) as pool:

        def submit(fn: Callable[[Any], Any], item: Any) -> Future[Any]:
            with signals_held():  # the workers are forked when the first work is handed out
                return pool.submit(fn, item)

        try:
            yield submit
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def parallel_map(
    fn: Callable[[Any], Any], items: list[Any], workers: int,
    meanwhile: Callable[[], None] = lambda: None,
) -> list[Any]:
    """``[fn(item) for item in items]`` in ``workers`` forked processes, in order;
    ``meanwhile()`` is done here while they work."""
    with worker_pool(workers) as submit:
        futures = [submit(fn, item) for item in items]
        meanwhile()
        return [future.result() for future in futures]


class Background:
    """``fn()`` run in a forked child while this process goes on; :meth:`result` waits for
    it.  The result must be something :mod:`marshal` stores (bytes, str, dict, set…).  When
    forking is not possible or the child fails, ``fn`` runs here instead — so an error is
    raised with its traceback in this process, exactly as without the child."""

    def __init__(self, fn: Callable[[], Any], *, enabled: bool = True) -> None:
        self.fn = fn
        self.process: Any = None
        if enabled and can_fork():
            # A file without a name, shared with the child: nothing is left behind, even
            # when both are killed outright (closed by result or discard).
            self.file = tempfile.TemporaryFile(prefix="zhilian-")  # noqa: SIM115
            self.process = multiprocessing.get_context("fork").Process(
                target=_run_and_store, args=(fn, self.file.fileno())
            )
            gc.freeze()  # the collector in the child must not touch (and so copy) our objects
            try:
                with signals_held():
                    self.process.start()
            except BaseException:  # interrupted as it started: nobody else could stop it
                self.stop()
                raise

    def running(self) -> bool:
        """The child is still at work."""
        return self.process is not None and self.process.is_alive()

    def result(self) -> Any:
        if self.process is None:
            return self.fn()
        self.process.join()
        try:
            if self.process.exitcode == 0:
                self.file.seek(0)  # the child wrote through the same open file
                return marshal.loads(self.file.read())
        except (OSError, EOFError, ValueError, TypeError):
            pass
        finally:
            self.file.close()
        return self.fn()  # the child failed: do it here, where an error is reported

    def stop(self) -> None:
        """Stop the child now (this process is being interrupted): it must not go on writing
        into a folder that is about to be removed.  SIGTERM unwinds it (``child_signals``)."""
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
        self.discard()

    def __enter__(self) -> Background:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        """Leaving with an exception (a bug, an interrupt) stops the child; otherwise its
        result, if nobody took it, is dropped once it is done."""
        if exc_type is not None:
            self.stop()
        else:
            self.discard()

    def discard(self) -> None:
        """The result is not wanted any more: wait for the child to end, forget what it made."""
        if self.process is not None:
            self.process.join()
            self.file.close()
            self.process = None
        self.fn = lambda: None


#: starts ``fn(*args)`` in another process and returns the call that waits for its result
#: (:meth:`Helper.submit`; a forked :class:`Background`)
Elsewhere = Callable[..., Callable[[], Any]]


class Helper:
    """A process forked while this one is still small, that runs functions on what it is
    sent: for work on a small input (the annual report's rows) that a fork of this process
    grown large would do at a cost — each process then copies every memory page it touches
    of the ones both hold, and CPython touches an object just by reading it (its reference
    count).  ``serve``'s build process has one from its start (see ``build._Ahead``).

    Jobs run one at a time, in the order sent.  The helper is never needed: when it cannot
    take a job, or fails on one, the job runs in this process instead, so an error is
    raised here with its traceback, as without the helper."""

    def __init__(self, inherited: tuple[Any, ...] = ()) -> None:
        """``inherited``: what the helper must close (the ends of this process's pipes):
        forked, it holds copies of every open file."""
        self._conn: Any = None
        self._sent = self._answered = 0  # the last job sent, the last one answered
        if can_fork():
            context = multiprocessing.get_context("fork")
            self._conn, child = context.Pipe()
            self.process = context.Process(
                target=_helper_loop, args=(child, (self._conn, *inherited)),
                name="zhilian-helper", daemon=True,
            )
            with signals_held():
                self.process.start()
            child.close()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        """Start ``fn(*args)`` in the helper (``fn`` and ``args``: picklable); returns the
        call that waits for its result."""
        if self._conn is None:
            return functools.partial(fn, *args)
        job = self._sent + 1
        try:
            self._conn.send((job, fn, args))
        except (pickle.PicklingError, TypeError, AttributeError):  # (nothing was sent)
            return functools.partial(fn, *args)
        except (OSError, ValueError):  # the helper is gone
            self.close()
            return functools.partial(fn, *args)
        self._sent = job

        def result() -> Any:
            # Answers come in order; one nobody took (a build stopped) is passed over.
            while self._conn is not None and self._answered < job:
                try:
                    self._answered, ok, value = self._conn.recv()
                except (OSError, EOFError):  # the helper is gone
                    self.close()
                    break
                if self._answered == job and ok:
                    return value
            return fn(*args)  # (its answer passed over, or it failed: raised here)

        return result

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the helper's end of the pipe then ends: it leaves
            self._conn = None
            self.process.join(timeout=1)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()


def _helper_loop(conn: Any, inherited: tuple[Any, ...]) -> None:
    for handle in inherited:
        handle.close()
    child_signals(unwind=False)
    try:
        while True:
            job, fn, args = conn.recv()
            try:
                conn.send((job, True, fn(*args)))
            except Exception:  # the parent runs it again and reports the error
                conn.send((job, False, None))
    except (EOFError, OSError):
        pass


def _run_and_store(fn: Callable[[], Any], fd: int) -> None:
    try:
        child_signals()  # stopped even before this: the interrupt is raised here
        # A child lives for one part of one build and frees by reference counts; the
        # collector would only rescan what it reads (0.01–0.02 s of each child's CPU).
        gc.disable()
        with os.fdopen(os.dup(fd), "wb") as handle:
            marshal.dump(fn(), handle)  # no second copy of the result in memory
    except BaseException:  # the parent runs fn again and reports the error
        os._exit(1)
