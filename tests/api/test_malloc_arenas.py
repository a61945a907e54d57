"""A server process limits glibc's malloc arenas (Settings.malloc_arenas): with glibc's default
each thread that allocates gets an arena of its own, up to 8 a core, and keeps what it freed
there, so a server's memory stayed ~20 % above its start after a classroom's load (7 % with 2)."""

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="malloc arenas are glibc's")

#: Threads that each allocate, all alive at once (a thread that has ended hands its arena to the
#: next one), then glibc's own count of its arenas (malloc_stats, on stderr).
THREADS_THEN_COUNT = """
import ctypes, threading
together = threading.Barrier(6)
def work():
    blocks = [bytearray(1000 + i) for i in range(2000)]
    together.wait()
    del blocks
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL("libc.so.6").malloc_stats()
"""


def arenas_after(setup: str) -> int:
    out = subprocess.run([sys.executable, "-c", setup + THREADS_THEN_COUNT], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    return sum(line.startswith("Arena ") for line in out.stderr.splitlines())


def test_glibc_gives_threads_arenas_of_their_own_by_default():
    assert arenas_after("") > 2  # what the setting is for


def test_the_server_start_limits_the_arenas():
    setup = ("from app.settings import Settings\nfrom app.warm_up import warm_up\n"
             "warm_up(Settings(malloc_arenas=1, layout_warm_up=False, symbolic_warm_up=False))\n")
    assert arenas_after(setup) == 1
    assert arenas_after(setup.replace("malloc_arenas=1", "malloc_arenas=2")) == 2


def test_zero_leaves_glibc_as_it_is():
    setup = ("from app.warm_up import limit_malloc_arenas\n"
             "assert limit_malloc_arenas(0) is False\n")
    assert arenas_after(setup) > 2
