"""INSEE's indicators on the QPV 2024 perimeters: the documented layout is read, preferred
to the 2015 carry-over wherever it has a value, and a wrong file is refused."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from geoservice.analysis import diagnose, from_store
from geoservice.analysis.report import items
from geoservice.errors import SourceDataError
from geoservice.read.model import load_store
from geoservice.settings import Settings
from geoservice.sources import read_qpv_2024
from geoservice.sources.pull import pull
from tests.analysis import fixture

# the documented layout (docs/analyse.md): code_qp + any of pop_mun, tp60, tx_tot_empl, abcde
LAYOUT = ("code_qp;lib_qp;pop_mun;tp60;tx_tot_empl;abcde\n"
          "QN03116N;Le Seycheron;1520;41,5;48,0;260\n"
          "QN03107M;Grand Mirail;;52,0;;\n")


def test_the_file_is_joined_by_code(tmp_path, mirror):
    table = tmp_path / "qpv_2024_indicateurs.csv"
    table.write_text(LAYOUT, "utf-8")
    frame, facts = read_qpv_2024(mirror / "qpv_2024_france.geojson", None, 0.01, table)
    assert facts["indicators_2024"] == 2
    row = frame.set_index("code_qp").loc["QN03116N"]
    assert (row["pop_mun"], row["tp60"], row["tx_tot_empl"], row["abcde"]) == (
        1520, 41.5, 48.0, 260)
    assert row["indicateurs_2024"] == "INSEE, QPV 2024 (qpv_2024_indicateurs.csv)"
    mirail = frame.set_index("code_qp").loc["QN03107M"]
    assert mirail["tp60"] == 52.0 and mirail["pop_mun"] is pd.NA  # empty: not published


@pytest.mark.parametrize("text, message", [
    ("code_qp;nom\nQN03116N;x\n", "aucune des colonnes attendues"),
    ("code_qp,pop_mun\nQP031006,1200\n", "fichier des périmètres 2015"),
    ("code_qp,pop_mun\nQN03116N,12\nQN03116N,13\n", "code_qp en double"),
    ("code_qp,pop_mun,tp60\nQN03116N,1200,4", "tronqué"),
])
def test_a_wrong_file_is_refused(tmp_path, mirror, text, message):
    table = tmp_path / "bad.csv"
    table.write_text(text, "utf-8")
    with pytest.raises(SourceDataError, match=message):
        read_qpv_2024(mirror / "qpv_2024_france.geojson", None, 0.01, table)


def test_2024_values_replace_the_carried_ones():
    qpv = fixture.qpv()
    qpv["pop_mun"] = [None, None, 900.0]
    qpv["tp60"] = [None, 30.0, 45.0]
    got = {r["code_qp"]: r for r in diagnose(fixture.inputs(qpv=qpv)).frame.to_dict("records")}
    # C had no 2015 perimeter: its need is now known, from INSEE 2024 alone
    c = got["QN_C"]
    assert c["need_known"] and c["indicator_source"] == "insee_2024"
    assert c["tp60"] == 45.0 and c["population_complete"] and c["poor_people"] == 405
    assert c["comp_need"] == pytest.approx((45 - 15) / 55)  # the only published measure
    # B: the 2024 rate replaces the carried 39 %, the carried employment rate stays
    b = got["QN_B"]
    assert b["tp60"] == 30.0 and b["tx_tot_empl"] == pytest.approx(52.5)
    assert b["indicator_source"] == "insee_2024_et_report_2015"
    assert got["QN_A"]["indicator_source"] == "report_2015"
    assert not math.isnan(got["QN_A"]["tp60"])


def test_pull_reads_it_from_the_mirror_and_the_ranking_uses_it(tmp_path, mirror):
    folder = tmp_path / "mirror"
    folder.mkdir()
    for path in Path(mirror).iterdir():
        (folder / path.name).symlink_to(path)
    (folder / "qpv_2024_indicateurs.csv").write_text(LAYOUT, "utf-8")
    settings = Settings(data_dir=tmp_path / "var", sources=str(folder))
    pull(settings)
    store = load_store(settings)
    assert store.collection("qpv").provenance["indicators_2024"] == 2
    result = diagnose(from_store(store))
    got = {i["code_qp"]: i for i in items(result)}
    seycheron = got["QN03116N"]  # no 2015 perimeter: unknown need until this file
    assert seycheron["need_known"] and isinstance(seycheron["rank"], int)
    assert seycheron["measures"]["population"] == 1520
    assert seycheron["measures"]["indicator_source"] == "insee_2024"
    assert seycheron["reasons"][0].startswith("besoin social (INSEE, périmètre 2024) : taux "
                                              "de pauvreté 41,5 %")
    assert {d["code_qp"] for d in items_to_document(result)} == {
        "QN03117N", "QN03118N", "QN03119N"}
    assert result.indicators["sources"]["insee_2024"] == 1


def items_to_document(result):
    from geoservice.analysis.report import header

    return header(result)["to_document_first"]
