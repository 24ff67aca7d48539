"""APScheduler wiring: the reminder sweep and notification delivery on their intervals, the
campaigns the workflows schedule, the monthly bulletin (`[scheduler] bulletin` crontab) and
the day's checkpoint of the trace (`[audit] checkpoint` crontab, added to a file to publish).

Each process runs its own in-memory job store: APScheduler's job store is never shared
between processes, so two schedulers never hand each other jobs. On SQLite only one
scheduler may run per database file (a lock file beside it says so); on PostgreSQL several
may run, and the work they share is claimed row by row.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
from datetime import timedelta
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from banli.engine.runtime import Runtime
from banli.engine.sweep import sweep
from banli.engine.times import DEFAULT_ZONE, utc_now
from banli.errors import NotAllowedNow
from banli.i18n import _

log = logging.getLogger("banli.scheduler")


class SingleSchedulerLock:
    """An exclusive lock file beside a SQLite database, held while the scheduler runs."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".scheduler.lock")
        self.handle = None

    def __enter__(self) -> "SingleSchedulerLock":
        self.handle = open(self.path, "a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or _("another process")
            self.handle.close()
            raise NotAllowedNow(_("a banli scheduler is already running on {database} (pid {pid}); stop it first, "
                                  "or use PostgreSQL to run several").format(
                database=self.path.with_suffix("").with_suffix(""), pid=holder)) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(str(os.getpid()))
        self.handle.flush()
        return self

    def __exit__(self, *exc) -> None:
        self.handle.seek(0)
        self.handle.truncate()
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def sweep_job(runtime: Runtime) -> dict:
    runtime.store.workflows.forget()  # pick up calendar years another process added
    report = sweep(runtime, runtime.now()).as_json()
    log.info(_("sweep: {reminders} reminder(s) of {items} item(s), {notifications} notification(s), "
               "{events} event(s)").format(**report))
    return report


def deliver_job(store, config) -> dict:
    from banli.notify import deliver

    counts = deliver(store, config, utc_now(), clock=utc_now)
    log.info(_("deliver: {counts}").format(counts=", ".join(f"{key} {value}" for key, value in counts.items())))
    return counts


def campaign_job(runtime: Runtime, name: str) -> dict:
    from banli.engine.campaigns import open_campaign

    report = open_campaign(runtime, name, session=None, at=runtime.now())
    log.info(_("campaign {name}: selected {selected} item(s)").format(name=name, selected=report["selected"]))
    return report


def bulletin_job(runtime: Runtime, folder: Path) -> dict:
    from banli.reports.bulletin import bulletin_job as write_bulletin

    result = write_bulletin(runtime.store, runtime.now(), folder)
    log.info(_("bulletin {period}: {files}").format(period=result["period"],
                                                    files=", ".join(str(f) for f in result["files"])))
    return result


def checkpoint_job(runtime: Runtime, path: Path) -> dict | None:
    """The day's checkpoint of the trace, journaled and added to `path` as a JSON line; none
    (an error in the log) when the trace does not verify: a checkpoint vouches for it."""
    from banli.errors import BanliError
    from banli.store.audit import checkpoint
    from banli.store.checkpoints import write

    try:
        made = checkpoint(runtime.store, at=runtime.now(), actor="system")
        write(path, made, append=True)
    except BanliError as error:
        log.error(_("checkpoint: {error}").format(error=error))
        return None
    log.info(_("checkpoint: {size} trace rows, root {root}, added to {file}").format(
        size=made["size"], root=made["root"], file=path))
    return made


def build(runtime: Runtime, config, *, sweep_every: timedelta, deliver_every: timedelta) -> BlockingScheduler:
    """A scheduler with the sweep and delivery jobs, and a job for every campaign a workflow
    schedules (`schedule:` crontab, in the workflow's time zone); no job overlaps itself."""
    from apscheduler.triggers.cron import CronTrigger

    scheduler = BlockingScheduler(executors={"default": ThreadPoolExecutor(2)},
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
    for workflow in runtime.store.workflows.latest():
        for name, campaign in workflow.definition.campaigns.items():
            if campaign.schedule:
                scheduler.add_job(campaign_job, CronTrigger.from_crontab(campaign.schedule, timezone=workflow.zone),
                                  args=[runtime, name], id=f"campaign:{workflow.definition.id}:{name}")
    if config.scheduler.bulletin:  # the month before, written as Markdown and Word
        # in the zone `bulletin_job` reads "the month before" in, so the 1st is the 1st there
        scheduler.add_job(bulletin_job, CronTrigger.from_crontab(config.scheduler.bulletin, timezone=DEFAULT_ZONE),
                          args=[runtime, config.bulletin_folder()], id="bulletin")
    if config.audit.checkpoint:
        scheduler.add_job(checkpoint_job, CronTrigger.from_crontab(config.audit.checkpoint, timezone=DEFAULT_ZONE),
                          args=[runtime, config.checkpoint_file()], id="checkpoint")
    scheduler.add_job(sweep_job, "interval", args=[runtime], seconds=sweep_every.total_seconds(), id="sweep",
                      next_run_time=utc_now())
    scheduler.add_job(deliver_job, "interval", args=[runtime.store, config], seconds=deliver_every.total_seconds(),
                      id="deliver", next_run_time=utc_now())
    return scheduler


def run(runtime: Runtime, config, *, database: Path | None, sweep_every: timedelta, deliver_every: timedelta) -> None:
    """Run until SIGINT or SIGTERM, then let running jobs finish and return."""
    scheduler = build(runtime, config, sweep_every=sweep_every, deliver_every=deliver_every)

    def stop(signum, _frame) -> None:
        log.info(_("received {signal}: stopping after the running jobs").format(signal=signal.Signals(signum).name))
        scheduler.shutdown(wait=True)

    banner = _("scheduler started (pid {pid}): sweep every {sweep} s, deliver every {deliver} s; Ctrl-C or SIGTERM "
               "stops it").format(pid=os.getpid(), sweep=f"{sweep_every.total_seconds():g}",
                                  deliver=f"{deliver_every.total_seconds():g}")
    if database is None:
        _start(scheduler, stop, banner)
        return
    with SingleSchedulerLock(database):
        _start(scheduler, stop, banner)


def _start(scheduler: BlockingScheduler, stop, banner: str) -> None:
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        log.info(banner)
        scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info(_("scheduler stopped"))
