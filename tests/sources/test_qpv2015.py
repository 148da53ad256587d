import pandas as pd
import pytest

from geoservice.errors import SourceDataError
from geoservice.sources import read_indicators, read_qpv_2015
from geoservice.territory import get_territory


def test_empty_cell_is_null_never_zero(tmp_path):
    path = tmp_path / "ind.csv"
    path.write_bytes("\ufeffcode_qp,nom_qp,pop_mun,tp60\nQP1,A,1200,\nQP2,B,,38.5\n".encode())
    table = read_indicators(path).set_index("code_qp")
    assert table.loc["QP1", "pop_mun"] == 1200
    assert pd.isna(table.loc["QP1", "tp60"])
    assert pd.isna(table.loc["QP2", "pop_mun"])
    assert table.loc["QP2", "tp60"] == pytest.approx(38.5)


def test_semicolon_and_decimal_comma(tmp_path):
    path = tmp_path / "ind.csv"
    path.write_text("code_qp;tp60\nQP1;41,2\n", encoding="utf-8")
    assert read_indicators(path)["tp60"].iloc[0] == pytest.approx(41.2)


def test_csv_without_code_qp_is_refused(tmp_path):
    path = tmp_path / "ind.csv"
    path.write_text("code,tp60\nQP1,41\n", encoding="utf-8")
    with pytest.raises(SourceDataError, match="colonne « code_qp » absente"):
        read_indicators(path)


def test_non_numeric_value_is_named(tmp_path):
    path = tmp_path / "ind.csv"
    path.write_text("code_qp,tp60\nQP1,beaucoup\n", encoding="utf-8")
    with pytest.raises(SourceDataError, match="« beaucoup » dans la colonne tp60"):
        read_indicators(path)


def test_real_indicators_keep_secrecy_as_null(mirror):
    table = read_indicators(mirror / "qpv_indicateurs_occitanie.csv")
    assert len(table) == 105
    raw = pd.read_csv(mirror / "qpv_indicateurs_occitanie.csv", encoding="utf-8-sig", dtype=str)
    empty_cells = int(raw["part_chomprinc"].isna().sum())
    assert empty_cells > 0
    assert int(table["part_chomprinc"].isna().sum()) == empty_cells


def test_real_toulouse_qpv_2015_joined(mirror):
    frame, facts = read_qpv_2015(mirror / "qpv_occitanie_2015.geojson",
                                 mirror / "qpv_indicateurs_occitanie.csv",
                                 get_territory("toulouse-metropole"), 0.01)
    assert len(frame) == 16
    assert facts["invalid_in_source"] == 32
    assert facts["without_indicators"] == 0
    mirail = frame.set_index("code_qp").loc["QP031007"]
    assert mirail["nom_qp"] == "Grand Mirail" and mirail["pop_mun"] > 10000
