"""Standalone folium report maps of a QPV (or the whole territory): its ring, the ESS
around it and the reasons of its score, in the web map's styles, working offline (Leaflet
inlined, folium's CDN assets dropped). folium is imported inside the functions.

The API (``/api/maps/qpv/{code}.html``) and the CLI (``geoservice map``) parse their
parameters into an :class:`~geoservice.analysis.service.AnalysisRequest` and call
:func:`report_map`, which takes the QPV's score and reasons from the analysis entry.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ..analysis.service import AnalysisRequest, ranking
from ..errors import NotFound
from ..read.snapshot import Snapshot
from ..settings import Settings
from ..vocab import METRIC_CRS
from .web import DEFIS, NO_DEFI, PUBLIC_FIELDS, layer_kind


@cache
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS from the installed xstatic package, images inlined as data URIs."""
    import xstatic.pkg.leaflet as leaflet

    base = Path(leaflet.BASE_DIR)
    css = (base / "leaflet.css").read_text("utf-8")

    def _inline(match: re.Match[str]) -> str:
        data = base64.b64encode((base / match.group(1)).read_bytes()).decode()
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", _inline, css)
    js = (base / "leaflet.js").read_text("utf-8")
    return js, css


def _feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _features(store: Snapshot, layer_id: str, positions: Sequence[int]) -> list[dict]:
    import shapely

    collection = store.collections[layer_id]
    out = []
    for pos in positions:
        geom = collection.frame.geometry.iloc[int(pos)]
        props = collection.properties(int(pos))
        out.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom),
                    "properties": props})
    return out


def _fields(store: Snapshot, layer_id: str, names: Sequence[str]) -> list[list[str]]:
    layer = store.collections[layer_id].layer
    return [[n, layer.properties[n].label.fr] for n in names if n in layer.properties]


def report_map(store: Snapshot, settings: Settings, code_qp: str | None = None,
               request: AnalysisRequest | None = None, around_m: float = 5000.0) -> str:
    """A standalone HTML map (folium) of one QPV — or of the whole territory.

    The QPV, its "quartier vécu" ring, the ESS places within ``around_m`` of the QPV and
    the reasons of its underserved score are drawn with the layer styles of ``layers/``.
    Leaflet is inlined from the installed package: the file works offline. Feature text is
    only passed as JSON data and written into the page as text (never as HTML).

    Parameters
    ----------
    store, settings
        The loaded store; settings give the tile layer (None = no background) and ring.
    code_qp : str, optional
        QPV 2024 code (``QN03107M``); None for the territory overview.
    request : AnalysisRequest, optional
        The parsed parameters; their ring is drawn and their diagnosis gives the score and
        reasons (default: ``AnalysisRequest.defaults(settings)``, the configured ring).
    around_m : float
        ESS places farther than this from the QPV are left out.

    Returns
    -------
    str
        The complete HTML document.

    Raises
    ------
    NotFound
        Unknown QPV code.
    """
    import folium

    if request is None:
        request = AnalysisRequest.defaults(settings)
    ring_m = request.ring_m
    qpv = store.collection("qpv")
    fmap = folium.Map(tiles=None, control_scale=True, zoom_control=True)
    fmap.default_js, fmap.default_css = [], []
    js, css = _leaflet_assets()
    fmap.get_root().add_child(_InlineAssets(js, css))
    if settings.tiles_url:
        folium.TileLayer(settings.tiles_url, attr=settings.tiles_attribution,
                         name="Fond de carte").add_to(fmap)

    communes = store.collections.get("communes")
    if communes is not None and len(communes.located):
        _area_layer(store, "communes", communes.located, fmap, ["nom", "code"], show=True)

    if code_qp is None:
        positions = qpv.located
        title = f"{store.territory.nom} — quartiers prioritaires et ESS"
        reasons: list[str] = []
        focus = qpv.metric.iloc[positions].union_all() if len(positions) else None
    else:
        position = _qpv_position(qpv, code_qp)
        positions = [position]
        focus = qpv.metric.iloc[position]
        lib = qpv.properties(position)["lib_qp"]
        title = f"{lib} ({code_qp}) — ESS dans le quartier et autour"
        item = next((i for i in ranking(store, request) if i.get("code_qp") == code_qp), None)
        reasons = list(item.get("reasons", [])) if item else []
        if item and item.get("score") is not None:
            reasons.insert(0, f"Score de sous-desserte : {item['score']:.0f}/100 "
                              f"(rang {item.get('rank')})")
        elif item:
            reasons.insert(0, "Besoin inconnu : pas d'indicateur INSEE sur ce périmètre")
        if ring_m > 0:
            _ring_layer(store, focus, ring_m, fmap)
    _area_layer(store, "qpv", positions, fmap, ["lib_qp", "code_qp", "insee_com"], show=True,
                permanent=code_qp is not None)

    if focus is not None:
        shown = _ess_layers(store, focus, around_m if code_qp else None, fmap)
        import shapely

        extent = shapely.union_all([focus.buffer(max(ring_m, 300)), *shown])
        fmap.fit_bounds(_bounds4326(extent), padding_top_left=(380, 10),
                        padding_bottom_right=(10, 10))
    fmap.get_root().add_child(_Panel(title, reasons, _legend(store)))
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().title = html.escape(title)  # branca does not escape <title>
    return fmap.get_root().render()


