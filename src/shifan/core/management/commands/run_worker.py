"""`manage.py run_worker`: the background worker to run, instead of bare `db_worker`.

django-tasks-db's worker, named `<host>:<pid>:<token>` (core.workers), which at start and then
every minute returns to READY the tasks a killed worker left RUNNING. Its options are
`db_worker`'s.
"""

import logging
import os
import threading
from typing import Any

from django.core.management.base import CommandError
from django.db import connection
from django.db.utils import DatabaseError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from shifan.core.workers import SWEEP_SECONDS, requeue_abandoned_tasks, worker_id

logger = logging.getLogger("shifan.core.workers")


def sweep() -> None:
    try:
        requeue_abandoned_tasks()
    except DatabaseError:  # a locked or unreachable database: the next sweep tries again
        logger.exception("The sweep for abandoned tasks failed")
    finally:
        connection.close()


class SweepingWorker(db_worker.Worker):
    def run(self) -> None:
        sweep()
        stop = threading.Event()
        thread = threading.Thread(target=self._sweep_every_minute, args=(stop,), daemon=True, name="sweep")
        thread.start()
        try:
            super().run()
        finally:
            stop.set()

    @staticmethod
    def _sweep_every_minute(stop: threading.Event) -> None:
        while not stop.wait(SWEEP_SECONDS):
            sweep()


class Command(db_worker.Command):
    help = "运行后台任务进程（代替 db_worker）：启动时和此后每分钟把已停止的进程留下的任务放回队列。"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=None)

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        reload = options["reload"] and not options["batch"]
        if reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            run_with_reloader(lambda: None)  # the reloader's child runs this command again
            return
        worker = SweepingWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            # Named here, in the process that runs the tasks (with --reload, the reloader's child).
            worker_id=options["worker_id"] or worker_id(),
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        if reload:
            run_with_reloader(worker.run)
        else:
            worker.run()
