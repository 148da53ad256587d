"""The one analysis entry (``geoservice.analysis.service``): each path parses ``ring_m`` once,
every path gives the same result for the same parameters, and a diagnosis is computed once
per snapshot and parameters (at most ``MAX_CACHED_ANALYSES`` kept)."""

from __future__ import annotations

import json
import re
import sys

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import geoservice.api.app
import geoservice.cli
import geoservice.maps.report  # noqa: F401 - loaded before parse_ring is counted
from geoservice.analysis import params, service
from geoservice.analysis.service import AnalysisRequest, run
from geoservice.errors import InvalidParameter
from geoservice.read.model import load_store

CODE = "QN03107M"  # Grand Mirail


@pytest.fixture()
def ring_parses(monkeypatch: pytest.MonkeyPatch) -> list:
    """Each call of ``parse_ring``, wherever a module imported it from, with its argument."""
    calls: list = []
    real = params.parse_ring

    def counting(value, *args, **kwargs):  # noqa: ANN001, ANN202
        calls.append(value)
        return real(value, *args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("geoservice") and \
                getattr(module, "parse_ring", None) is real:
            monkeypatch.setattr(module, "parse_ring", counting)
    return calls


@pytest.fixture()
def diagnoses(monkeypatch: pytest.MonkeyPatch) -> list:
    """Each diagnosis computed (not taken from a snapshot's cache)."""
    calls: list = []
    real = service.diagnose
    monkeypatch.setattr(service, "diagnose",
                        lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    return calls


@pytest.fixture(scope="module")
def fresh_client(toulouse_settings):
    """An app of its own: its snapshot's cache holds only what these tests compute."""
    with TestClient(geoservice.api.app.create_app(toulouse_settings)) as client:
        yield client


def _cli(monkeypatch: pytest.MonkeyPatch, settings, *args: str):  # noqa: ANN001, ANN202
    monkeypatch.setenv("GEOSERVICE_DATA_DIR", str(settings.data_dir))
    return CliRunner().invoke(geoservice.cli.app, list(args))


def test_the_request_is_parsed_once_with_the_french_errors(toulouse_settings, ring_parses):
    request = AnalysisRequest.parse(defi=" inclusion ", ring_m="1500", weights="need:3",
                                    include="a_verifier", settings=toulouse_settings)
    assert ring_parses == ["1500"]
    assert (request.defi, request.ring_m, request.unverified) == ("inclusion", 1500.0, True)
    assert request.weights["need"] == 3.0 and request.weights["answer"] == 1.0
    with pytest.raises(AttributeError):
        request.parameters = None  # frozen
    assert AnalysisRequest.parse(settings=toulouse_settings) == \
        AnalysisRequest.defaults(toulouse_settings)
    for kwargs, message in (({"ring_m": "loin"}, "ring_m doit être un nombre de mètres"),
                            ({"ring_m": "9000"}, "entre 0 et 5000"),
                            ({"defi": "sport"}, "Défi inconnu : « sport »"),
                            ({"weights": "need:x"}, "Le poids de « need »"),
                            ({"include": "tout"}, "include : « tout » inconnu")):
        with pytest.raises(InvalidParameter, match=message):
            AnalysisRequest.parse(**kwargs)


@pytest.mark.parametrize("path", [
    "/api/analysis/underserved?defi=inclusion&ring_m=800",
    "/api/analysis/underserved?defi=inclusion&ring_m=800&f=csv",
    "/api/map/diagnostic-classes?defi=inclusion&ring_m=800",
    "/api/map/diagnostic-export?defi=inclusion&ring_m=800",
    f"/api/maps/qpv/{CODE}.html?ring_m=800",
])
def test_each_api_path_parses_ring_m_once(fresh_client, ring_parses, path):
    response = fresh_client.get(path)
    assert response.status_code == 200, response.text
    assert ring_parses == ["800"]  # the query text, straight to the one parse


def test_each_cli_path_parses_ring_m_once(toulouse_settings, ring_parses, monkeypatch,
                                          tmp_path):
    done = _cli(monkeypatch, toulouse_settings, "analyse", "--ring-m", "800")
    assert done.exit_code == 0, done.output
    assert ring_parses == ["800"]
    ring_parses.clear()
    out = tmp_path / "carte.html"
    done = _cli(monkeypatch, toulouse_settings, "map", "--qpv", CODE, "--ring-m", "800",
                "--no-tiles", "-o", str(out))
    assert done.exit_code == 0, done.output
    assert ring_parses == ["800"] and "Anneau de 800 m" in out.read_text("utf-8")
    ring_parses.clear()
    done = _cli(monkeypatch, toulouse_settings, "map", "--qpv", CODE, "--ring-m", "loin",
                "-o", str(tmp_path / "x.html"))
    assert done.exit_code == 1 and "ring_m doit être un nombre de mètres" in done.output
    assert ring_parses == ["loin"] and not (tmp_path / "x.html").exists()


def test_api_ranking_map_classes_export_report_map_and_cli_agree(
        fresh_client, toulouse_settings, monkeypatch, tmp_path, diagnoses):
    query = {"defi": "inclusion", "ring_m": "750"}
    ranking = fresh_client.get("/api/analysis/underserved", params=query).json()["items"]
    scores = {item["code_qp"]: item["score"] for item in ranking}
    ranks = {item["code_qp"]: item["rank"] for item in ranking}
    assert len(scores) == 16 and any(s is not None for s in scores.values())

    classes = fresh_client.get("/api/map/diagnostic-classes", params=query).json()
    assert classes["defi"] == "inclusion" and set(classes["qpv"]) == set(scores)
    for code, score in scores.items():
        index = classes["qpv"][code]
        if score is None:
            assert index is None
        else:
            bounds = classes["classes"][index]
            assert bounds["lower"] - 0.01 <= score <= bounds["upper"] + 0.01, code

    export = fresh_client.get("/api/map/diagnostic-export", params=query).json()
    exported = {f["properties"]["code_qp"]: f["properties"] for f in export["features"]}
    assert {code: p["rank"] for code, p in exported.items()} == ranks
    # one diagnosis for the ranking, the classes and the export: same snapshot, same request
    assert len(diagnoses) == 1 and diagnoses[0].ring_m == 750.0

    report = tmp_path / "rapport.geojson"
    done = _cli(monkeypatch, toulouse_settings, "analyse", "--defi", "inclusion",
                "--ring-m", "750", "-o", str(report))
    assert done.exit_code == 0, done.output
    cli = {f["properties"]["code_qp"]: f["properties"]
           for f in json.loads(report.read_text("utf-8"))["features"]}
    assert {code: p["rank"] for code, p in cli.items()} == ranks
    assert {code: p["score"] for code, p in cli.items()} == scores
    assert len(diagnoses) == 2  # the CLI's own snapshot

    # the report map of a QPV shows the ranking's score and rank for the same ring (all Défis)
    overall = {item["code_qp"]: item for item in fresh_client.get(
        "/api/analysis/underserved", params={"ring_m": "750"}).json()["items"]}
    html = fresh_client.get(f"/api/maps/qpv/{CODE}.html", params={"ring_m": "750"}).text
    item = overall[CODE]
    shown = re.search(r"Score de sous-desserte : (\d+)/100 \(rang (\d+)\)", html)
    assert shown and shown.groups() == (f"{item['score']:.0f}", str(item["rank"]))
    assert len(diagnoses) == 3  # the map took the ranking's diagnosis (all Défis, 750 m)


def test_a_second_run_on_the_same_snapshot_hits_the_cache(toulouse_settings, diagnoses,
                                                          monkeypatch):
    snapshot = load_store(toulouse_settings)
    first = AnalysisRequest.parse(defi="alimentation_durable", ring_m="600",
                                  weights="need:1,answer:2", settings=toulouse_settings)
    same = AnalysisRequest.parse(defi="alimentation_durable", ring_m="600.0",
                                 weights="answer:2,need:1", settings=toulouse_settings)
    result = run(snapshot, first)
    assert run(snapshot, same) is result and len(diagnoses) == 1
    assert service.ranking(snapshot, same) == service.ranking(snapshot, first)
    assert len(diagnoses) == 1
    # another snapshot (an edit makes one) computes anew
    assert run(load_store(toulouse_settings), first) is not result and len(diagnoses) == 2
    # beyond MAX_CACHED_ANALYSES parameter sets per snapshot, each run computes anew
    monkeypatch.setattr(service, "MAX_CACHED_ANALYSES", 1)
    other = AnalysisRequest.parse(ring_m="650", settings=toulouse_settings)
    run(snapshot, other)
    run(snapshot, other)
    assert len(diagnoses) == 4
    assert run(snapshot, first) is result and len(diagnoses) == 4  # still cached
