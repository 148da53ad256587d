import json
from pathlib import Path

import pytest

from geoservice.errors import SourceDataError
from geoservice.sources import read_qpv_2024
from geoservice.territory import get_territory

TM = get_territory("toulouse-metropole")


def square(x, y, size=0.01):
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def write(path: Path, features, crs=None) -> Path:
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data))
    return path


def feature(code, name, insee, coords):
    return {"type": "Feature", "properties": {"code_qp": code, "lib_qp": name, "insee_com": insee},
            "geometry": {"type": "Polygon", "coordinates": coords}}


def test_official_one_feature_per_commune_is_merged(tmp_path):
    path = write(tmp_path / "qpv.geojson", [
        feature("QN03105M", "Grand Val", "31149", square(1.30, 43.60)),
        feature("QN03105M", "Grand Val", "31157", square(1.31, 43.60)),
        feature("QN03499M", "Ailleurs", "34172", square(3.8, 43.6)),
    ])
    frame, facts = read_qpv_2024(path, TM, 0.01)
    assert list(frame["code_qp"]) == ["QN03105M"]
    assert frame["insee_com"].iloc[0] == "31149,31157"
    assert frame.geometry.iloc[0].area == pytest.approx(2 * 0.01 ** 2)
    assert facts == {"invalid_in_source": 0, "repaired": 0}


def test_merged_comma_list_is_accepted(tmp_path):
    path = write(tmp_path / "qpv.geojson", [
        feature("QN03105M", "Grand Val", "31999,31149", square(1.30, 43.60))])
    frame, _ = read_qpv_2024(path, TM, 0.01)
    assert len(frame) == 1


def test_truncated_geojson_is_a_clear_error(tmp_path):
    path = write(tmp_path / "qpv.geojson", [feature("QN1", "A", "31555", square(1.4, 43.6))])
    path.write_text(path.read_text()[:-40])
    with pytest.raises(SourceDataError, match="fichier illisible ou tronqué"):
        read_qpv_2024(path, TM, 0.01)


def test_missing_column_is_named(tmp_path):
    path = write(tmp_path / "qpv.geojson", [feature("QN1", "A", "31555", square(1.4, 43.6))])
    path.write_text(path.read_text().replace("insee_com", "commune"))
    with pytest.raises(SourceDataError, match="colonne\\(s\\) manquante\\(s\\) : insee_com"):
        read_qpv_2024(path, TM, 0.01)


def test_undeclared_projected_coordinates_are_refused(tmp_path):
    # Lambert-93 metres written without any CRS declaration
    path = write(tmp_path / "qpv.geojson",
                 [feature("QN1", "A", "31555", square(574000, 6279000, 500))])
    with pytest.raises(SourceDataError, match="autre système de coordonnées"):
        read_qpv_2024(path, TM, 0.01)


def test_declared_lambert93_is_reprojected(tmp_path):
    path = write(tmp_path / "qpv.geojson",
                 [feature("QN1", "A", "31555", square(574000, 6279000, 500))],
                 crs="urn:ogc:def:crs:EPSG::2154")
    frame, _ = read_qpv_2024(path, TM, 0.01)
    x, y = frame.geometry.iloc[0].centroid.coords[0]
    assert 1.3 < x < 1.5 and 43.5 < y < 43.7


def test_real_mirror_repairs_every_invalid_polygon(mirror):
    frame, facts = read_qpv_2024(mirror / "qpv_2024_france.geojson", None, 0.01)
    assert len(frame) == 1584
    assert facts == {"invalid_in_source": 586, "repaired": 586}
    assert frame.is_valid.all()
