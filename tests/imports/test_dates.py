"""Opening and closing dates read from an editor's CSV (docs/temps.md): the columns that
say so are suggested, spreadsheet dates are read, a partial date stays partial."""

from __future__ import annotations

import pytest

from geoservice.catalog import load_catalog
from geoservice.imports.mapping import cell_value, suggest
from geoservice.settings import Settings


@pytest.fixture(scope="module")
def layer():
    return load_catalog(Settings().layers_dir)["hebergement"]


@pytest.mark.parametrize(("text", "value"), [
    ("2023", "2023"), ("2023-05", "2023-05"), ("2023-05-04", "2023-05-04"),
    ("04/05/2023", "2023-05-04"), ("4/5/2023", "2023-05-04"), ("05/2023", "2023-05"),
])
def test_dates_are_read_as_the_layer_keeps_them(layer, text, value):
    assert cell_value("date_ouverture", layer.properties["date_ouverture"], text) == (value, None)


@pytest.mark.parametrize("text", ["31/02/2023", "2023-13", "hier", "13/2023"])
def test_impossible_dates_are_refused_in_french(layer, text):
    value, problem = cell_value("date_fermeture", layer.properties["date_fermeture"], text)
    assert value is None and problem.startswith("date AAAA")


def test_columns_that_say_so_are_suggested(layer):
    found = suggest(layer, ["Nom", "Date d'ouverture", "Fermeture", "Date de création"])
    assert found["date_ouverture"] == "Date d'ouverture"
    assert found["date_fermeture"] == "Fermeture"
    assert "Date de création" not in found.values()  # a company's creation is not an opening
