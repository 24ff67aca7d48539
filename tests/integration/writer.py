"""A separate process that fires events at items: `python -m tests.integration.writer URL GO_FILE
TAG EVENT REF[,REF…] COUNT`. Waits for GO_FILE to exist so that writers start together, then
prints one line per attempt: `ok REF SEQ` or `refused REF EXIT_CODE`."""

from __future__ import annotations

import os
import sys
import time

from banli.engine.runtime import Runtime
from banli.errors import BanliError
from banli.store.repo import SqlStore

USERS = {"contact": "li", "sort": "reg"}
DATA = {"contact": lambda tag, i: {"method": "phone", "note": f"{tag}-{i}"}, "sort": lambda tag, i: {"category": "城市建设"}}


def main(url: str, go_file: str, tag: str, event: str, refs: str, count: str) -> None:
    runtime = Runtime(SqlStore(url))
    while not os.path.exists(go_file):
        time.sleep(0.005)
    for i in range(int(count)):
        for ref in refs.split(","):
            try:
                fired = runtime.fire(ref, event, USERS[event], DATA[event](tag, i))
                print(f"ok {ref} {fired.seq}", flush=True)
            except BanliError as exc:
                print(f"refused {ref} {exc.exit_code} {exc.message}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
