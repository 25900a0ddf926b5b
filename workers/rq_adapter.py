"""What SPOA relies on in RQ beyond its documented API, in one place. Each is pinned by
tests/workers/test_rq_adapter.py, so an RQ upgrade that changes one fails a test, not
a worker in production:

- a worker installs its SIGINT/SIGTERM handlers from work(), through a method of its
  own: a worker in a thread may install none (only the main thread may), and the
  main worker's must never raise inside logging (workers/runner.py);
- a worker's loop ends after the job in hand once asked to. RQ asks only from its
  signal handler (request_stop, which also replaces the process's handlers and may
  raise there); a delivery worker, a thread, is asked without a signal;
- a job's callbacks are stored by name, so they can be refused without importing them.
"""
from rq import SimpleWorker
from rq.job import Job


class Worker(SimpleWorker):
    """SimpleWorker with a public hook for its signal handlers and a stop without a signal."""

    def install_signal_handlers(self) -> None:
        """This worker's SIGINT and SIGTERM handlers (RQ's own warm stop unless replaced)."""
        super()._install_signal_handlers()

    def _install_signal_handlers(self):  # RQ's: work() calls it before its loop
        self.install_signal_handlers()

    def stop_after_job(self) -> None:
        """End the work loop once the job in hand, if any, is done (RQ checks before each dequeue)."""
        self._stop_requested = True


def callback_names(job: Job) -> tuple[str | None, str | None, str | None]:
    """The dotted names of ``job``'s success, failure and stopped callbacks, as stored (nothing imported)."""
    return job._success_callback_name, job._failure_callback_name, job._stopped_callback_name
