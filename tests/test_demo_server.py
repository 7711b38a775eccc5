"""`make demo` serves the site as deployed: gunicorn, DEBUG off, collected static files by WhiteNoise.

The Makefile's `demo-server` target (the server `make demo` starts beside the worker) is run on a
free port with an empty database: a wrong URL must get the project's own 404 page, never Django's
debug page listing every URL, and the pages must link the collected (hashed) static files.
"""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo_server(tmp_path):
    """Start `make demo-server` and return its address; stop its whole process group afterwards."""
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SHIFAN_", "DJANGO_", "MAKE", "MFLAGS"))
        and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    # A folder of its own that outlives the run, so the static files are collected only once.
    environment["SHIFAN_VAR_DIR"] = str(Path(settings.VAR_DIR).resolve() / "demo-server")
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        ["make", "-s", "--no-print-directory", "demo-server", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120  # the first run collects and compresses the static files
        while True:
            if server.poll() is not None:
                pytest.fail("the demo server stopped:\n" + (tmp_path / "server.log").read_text())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the demo server did not start:\n" + (tmp_path / "server.log").read_text())
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def fetch(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_demo_serves_like_production(demo_server):
    status, headers, page = fetch(f"{demo_server}/no-such-page/")
    assert status == 404
    assert headers["Server"].startswith("gunicorn")
    assert "<title>页面不存在 · 广东省服务型制造示范管理系统</title>" in page
    assert "返回首页" in page
    assert "URLconf" not in page  # Django's debug page lists every URL pattern
    assert headers["Cache-Control"] == "private, no-store"

    stylesheet = re.search(r'href="(/static/shifan/app\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the page links the collected, hashed file"
    status, headers, css = fetch(demo_server + stylesheet.group(1))
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "immutable" in headers["Cache-Control"]  # WhiteNoise keeps hashed files forever
    assert ".sf-navbar" in css
