"""The web interface and its JSON API (SPEC §9): a FastAPI application over the same engine
as the CLI, served by uvicorn (`banli serve`); `create_app` builds it for a store."""

from banli.web.app import create_app

__all__ = ["create_app"]