def _qpv_position(qpv: Any, code_qp: str) -> int:
    try:
        position = qpv.position(code_qp)
    except NotFound as exc:
        raise NotFound(f"QPV inconnu : « {code_qp} » (codes QPV 2024 du territoire : "
                       f"{', '.join(sorted(qpv.frame['code_qp'].astype(str))[:3])}…)") from exc
    if position not in set(qpv.located.tolist()):
        raise NotFound(f"Le QPV « {code_qp} » n'a pas de contour")
    return position


def _bounds4326(geom: Any) -> list[list[float]]:
    import geopandas as gpd

    minx, miny, maxx, maxy = gpd.GeoSeries([geom], crs=METRIC_CRS).to_crs(4326).total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _style(store: Snapshot, layer_id: str) -> dict[str, Any]:
    s = store.collections[layer_id].layer.style
    out = {"color": s.color, "fillColor": s.fill_color or s.color, "fillOpacity": s.fill_opacity,
           "weight": s.weight}
    if s.dash_array:
        out["dashArray"] = s.dash_array
    return out


def _area_layer(store: Snapshot, layer_id: str, positions: Any, fmap: Any, fields: list[str],
                show: bool, permanent: bool = False) -> None:
    import folium

    layer = store.collections[layer_id].layer
    style = _style(store, layer_id)
    group = folium.GeoJson(
        _feature_collection(_features(store, layer_id, positions)),
        name=layer.title.fr, show=show, style_function=lambda _f, s=style: s,
    )
    group.add_child(_SafeLabels(_fields(store, layer_id, fields), permanent))
    group.add_to(fmap)


def _ring_layer(store: Snapshot, focus: Any, ring_m: float, fmap: Any) -> None:
    import folium
    import geopandas as gpd
    import shapely

    ring = gpd.GeoSeries([focus.buffer(ring_m)], crs=METRIC_CRS).to_crs(4326).iloc[0]
    color = store.collections["qpv"].layer.style.color
    folium.GeoJson(
        {"type": "Feature", "geometry": shapely.geometry.mapping(ring),
         "properties": {"nom": f"Quartier vécu : {ring_m:.0f} m autour du QPV"}},
        name=f"Anneau de {ring_m:.0f} m",
        style_function=lambda _f: {"color": color, "weight": 1.5, "dashArray": "6 4",
                                   "fill": False},
    ).add_to(fmap)


def _ess_layers(store: Snapshot, focus: Any, around_m: float | None, fmap: Any) -> list[Any]:
    """Draw the located ESS places near ``focus``; their EPSG:2154 points."""
    import folium

    shown: list[Any] = []
    for collection in store.collections.values():
        layer = collection.layer
        if layer_kind(layer) != "ess" or not len(collection.located):
            continue
        located = collection.located
        if around_m is not None:
            distances = collection.metric.iloc[located].distance(focus).to_numpy()
            located = located[distances <= around_m]
        if not len(located):
            continue
        shown.extend(collection.metric.iloc[located].buffer(150))
        features = _features(store, layer.id, located)
        for feature in features:
            defis = feature["properties"].get("defi") or []
            feature["properties"]["_color"] = DEFIS[defis[0]]["color"] if defis and \
                defis[0] in DEFIS else NO_DEFI["color"]
        s = layer.style
        group = folium.GeoJson(
            _feature_collection(features), name=layer.title.fr,
            marker=folium.CircleMarker(radius=s.radius, weight=s.weight, color=s.color),
            style_function=lambda f, s=s: {"fill": True, "fillColor": f["properties"]["_color"],
                                           "fillOpacity": s.fill_opacity, "color": s.color,
                                           "radius": s.radius},
        )
        fields = _fields(store, layer.id, ["nom", *PUBLIC_FIELDS[:3], "precision",
                                            "reference_position"])
        group.add_child(_SafeLabels(fields, permanent=False))
        group.add_to(fmap)
    return shown


