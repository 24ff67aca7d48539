"""A reminder's `every` and `times` (SPEC §7): a reminder said again while its item waits."""

from __future__ import annotations

from banli.engine.durations import Duration
from banli.engine.load import Located
from banli.engine.readers import Context, duration, kind_of
from banli.i18n import _

MAX_TIMES = 50  # a reminder is said at most this often in one state entry (or for one deadline)


def repetition(ctx: Context, spec: Located, where: str) -> tuple[Duration | None, int | None]:
    """(`every`, `times`) of one reminder, each None when not given; errors at their positions."""
    every = duration(ctx, spec, "every", f"{where}.every") if "every" in spec else None
    if every is not None and every.amount <= 0:
        ctx.error(spec.value_at("every"), _("{where}.every: a reminder repeats after more than 0 {unit}; "
                                            "write e.g. 'every: 3 workdays'").format(where=where, unit=every.unit))
        every = None
    if "times" not in spec:
        return every, None
    times = spec.get("times")
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= MAX_TIMES:
        shown = times if isinstance(times, int) and not isinstance(times, bool) else kind_of(times)
        ctx.error(spec.value_at("times"), _("{where}.times must be a whole number from 1 to {limit}, not {value}").format(
            where=where, limit=MAX_TIMES, value=shown))
        return every, None
    if "every" not in spec and times > 1:
        ctx.error(spec.key_at("times"), _("{where}: 'times: {times}' needs 'every' (how long between two times), "
                                          "e.g. 'every: 3 workdays'").format(where=where, times=times))
    return every, times
