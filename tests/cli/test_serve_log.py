"""What `geoservice serve` prints (issue 29): uvicorn's lines about the server's life in
French, request lines kept, no English banner."""

from __future__ import annotations

import httpx
import pytest

from geoservice.api.server_log import french
from tests.servers import Served, clean_env

ENGLISH = ("Uvicorn running", "Started server process", "Application startup", "Waiting for",
           "INFO:", "Shutting down", "Finished server process")


@pytest.mark.parametrize(("workers", "expected"), [
    ("1", "processus {pid} démarré"), ("2", "processus principal {pid} démarré")])
def test_serve_speaks_french(toulouse_settings, tmp_path, workers, expected):
    env = clean_env(GEOSERVICE_DATA_DIR=str(toulouse_settings.data_dir),
                    GEOSERVICE_TILES_URL="")
    log = tmp_path / "serve.log"
    with Served(env, "--workers", workers, log=log) as server:
        assert httpx.get(f"{server.url}/api/collections").status_code == 200
        pid = server.pid
    text = log.read_text("utf-8")
    assert f"à l'écoute sur http://127.0.0.1:{server.port} (Ctrl+C pour arrêter)" in text
    assert expected.format(pid=pid) in text
    assert '"GET /api/collections HTTP/1.1" 200' in text
    assert "arrêt demandé" in text or "arrêté" in text
    assert not [word for word in ENGLISH if word in text], text


def test_other_messages_pass_unchanged():
    assert french("Application startup complete.") is None
    assert french("Exception in ASGI application") == "Exception in ASGI application"
