import pytest

from geoservice.errors import ConfigError
from geoservice.territory import get_territory, territory_ids


def test_known_territories():
    assert territory_ids() == ["montpellier-mediterranee-metropole", "toulouse-metropole"]
    tm = get_territory("toulouse-metropole")
    assert tm.epci == "243100518" and len(tm.communes) == 37
    assert len(get_territory("montpellier-mediterranee-metropole").communes) == 31


def test_meets_handles_comma_lists():
    tm = get_territory("toulouse-metropole")
    assert tm.meets("31555")
    assert tm.meets("31999, 31149")
    assert not tm.meets("34172")
    assert not tm.meets(None)


def test_unknown_territory_is_a_clear_error():
    with pytest.raises(ConfigError, match="Territoire inconnu : « lyon »"):
        get_territory("lyon")
