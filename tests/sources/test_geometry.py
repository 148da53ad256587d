import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, Polygon

from geoservice.errors import SourceDataError
from geoservice.sources import repair_polygons


def frame(*geoms):
    return gpd.GeoDataFrame({"code": [f"Q{i}" for i in range(len(geoms))]},
                            geometry=list(geoms), crs="EPSG:4326")


def test_valid_polygons_are_untouched_but_oriented():
    clockwise = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])
    out, repaired = repair_polygons(frame(clockwise), 0.01, "code")
    assert repaired == 0
    geom = out.geometry.iloc[0]
    assert geom.geom_type == "MultiPolygon"
    assert geom.geoms[0].exterior.is_ccw  # RFC 7946 right-hand rule
    assert geom.area == pytest.approx(1.0)


def test_rounding_spike_is_repaired_and_counted():
    # a square with a tiny self-intersecting spike, as 4-decimal rounding produces
    spiky = Polygon([(0, 0), (1, 0), (1, 1), (0.5, 1), (0.5001, 0.9999), (0.4999, 1.0001),
                     (0.5, 1), (0, 1)])
    assert not spiky.is_valid
    out, repaired = repair_polygons(frame(spiky, Polygon([(2, 2), (3, 2), (3, 3)])), 0.01, "code")
    assert repaired == 1
    assert out.is_valid.all()
    assert set(out.geom_type) == {"MultiPolygon"}
    assert out.geometry.iloc[0].area == pytest.approx(1.0, rel=1e-3)


def test_repair_that_changes_area_too_much_fails_loudly():
    # a bow-tie: its published (signed) area is zero, any repair changes it completely
    bow_tie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    with pytest.raises(SourceDataError, match="réparation de la géométrie Q0 : surface modifiée"):
        repair_polygons(frame(bow_tie), 0.01, "code")


def test_multipolygon_input_stays_multipolygon():
    multi = MultiPolygon([Polygon([(0, 0), (1, 0), (1, 1)]), Polygon([(5, 5), (6, 5), (6, 6)])])
    out, repaired = repair_polygons(frame(multi), 0.01, "code")
    assert repaired == 0 and len(out.geometry.iloc[0].geoms) == 2
