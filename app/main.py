"""Build the app: settings, error handlers, middleware, routers, static files. `app` is the
module-level instance (`uvicorn app.main:app`); tests build their own with `create_app(Settings(...))`."""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from . import __version__, errors
from .assets import STATIC
from .heavy import Admission
from .middleware import BodyLimit, SecurityHeaders
from .openapi import describe, install_openapi
from .routes import docs, examples, exports, functions, graph, health, methods, pages, parse, train
from .settings import Settings
from .warm_up import warm_up


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Before the first request (uvicorn listens once this returns): Graphviz compiled, a graph
        # laid out, the SymPy workers warm (app/warm_up.py). Then /readyz says ready.
        app.state.warm_up_s = await anyio.to_thread.run_sync(warm_up, settings)
        app.state.ready = True
        yield
        app.state.ready = False

    app = FastAPI(title="chainrule", version=__version__, description=describe(settings),
                  lifespan=lifespan, redoc_url=None, docs_url=None)
    app.state.settings = settings
    app.state.ready, app.state.warm_up_s = False, {}
    app.state.admission = Admission(settings.max_heavy_requests, settings.retry_after_s,
                                    settings.heavy_threads)
    errors.install(app)
    for module in (graph, parse, exports, functions, examples, methods, train):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    # Added innermost first: SecurityHeaders wraps CORS wraps BodyLimit wraps the routes.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, max_query=settings.max_query_chars)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"], max_age=600)
    app.add_middleware(SecurityHeaders)
    install_openapi(app)
    return app


app = create_app()
