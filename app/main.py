"""Build the app: settings, error handlers, middleware, routers, static files. `app` is the
module-level instance (`uvicorn app.main:app`); tests build their own with `create_app(Settings(...))`."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from drawing import warm_up as graphviz_warm_up
from symbolic_pool import POOL as symbolic_pool

from . import __version__, errors
from .assets import STATIC
from .middleware import BodyLimit, SecurityHeaders
from .openapi import describe, install_openapi
from .routes import docs, examples, exports, functions, graph, health, methods, pages, parse, train
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The layout cache is app.graphs.layout_cache(settings), made with these settings' bounds.
        if settings.layout_warm_up:  # compiling graphviz.wasm takes ~1.5 s: not on a request
            threading.Thread(target=graphviz_warm_up, name="graphviz-warm-up", daemon=True).start()
        if settings.symbolic_warm_up:  # SymPy's import in the workers, likewise
            threading.Thread(target=symbolic_pool.warm, name="sympy-warm-up", daemon=True).start()
        yield

    app = FastAPI(title="chainrule", version=__version__, description=describe(settings),
                  lifespan=lifespan, redoc_url=None, docs_url=None)
    app.state.settings = settings
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
