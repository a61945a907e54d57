"""The project as it ships: a wheel that carries the page (templates/ and static/ as package
data) and serves it from a fresh venv, and the Dockerfile: a lint that always runs (two stages,
dependencies before the source, a healthcheck on CHAINRULE_PORT, run here against a real
server) and a real build where a container engine answers."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, free_port, launched
from dockerfile_parse import DockerfileParser

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
#: Directories that ship inside a package without being one (package name -> directory).
DATA_PACKAGES = SETUPTOOLS["package-dir"]
QUIET = {"CHAINRULE_SYMBOLIC_WARM_UP": "false", "CHAINRULE_LAYOUT_WARM_UP": "false"}


def source_packages() -> set[str]:
    """Every package of the tree: a top-level directory with __init__.py, and those under it."""
    found = set()
    for top in ROOT.iterdir():
        if top.is_dir() and not top.name.startswith(".") and top.name != "tests" \
                and (top / "__init__.py").exists():
            found |= {".".join(p.parent.relative_to(ROOT).parts) for p in top.rglob("__init__.py")}
    return found


def shipped_files() -> set[str]:
    """The page's files as the wheel names them: app/templates/..., app/static/..."""
    names = set()
    for package, directory in DATA_PACKAGES.items():
        prefix = package.replace(".", "/")
        names |= {f"{prefix}/{p.relative_to(ROOT / directory).as_posix()}"
                  for p in (ROOT / directory).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    return names


# --- the wheel ----------------------------------------------------------------------------------

def test_every_package_is_listed_for_the_wheel():
    listed = set(SETUPTOOLS["packages"])
    assert listed - set(DATA_PACKAGES) == source_packages()
    assert DATA_PACKAGES == {"app.templates": "templates", "app.static": "static"}
    assert SETUPTOOLS["package-data"] == {"app.templates": ["*.html"], "app.static": ["**/*"]}


@pytest.mark.slow
def test_a_built_wheel_serves_the_page(tmp_path):
    # Built from a copy of the tree (an in-tree build/ could carry stale files into the wheel).
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
        "test-artifacts", "tests", "benchmarks"))
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist),
                            str(src)], capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("chainrule-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = shipped_files()
    assert {"app/templates/index.html", "app/static/js/main.js",
            "app/static/vendor/swagger-ui/swagger-ui-bundle.js"} <= expected
    assert {n for n in names if n.startswith(("app/templates/", "app/static/"))} == expected

    # A fresh venv with the wheel alone installed; its dependencies are read from the test
    # environment's site-packages (one line in a .pth), so nothing is downloaded.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                                "--no-index", "--no-deps", str(wheel)], capture_output=True, text=True,
                               timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = subprocess.run([str(python), "-c", "import app.assets as a; print(a.TEMPLATES); print(a.STATIC)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert where == [str(purelib / "app" / "templates"), str(purelib / "app" / "static")]

    port = free_port()
    command = [str(venv / "bin" / "chainrule"), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning"]
    with launched(tmp_path / "serve.log", env=QUIET, command=command, port=port, cwd=tmp_path) as url:
        for page in ("/", "/train"):
            r = httpx.get(url + page, timeout=30)
            assert r.status_code == 200 and "<html" in r.text
            assets = re.findall(r'(?:src|href)="(/static/[^"?]+)', r.text)  # without ?v=
            assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
            for asset in assets:
                got = httpx.get(url + asset, timeout=30)
                assert got.status_code == 200, asset
                assert got.content == (ROOT / asset.removeprefix("/")).read_bytes()
            # and the modules those import, one level down (the page's own script graph)
            main = next(a for a in assets if a.endswith(".js"))
            for module in re.findall(r'from "\./([\w-]+\.js)"', (ROOT / main.removeprefix("/")).read_text()):
                assert httpx.get(f"{url}/static/js/{module}", timeout=30).status_code == 200, module
        assert httpx.get(url + "/docs", timeout=30).status_code == 200
        bundle = httpx.get(url + "/static/vendor/swagger-ui/swagger-ui-bundle.js", timeout=30)
        assert bundle.status_code == 200 and len(bundle.content) > 100_000
        assert httpx.post(url + "/api/v1/graph", json={"expression": "x*y", "values": {"x": 3, "y": 4}},
                          timeout=60).json()["gradient"] == {"x": 4.0, "y": 3.0}


# --- the Dockerfile -----------------------------------------------------------------------------

def dockerfile() -> list[dict]:
    return [i for i in DockerfileParser(str(ROOT / "Dockerfile")).structure if i["instruction"] != "COMMENT"]


def stages() -> list[list[dict]]:
    out: list[list[dict]] = []
    for instruction in dockerfile():
        if instruction["instruction"] == "FROM":
            out.append([])
        out[-1].append(instruction)
    return out


def index(stage: list[dict], instruction: str, pattern: str) -> int:
    """Position of the first `instruction` whose value matches `pattern` (a regex)."""
    return next(k for k, i in enumerate(stage) if i["instruction"] == instruction
                and re.search(pattern, i["value"]))


def healthcheck_command() -> list[str]:
    (check,) = [i["value"] for i in dockerfile() if i["instruction"] == "HEALTHCHECK"]
    return json.loads(check.split(" CMD ", 1)[1])


def test_dockerfile_builds_a_wheel_then_installs_it_alone():
    build, run = stages()
    assert re.fullmatch(r"python:3\.\d+-slim AS build", build[0]["value"])
    assert re.fullmatch(r"python:3\.\d+-slim", run[0]["value"])
    # The build stage: pyproject.toml alone, the dependencies' wheels, then the source.
    deps = index(build, "RUN", r"pip wheel .*-r ")
    first_source = min(k for k, i in enumerate(build) if i["instruction"] == "COPY"
                       and i["value"].split()[0] not in ("pyproject.toml",))
    assert index(build, "COPY", r"^pyproject\.toml ") < deps < first_source
    copied = {i["value"].split()[0] for i in build if i["instruction"] == "COPY"}
    tops = {p.split(".")[0] for p in SETUPTOOLS["packages"] if p not in DATA_PACKAGES}
    assert tops | set(DATA_PACKAGES.values()) | {"pyproject.toml", "README.md"} == copied
    assert index(build, "RUN", r"pip wheel --no-deps") > max(
        k for k, i in enumerate(build) if i["instruction"] == "COPY")
    # The run stage: nothing from the build context; the dependencies, then chainrule's wheel.
    copies = [i["value"] for i in run if i["instruction"] == "COPY"]
    assert copies and all(c.startswith("--from=build ") for c in copies)
    installs = [i["value"] for i in run if i["instruction"] == "RUN" and "pip install" in i["value"]]
    assert len(installs) == 2 and all("--no-index" in c and "-e " not in c for c in installs)
    assert index(run, "RUN", r"pip install .*-r ") < index(run, "COPY", r"/dist") \
        < index(run, "RUN", r"pip install .*--no-deps")
    assert index(run, "USER", r"^chainrule$") < index(run, "CMD", r"chainrule")


def test_dockerignore_leaves_out_what_a_build_never_needs():
    patterns = [p.strip().rstrip("/") for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    for heavy in (".venv", ".git", "test-artifacts", "**/__pycache__", ".pytest_cache", "build"):
        assert heavy in patterns
    copied = {i["value"].split()[0] for i in dockerfile() if i["instruction"] == "COPY"
              and not i["value"].startswith("--from")}
    assert not [c for c in copied for p in patterns if fnmatch.fnmatch(c, p)]


def test_the_healthcheck_asks_the_port_the_server_listens_on(tmp_path):
    command = healthcheck_command()
    assert command[0] == "python" and "CHAINRULE_PORT" in command[-1] and ":8000" not in command[-1]
    # The check itself, run here: healthy on the server's port, unhealthy on another.
    with launched(tmp_path / "serve.log", env=QUIET) as url:
        port = url.rsplit(":", 1)[1]
        ok = subprocess.run([sys.executable, *command[1:]], env={"CHAINRULE_PORT": port}, timeout=30,
                            capture_output=True)
        assert ok.returncode == 0, ok.stderr
        down = subprocess.run([sys.executable, *command[1:]], env={"CHAINRULE_PORT": str(free_port())},
                              timeout=30, capture_output=True)
        assert down.returncode != 0


def container_engine() -> str | None:
    """docker or podman, when one answers (a client without a running engine does not)."""
    for engine in ("docker", "podman"):
        if shutil.which(engine):
            try:
                if subprocess.run([engine, "info"], capture_output=True, timeout=30).returncode == 0:
                    return engine
            except subprocess.TimeoutExpired:
                pass
    return None


@pytest.mark.slow
def test_the_container_serves_the_page_and_is_healthy_on_its_port(tmp_path):
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine answers here (`docker info` and `podman info` fail): the "
                    "Dockerfile is checked by the lint tests above")
    tag = f"chainrule-test-{uuid.uuid4().hex[:8]}"
    name = tag
    # podman keeps HEALTHCHECK only in the docker image format
    fmt = ["--format", "docker"] if engine == "podman" else []
    try:
        built = subprocess.run([engine, "build", *fmt, "-t", tag, str(ROOT)], capture_output=True,
                               text=True, timeout=1800)
        assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
        port = free_port()
        subprocess.run([engine, "run", "-d", "--name", name, "-e", "CHAINRULE_PORT=9123",
                        "-p", f"127.0.0.1:{port}:9123", tag], check=True, capture_output=True, timeout=120)
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        page = httpx.get(url + "/", timeout=30)
        assert page.status_code == 200 and "/static/js/" in page.text
        test = json.loads(subprocess.run([engine, "image", "inspect", "--format",
                                          "{{json .Config.Healthcheck.Test}}", tag],
                                         capture_output=True, text=True, check=True).stdout)
        assert test[0] == "CMD"
        health = subprocess.run([engine, "exec", name, *test[1:]], capture_output=True, timeout=60)
        assert health.returncode == 0, health.stderr  # the image's own check, on port 9123
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True, timeout=120)
        subprocess.run([engine, "rmi", "-f", tag], capture_output=True, timeout=120)
