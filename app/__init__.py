"""chainrule's web server: a thin FastAPI layer over `engine` (models in and out, routes per
resource, settings, error handlers). Build it with `create_app()`; `app.main:app` is the
module-level instance uvicorn serves."""

__version__ = "0.1.0"
