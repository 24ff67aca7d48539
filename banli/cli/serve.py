"""`banli serve`: the web interface and the JSON API (docs/web.md) under uvicorn, on `--db`."""

from __future__ import annotations

import signal
from contextlib import contextmanager

import click

from banli.i18n import _


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--secure-cookies/--no-secure-cookies", default=None, envvar="BANLI_SECURE_COOKIES",
              help="Send the session cookie only over HTTPS (behind a TLS proxy); default on unless --host is "
                   "127.0.0.1 or localhost (env BANLI_SECURE_COOKIES).")
@click.option("--db", "db", metavar="URL", help="The database, as the global --db (e.g. banli serve --db banli-demo.db).")
@click.option("--idle", type=click.IntRange(1, 24 * 60), default=30, show_default=True, metavar="MINUTES",
              help="Sign a browser out after this many minutes without a request.")
@click.pass_obj
def serve(settings, host: str, port: int, secure_cookies: bool | None, db: str | None, idle: int) -> None:
    """Serve the web interface and the JSON API until Ctrl-C or SIGTERM.

    \b
    People sign in with the password set by 'banli user set-password USER' (or an
    invitation from 'banli user invite'); other systems use 'Authorization: Bearer TOKEN'
    with a token from 'banli user token USER'. The API is described at /api/openapi.json.
    With SQLite run one server process; with PostgreSQL (--db postgresql://…) several may
    share the database. More: docs/web.md.

    \b
    Examples:
      banli serve --db banli-demo.db          # then open http://127.0.0.1:8000/
      banli serve --host 0.0.0.0 --port 8080  # behind a TLS proxy: cookies over HTTPS only
    """
    from datetime import timedelta

    import uvicorn

    from banli.web import create_app

    if db:
        settings.db, settings._store = db, None
    store = settings.store  # exit 9 if it cannot be used: missing, not initialised, …
    secure = secure_cookies if secure_cookies is not None else host not in ("127.0.0.1", "localhost", "::1")
    app = create_app(store, secure_cookies=secure, idle=timedelta(minutes=idle))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                            timeout_graceful_shutdown=10)
    shown = store.engine.url.render_as_string(hide_password=True)  # never a database password in a log
    click.echo(_("banli: serving {database} on {address} (Ctrl-C to stop)").format(
        database=shown, address=f"http://{host}:{port}/"), err=True)
    _server(config).run()
    click.echo(_("banli: stopped"), err=True)


def _server(config):
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, stopping on SIGINT or SIGTERM (running requests finish, no new
        ones are taken) and then exiting 0: uvicorn itself raises the signal again once it has
        stopped, which would end the process as killed by it."""

        @contextmanager
        def capture_signals(self):
            previous = {number: signal.signal(number, self.handle_exit) for number in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for number, handler in previous.items():
                    signal.signal(number, handler)

    return Server(config)
