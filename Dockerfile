# chainrule's web app, built in two stages: the first makes wheels (the dependencies from
# pyproject.toml alone, then chainrule's own), the second installs them and nothing else: no
# source tree, no compiler, no pip cache. Graphviz comes from PyPI as WebAssembly.
#   docker build -t chainrule . && docker run --rm -p 8000:8000 chainrule
#   docker run --rm -e CHAINRULE_PORT=9000 -p 9000:9000 chainrule   # the healthcheck follows the port

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The dependencies first, read from pyproject.toml alone: an edit to the source leaves this
# layer (the slow one) cached.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /requirements.txt \
    && pip wheel --wheel-dir /deps -r /requirements.txt \
    && cp /requirements.txt /deps/
# Then the source, as one wheel (templates/ and static/ inside it as package data).
COPY README.md ./
COPY engine ./engine
COPY drawing ./drawing
COPY symbolic_pool ./symbolic_pool
COPY training ./training
COPY app ./app
COPY templates ./templates
COPY static ./static
RUN pip wheel --no-deps --wheel-dir /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CHAINRULE_HOST=0.0.0.0 CHAINRULE_PORT=8000
RUN useradd --system --create-home chainrule
# Dependencies, then chainrule: each from the first stage's wheels, offline.
COPY --from=build /deps /deps
RUN pip install --no-index --find-links /deps -r /deps/requirements.txt && rm -rf /deps
COPY --from=build /dist /dist
RUN pip install --no-index --no-deps /dist/*.whl && rm -rf /dist
USER chainrule
WORKDIR /home/chainrule

EXPOSE 8000
# The port the server listens on (CHAINRULE_PORT, read when the check runs), not a fixed 8000.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('CHAINRULE_PORT', '8000'); sys.exit(urllib.request.urlopen('http://127.0.0.1:' + port + '/healthz', timeout=2).status != 200)"]
CMD ["chainrule", "serve", "--workers", "2"]