def _legend(store: Snapshot) -> list[tuple[str, str]]:
    items = [(store.collections["qpv"].layer.title.fr, store.collections["qpv"].layer.style.color)]
    items += [(f"Défi {d['fr']}", d["color"]) for d in DEFIS.values()]
    items.append((NO_DEFI["fr"], NO_DEFI["color"]))
    return items


def _macro_element() -> type:
    from branca.element import MacroElement

    return MacroElement


def _template(text: str) -> Any:
    from jinja2 import Template

    return Template(text)


def _InlineAssets(js: str, css: str) -> Any:  # noqa: N802 — reads like a class
    element = _macro_element()()
    element._name = "InlineAssets"
    element._template = _template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>\n"
        "<script>{{ this.js }}</script>\n"
        "<style>.gs-panel{position:absolute;top:10px;left:50px;z-index:1000;max-width:360px;"
        "background:#fff;padding:8px 12px;border-radius:4px;box-shadow:0 1px 4px #0005;"
        "font:14px/1.4 sans-serif}.gs-panel h1{font-size:16px;margin:0 0 4px}"
        ".gs-panel ul{margin:4px 0;padding-left:18px}.gs-sw{display:inline-block;width:12px;"
        "height:12px;margin-right:6px;border:1px solid #333;vertical-align:middle}"
        ".gs-label{font-weight:bold}</style>{% endmacro %}")
    element.js, element.css = js, css
    return element


def _Panel(title: str, reasons: list[str], legend: list[tuple[str, str]]) -> Any:  # noqa: N802
    element = _macro_element()()
    element._name = "Panel"
    element._template = _template(
        "{% macro html(this, kwargs) %}<div class=\"gs-panel\" role=\"region\" "
        "aria-label=\"Légende\"><h1>{{ this.title|e }}</h1>"
        "{% if this.reasons %}<ul>{% for r in this.reasons %}<li>{{ r|e }}</li>"
        "{% endfor %}</ul>{% endif %}<div>{% for label, color in this.legend %}"
        "<div><span class=\"gs-sw\" style=\"background:{{ color|e }}\"></span>{{ label|e }}"
        "</div>{% endfor %}</div></div>{% endmacro %}")
    element.title, element.reasons, element.legend = title, reasons, legend
    return element


def _SafeLabels(fields: list[list[str]], permanent: bool) -> Any:  # noqa: N802
    """Popups and tooltips built from feature properties as DOM text (never HTML)."""
    element = _macro_element()()
    element._name = "SafeLabels"
    element._template = _template(
        "{% macro script(this, kwargs) %}(function (layer, fields, permanent) {\n"
        "  layer.eachLayer(function (l) {\n"
        "    var p = l.feature.properties, box = document.createElement('div');\n"
        "    fields.forEach(function (f) {\n"
        "      var v = p[f[0]];\n"
        "      if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length))"
        " return;\n"
        "      var row = document.createElement('div'), b = document.createElement('strong');\n"
        "      b.textContent = f[1] + ' : '; row.appendChild(b);\n"
        "      row.appendChild(document.createTextNode(Array.isArray(v) ? v.join(', ') : "
        "String(v)));\n"
        "      box.appendChild(row);\n"
        "    });\n"
        "    l.bindPopup(box);\n"
        "    var t = document.createElement('span'); t.className = 'gs-label';\n"
        "    t.textContent = String(p[fields[0][0]]);\n"
        "    l.bindTooltip(t, {permanent: permanent, direction: 'center'});\n"
        "  });\n"
        "})({{ this._parent.get_name() }}, {{ this.fields|tojson }}, "
        "{{ this.permanent|tojson }});{% endmacro %}")
    element.fields, element.permanent = fields, permanent
    return element
