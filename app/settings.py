"""Every limit and switch of the server, read once from environment variables (CHAINRULE_*).

    CHAINRULE_MAX_BODY_BYTES=65536 CHAINRULE_CORS_ORIGINS='["https://example.org"]' chainrule serve
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine import Limits


class Settings(BaseSettings):
    """Defaults suit a public teaching site; each bound answers a 413 or 422 that names it."""

    model_config = SettingsConfigDict(env_prefix="CHAINRULE_", frozen=True)

    host: str = Field("127.0.0.1", description="address `chainrule serve` binds to")
    port: int = Field(8000, ge=0, le=65535, description="port `chainrule serve` listens on")

    # Request size, counted as the body streams in (so a huge body is never held in memory).
    max_body_bytes: int = Field(256 * 1024, ge=1024, description="largest request body, in bytes")
    max_query_chars: int = Field(16 * 1024, ge=256, description="longest query string of an export URL")

    # The engine's bounds (engine.Limits).
    max_length: int = Field(10_000, ge=1, description="characters of expression text")
    max_nodes: int = Field(20_000, ge=1, description="nodes in the built graph")
    max_depth: int = Field(500, ge=1, description="nesting of brackets and calls")
    max_variables: int = Field(1_000, ge=1, description="entries in `values` or a tangent direction")
    max_wrt: int = Field(1_000, ge=1, description="entries in `wrt`")
    max_elements: int = Field(1_000_000, ge=1, description="array elements in all the values of a "
                                                           "request")
    max_dims: int = Field(4, ge=1, le=8, description="dimensions of an array value")
    max_work: int = Field(50_000_000, ge=1, description="array elements computed by all the nodes "
                                                        "of one forward pass (a bound on its time)")
    shown_elements: int = Field(64, ge=1, le=100_000, description="an array with more elements is "
                                "sent as a summary (shape, min, max, mean, norm, preview)")

    # Graphviz layout: bounded in size and time; over a bound the layout is skipped, not the answer.
    layout_max_nodes: int = Field(3_000, ge=1, description="largest graph that is laid out")
    layout_timeout_s: float = Field(5.0, gt=0, le=60, description="time allowed for one layout")
    layout_fanout_threshold: int = Field(8, ge=1, description="a leaf with more edges out is drawn "
                                                              "as several copies")
    layout_cache_size: int = Field(256, ge=1, description="layouts kept, by structure (LRU)")
    layout_warm_up: bool = Field(True, description="compile Graphviz's WebAssembly at start-up, in "
                                                   "the background")

    # SymPy runs in worker processes, stopped when its time is up (symbolic_pool/).
    symbolic_budget_s: float = Field(2.0, gt=0, description="default seconds for symbolic work")
    symbolic_budget_max_s: float = Field(10.0, gt=0, description="most seconds a request may ask for")
    symbolic_warm_up: bool = Field(True, description="start the SymPy workers at start-up")
    max_paths: int = Field(1_000, ge=0, description="most paths listed by /api/v1/paths")
    max_path_edges: int = Field(50_000, ge=0, description="most edges in all the paths one "
                                "/api/v1/paths answer lists (paths × their length: a bound on its size)")

    # Training (POST /api/v1/train): each step is a forward and a reverse pass over every row.
    train_max_rows: int = Field(10_000, ge=1, description="data points in a training request or CSV")
    train_max_steps: int = Field(20_000, ge=0, description="gradient-descent steps in one request")
    train_max_work: int = Field(10_000_000, ge=1, description="steps × rows of one training request "
                                                             "(a bound on its time)")
    # What the /train page draws (a request's `view`): probability grids over the plot's domain.
    train_grid_columns: int = Field(40, ge=2, le=400, description="columns of a probability grid")
    train_grid_rows: int = Field(30, ge=2, le=400, description="rows of a probability grid")
    train_view_frames: int = Field(51, ge=2, le=2_001, description="steps of a run that carry a "
                                   "probability grid (evenly spread; the others are asked of "
                                   "POST /api/v1/train/predict)")

    # Heavy requests (a graph with its layout, symbolic, numeric, compare, paths, check, train):
    # admitted up to a number in flight per server process, each under a CPU-time budget, stopped
    # when the client disconnects (app/heavy.py). Over a budget: 422 naming it.
    max_heavy_requests: int = Field(16, ge=1, description="heavy requests in flight in one server "
                                    "process; past it a heavy request gets 503 with Retry-After")
    retry_after_s: int = Field(2, ge=0, description="the Retry-After of that 503, in seconds")
    heavy_threads: int = Field(4, ge=1, description="heavy requests running at once in one server "
                               "process; the other admitted ones wait their turn")
    switch_interval_s: float = Field(0.001, gt=0, le=0.1, description="how long a thread runs before "
                                     "handing over the GIL (Python's default is 0.005): shorter keeps "
                                     "/healthz and light requests answering between heavy ones")
    malloc_arenas: int = Field(2, ge=0, le=64, description="glibc malloc arenas per server process "
                               "(0: glibc's default of 8 a core). Threads that each get an arena keep "
                               "their freed memory apart: under a classroom's load the default left "
                               "workers 20 % larger after the load had gone, 2 left them 7 %")
    pytorch_column: bool = Field(True, description="/compare adds PyTorch's gradient when PyTorch is "
                                 "installed; importing it costs each server process about 460 MB")
    graph_cpu_s: float = Field(20.0, gt=0, description="CPU seconds for POST /graph and the exports")
    symbolic_cpu_s: float = Field(5.0, gt=0, description="CPU seconds for /symbolic (SymPy's own "
                                  "time is symbolic_budget_s)")
    numeric_cpu_s: float = Field(5.0, gt=0, description="CPU seconds for /numeric (a sweep included)")
    compare_cpu_s: float = Field(5.0, gt=0, description="CPU seconds for /compare")
    paths_cpu_s: float = Field(5.0, gt=0, description="CPU seconds for /paths")
    check_cpu_s: float = Field(5.0, gt=0, description="CPU seconds for /check")
    train_cpu_s: float = Field(30.0, gt=0, description="CPU seconds for /train")
    hessian_cpu_s: float = Field(5.0, gt=0, description="CPU seconds for /hessian")
    jacobian_cpu_s: float = Field(5.0, gt=0, description="CPU seconds for /jacobian")

    # Connections, as `chainrule serve` gives them to uvicorn (app/serving.py): a request's head
    # and body must arrive in time, and connections past the cap are closed at once.
    header_timeout_s: float = Field(10.0, gt=0, description="seconds for a request's head to arrive "
                                    "(from the connection's start, or the previous response)")
    body_timeout_s: float = Field(30.0, gt=0, description="seconds for a request's body to arrive")
    keep_alive_s: int = Field(75, ge=1, description="an idle keep-alive connection is closed after it "
                              "(long, as nginx's: a client's next request then rarely meets the close)")
    max_connections: int = Field(1_000, ge=1, description="open connections per server process "
                                 "(also bounded by the file-descriptor limit)")
    max_header_bytes: int = Field(16 * 1024, ge=1024, description="largest request head, in bytes")
    worker_healthcheck_s: int = Field(60, ge=1, description="with --workers N, a worker process that "
                                      "does not answer its supervisor's ping within this is "
                                      "restarted (uvicorn's 5 s restarts workers still starting on "
                                      "a busy machine, again and again)")

    # Cross-origin requests are refused (no CORS headers) unless origins are listed here.
    cors_origins: list[str] = Field(default_factory=list, description='e.g. ["https://example.org"] '
                                                                       'or ["*"]')

    @property
    def limits(self) -> Limits:
        return Limits(max_length=self.max_length, max_nodes=self.max_nodes, max_depth=self.max_depth,
                      max_elements=self.max_elements, max_dims=self.max_dims, max_work=self.max_work,
                      finite_values=True)
