/* geoservice web map: residents' map and the staff "Diagnostic" tab.
 *
 * Reads only the public API. Data text is always written as DOM text (textContent,
 * createTextNode) — never as HTML — so whatever a feature's name contains stays text.
 */
(function () {
  "use strict";

  var I18N = window.GS_I18N;
  var state = {
    lang: "fr", config: null, map: null, layers: {}, order: [], visible: {},
    selected: null, tab: "map", defi: "", diag: null, diagLayer: null, pin: null,
    ready: false, cardHooks: [], me: null,
  };

  // -- small helpers -------------------------------------------------------------------------

  function t(key) { return (I18N[state.lang] && I18N[state.lang][key]) || I18N.fr[key] || key; }

  /** Create an element; `text` is set as text, never parsed as HTML. */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined) return;
      if (key === "text") node.textContent = String(value);
      else if (key === "className") node.className = value;
      else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function $(id) { return document.getElementById(id); }
  function title(obj) { return obj ? (obj[state.lang] || obj.fr) : ""; }

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }

  function formatDistance(metres) {
    if (metres === null || metres === undefined) return "";
    var locale = state.lang === "en" ? "en-GB" : "fr-FR";
    if (metres < 1000) return Math.round(metres) + " m";
    return (metres / 1000).toLocaleString(locale, { maximumFractionDigits: 1 }) + " km";
  }

  /** Run `fn` once no zoom animation is running (Leaflet ignores a new view meanwhile). */
  function whenIdle(fn) {
    if (state.map._animatingZoom) state.map.once("zoomend", function () { whenIdle(fn); });
    else fn();
  }

  function status(message) { $("status").textContent = message || ""; }

  async function getJSON(url) {
    var response = await fetch(url, { headers: { Accept: "application/json" } });
    var body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      throw new Error((body && (body.detail || body.title)) || ("HTTP " + response.status));
    }
    return body;
  }

  // -- URL hash: view, layers, selected feature, tab, language ------------------------------

  function own(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var out = {};
    // Everything in the hash comes from whoever wrote the link: keep only sane values.
    var view = (params.get("map") || "").split("/").map(Number);
    if (view.length === 3 && view.every(isFinite) && view[0] >= 0 && view[0] <= 20 &&
        Math.abs(view[1]) <= 90 && Math.abs(view[2]) <= 180) out.view = view;
    if (params.has("layers")) out.layers = params.get("layers").split(",").filter(Boolean);
    var sel = params.get("sel") || "";
    if (/^[a-z0-9_]{1,40}:.{1,200}$/.test(sel)) out.sel = sel;
    if (params.get("tab")) out.tab = params.get("tab");
    if (params.get("lang")) out.lang = params.get("lang");
    if (params.has("defi")) out.defi = params.get("defi");
    return out;
  }

  function writeHash() {
    if (!state.ready) return;
    var c = state.map.getCenter();
    var params = new URLSearchParams();
    params.set("map", [state.map.getZoom(), c.lat.toFixed(5), c.lng.toFixed(5)].join("/"));
    params.set("layers", state.order.filter(function (id) { return state.visible[id]; }).join(","));
    if (state.selected) params.set("sel", state.selected.layer + ":" + state.selected.id);
    if (state.tab !== "map") params.set("tab", state.tab);
    if (state.defi) params.set("defi", state.defi);
    if (state.lang !== "fr") params.set("lang", state.lang);
    history.replaceState(null, "", "#" + params.toString().replace(/%2F/g, "/").replace(/%2C/g, ",")
      .replace(/%3A/g, ":"));
  }

  // -- feature cards (popups, detail panel) -------------------------------------------------

  var HIDDEN = { id: 1, nom: 1, lib_qp: 1, precision: 1, reference_position: 1, territoire: 1,
    notes: 1, source: 1, verification: 1, source_id: 1, licence: 1, millesime: 1, geocodage: 1 };
  var FOLDED = ["source", "licence", "geocodage", "notes"];  // long texts: behind a disclosure

  /** Imported open data not yet checked by an editor: said on the card and the marker. */
  function unverified(props) { return props.verification === "a_verifier"; }

  function verificationNode(props) {
    if (!unverified(props)) return null;
    var origin = [props.source ? String(props.source).split(",")[0] : null, props.millesime]
      .filter(Boolean).join(", ");
    return el("p", { className: "unverified-note" }, [el("strong", { text: t("unverified") }),
      origin ? el("span", { lang: "fr", text: " · " + origin }) : null]);
  }

  function featureName(layer, props) {
    return props.nom || props.lib_qp || props[layer.def.id_field] || "";
  }

  function valueText(name, value) {
    if (Array.isArray(value)) {
      return value.map(function (v) { return name === "defi" ? defiTitle(v) : String(v); })
        .join(", ");
    }
    if (typeof value === "boolean") return value ? t("yes") : t("no");
    if (CODED[name]) { var label = t("v_" + value); if (label !== "v_" + value) return label; }
    return String(value);
  }
  var CODED = { type: 1, statut: 1, signale_par: 1, verification: 1 };  // values with a label

  function defiTitle(key) {
    var defi = state.config.defis[key];
    return defi ? title(defi) : String(key);
  }

  function precisionNode(props) {
    if (!("precision" in props)) return null;
    var node = el("p", { className: "precision" });
    if (!props.precision) node.textContent = t("precision_none");
    else if (props.precision === "adresse") node.textContent = t("precision_exact");
    else node.textContent = t("precision_approx") + t("precision_" + props.precision);
    if (props.reference_position) {
      node.appendChild(el("br"));
      node.appendChild(document.createTextNode(t("precision_ref") + props.reference_position));
    }
    return node;
  }

  function card(layer, props, heading) {
    var dl = el("dl");
    Object.keys(layer.def.labels).forEach(function (name) {
      if (HIDDEN[name]) return;
      var value = props[name];
      if (value === null || value === undefined || value === "") return;
      if (Array.isArray(value) && !value.length) return;
      dl.appendChild(el("dt", { text: title(layer.def.labels[name]) }));
      var translated = name === "defi" || typeof value === "boolean" || !!CODED[name];
      dl.appendChild(el("dd", { lang: translated ? null : "fr", text: valueText(name, value) }));
    });
    var folded = FOLDED.filter(function (name) { return props[name] && layer.def.labels[name]; });
    var more = folded.length ? el("details", {}, [el("summary", { text: folded.map(function (name) {
      return title(layer.def.labels[name]);
    }).join(" · ") })].concat(folded.map(function (name) {
      return el("p", {}, [el("strong", { text: title(layer.def.labels[name]) + " : " }),
        el("span", { lang: "fr", text: props[name] })]);
    }))) : null;
    var node = el("div", { className: "card" }, [
      el(heading || "h2", { lang: "fr", text: featureName(layer, props) }),
      el("p", { className: "kind-line", text: title(layer.def.title) }),
      verificationNode(props), precisionNode(props), dl, more,
    ]);
    if (layer.def.id === "qpv") {
      node.appendChild(el("a", { href: "api/maps/qpv/" + encodeURIComponent(props.code_qp) + ".html",
        target: "_blank", rel: "noopener", text: t("report_link") }));
    }
    state.cardHooks.forEach(function (hook) { hook(layer, props, node); });  // the editor's buttons
    return node;
  }

  // -- layers ------------------------------------------------------------------------------

  function styleOf(def) {
    var s = def.style;
    var out = { color: s.color, weight: s.weight, fillColor: s.fill_color || s.color,
      fillOpacity: s.fill_opacity };
    if (s.dash_array) out.dashArray = s.dash_array;
    return out;
  }

  function defiColor(props) {
    var defis = props.defi || [];
    var first = defis.length ? state.config.defis[defis[0]] : null;
    return first ? first.color : state.config.no_defi.color;
  }

  function essIcon(def, props) {
    var size = Math.max(22, Math.round(def.style.radius * 2.6));
    var marker = el("span", { className: "ess-marker" + (unverified(props) ? " unverified" : ""),
      "aria-hidden": "true", text: unverified(props) ? "?" : def.style.glyph });
    marker.style.background = defiColor(props);
    marker.style.borderColor = def.style.color;
    return L.divIcon({ html: marker, className: "ess-icon", iconSize: [size, size],
      iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2] });
  }

  async function fetchAll(id) {
    var url = "api/collections/" + encodeURIComponent(id) + "/items?f=geojson&limit=" +
      state.config.page_limit;
    var features = [];
    while (url) {
      var page = await getJSON(url);
      features = features.concat(page.features || []);
      var next = (page.links || []).filter(function (l) { return l.rel === "next"; })[0];
      url = next ? next.href : null;
    }
    return features;
  }

  function buildLayer(def, features) {
    var layer = { def: def, features: [], byId: {}, group: null };
    var group = def.kind === "ess"
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 })
      : L.featureGroup();
    features.forEach(function (feature) {
      var props = feature.properties || {};
      var id = String(feature.id !== undefined && feature.id !== null ? feature.id : props[def.id_field]);
      var item = { id: id, props: props, layer: layer, leaflet: null, name: featureName(layer, props) };
      if (feature.geometry) {
        var leaflet;
        if (def.kind === "ess") {
          var c = feature.geometry.coordinates;
          var label = item.name + (unverified(props) ? " (" + t("unverified") + ")" : "");
          leaflet = L.marker([c[1], c[0]], { icon: essIcon(def, props), title: label,
            alt: label, keyboard: true, riseOnHover: true });
        } else if (def.kind === "point") {
          var p = feature.geometry.coordinates;
          leaflet = L.circleMarker([p[1], p[0]], Object.assign(styleOf(def), { radius: def.style.radius }));
        } else {
          leaflet = L.geoJSON(feature, { style: styleOf(def) });
          if (def.id === "qpv") {
            leaflet.bindTooltip(el("span", { text: item.name }),
              { permanent: true, direction: "center", className: "qpv-label" });
          }
        }
        // a click (or Enter / Space on a marker) opens the details panel, never a popup
        leaflet.on("click", function () {
          if (state.picking && def.kind !== "ess") return;  // placing a point: the map takes the click
          var icon = leaflet.getElement && def.kind === "ess" ? leaflet.getElement() : null;
          select(item, false, icon || state.map.getContainer());
        });
        if (def.kind === "ess") {  // Space opens a marker's details too (see onMapSpace)
          leaflet.on("add", function () { markerItems.set(leaflet.getElement(), item); });
        }
        item.leaflet = leaflet;
        group.addLayer(leaflet);
      }
      layer.features.push(item);
      layer.byId[id] = item;
    });
    layer.group = group;
    return layer;
  }

  function setVisible(id, on) {
    var layer = state.layers[id];
    state.visible[id] = on;
    if (!layer) return;
    if (on && state.tab === "map") layer.group.addTo(state.map);
    else state.map.removeLayer(layer.group);
    renderInView();
    writeHash();
  }

  /** Fetch a layer again (after an edit) and redraw it where it was. */
  async function reloadLayer(id) {
    var old = state.layers[id];
    var features = await fetchAll(id);
    var def = Object.assign({}, old.def, { count: features.length });
    var layer = buildLayer(def, features);
    state.map.removeLayer(old.group);
    state.layers[id] = layer;
    if (state.visible[id] && state.tab === "map") layer.group.addTo(state.map);
    renderLayerSwitcher();
    renderUnlocated();
    renderInView();
    return layer;
  }

  function renderLayerSwitcher() {
    var list = clear($("layers"));
    state.order.forEach(function (id) {
      var def = state.layers[id].def;
      var swatch = el("span", { className: "swatch" + (def.kind === "area" ? "" : " point"),
        "aria-hidden": "true" });
      swatch.style.borderColor = def.style.color;
      swatch.style.background = def.style.fill_color || def.style.color;
      var box = el("input", { type: "checkbox", id: "layer-" + id });
      box.checked = !!state.visible[id];
      box.addEventListener("change", function () { setVisible(id, box.checked); });
      var count = el("span", { className: "count", text: "(" + def.count + ")" });
      list.appendChild(el("li", {}, [el("label", { for: "layer-" + id }, [
        box, swatch, title(def.title) + " ", count])]));
    });
    var legend = clear($("defi-legend"));
    var defis = Object.keys(state.config.defis).map(function (k) { return state.config.defis[k]; });
    defis.concat([state.config.no_defi]).forEach(function (defi) {
      var dot = el("span", { className: "swatch point", "aria-hidden": "true" });
      dot.style.background = defi.color;
      legend.appendChild(el("li", {}, [dot, title(defi)]));
    });
    legend.appendChild(el("li", {}, [el("span", { className: "swatch point unverified-swatch", "aria-hidden": "true", text: "?" }),
      t("unverified_legend")]));
  }

  // -- selection, list view ----------------------------------------------------------------

  /** Select a feature: its details open in the details panel (focus moves there), the map
   * shows where it is. ``move`` brings it into view; ``opener`` gets focus back on close. */
  function select(item, move, opener, extra) {
    opener = opener || document.activeElement;
    state.selected = { layer: item.layer.def.id, id: item.id };
    writeHash();
    showDetail(item, opener, extra);
    if (!item.leaflet) return;
    if (move && !state.visible[item.layer.def.id] && state.tab === "map") {
      $("layer-" + item.layer.def.id).checked = true;
      setVisible(item.layer.def.id, true);
    }
    whenIdle(function () {
      if (move && item.layer.def.kind === "ess" && state.tab === "map") {
        item.layer.group.zoomToShowLayer(item.leaflet, function () { highlight(item); });
        return;
      }
      if (move) {
        if (item.leaflet.getBounds) state.map.fitBounds(item.leaflet.getBounds(), { maxZoom: 15, paddingBottomRight: detailPadding() });
        else state.map.setView(item.leaflet.getLatLng(), Math.max(state.map.getZoom(), 15));
      }
      highlight(item);
    });
  }

  /** Room taken by the details panel over the map (wide screens), so the feature stays visible. */
  function detailPadding() {
    var box = $("detail");
    return !box.hidden && getComputedStyle(box).position === "absolute" ? [box.offsetWidth + 20, 0] : [0, 0];
  }

  /** The map's pointer to the selected feature: an outline, not a popup (nothing to close). */
  function highlight(item) {
    if (state.highlight) state.map.removeLayer(state.highlight);
    state.highlight = null;
    if (!item.leaflet) return;
    var style = { color: "#1b2631", weight: 4, fill: false, interactive: false, dashArray: "6 4" };
    state.highlight = item.leaflet.getLatLng
      ? L.circleMarker(item.leaflet.getLatLng(), Object.assign({ radius: 18 }, style))
      : L.geoJSON(item.leaflet.toGeoJSON(), { style: style, interactive: false });
    state.highlight.addTo(state.map);
  }

  function showDetail(item, opener, extra) {
    var box = $("detail");
    clear(box);
    state.detailOpener = opener && opener !== document.body ? opener : null;
    var node = card(item.layer, item.props, "h2");
    var heading = node.querySelector("h2");
    heading.id = "detail-title";
    heading.setAttribute("tabindex", "-1");
    box.appendChild(node);
    if (extra) box.appendChild(extra);
    box.appendChild(el("button", { type: "button", className: "close", id: "detail-close",
      text: t("detail_close"), onclick: function () { closeDetail(); } }));
    box.hidden = false;
    heading.focus({ preventScroll: true });
    box.scrollTop = 0;
    if (getComputedStyle(box).position !== "absolute") box.scrollIntoView({ block: "start" });
  }

  function closeDetail(keepFocus) {
    var box = $("detail");
    if (box.hidden) return;
    box.hidden = true;
    clear(box);
    if (state.highlight) { state.map.removeLayer(state.highlight); state.highlight = null; }
    state.selected = null;
    writeHash();
    var back = state.detailOpener;
    state.detailOpener = null;
    if (keepFocus === true) return;
    if (back && !document.contains(back) && back.getAttribute && back.getAttribute("data-key")) {
      // the list was rebuilt meanwhile (the map moved): the same entry, new button
      var key = back.getAttribute("data-key");
      back = Array.prototype.filter.call(document.querySelectorAll("#panel [data-key]"), function (b) {
        return b.getAttribute("data-key") === key;
      })[0] || null;
    }
    if (back && document.contains(back) && back.getClientRects().length) back.focus();
    else if (state.tab === "map") $("list-title").focus();
    else $("panel").focus();
  }

  /** Escape closes the details (from inside them, from the map, or with focus nowhere). */
  function onEscape(event) {
    if (event.key !== "Escape" || $("detail").hidden) return;
    var active = document.activeElement;
    if (!active || active === document.body || $("detail").contains(active) || $("map").contains(active)) {
      event.preventDefault();
      closeDetail();
    }
  }

  var markerItems = new WeakMap();  // a marker's icon element → its feature

  /** Enter and Space open a marker's details; Space activates the zoom buttons too. */
  function onMapSpace(event) {
    if (event.key !== " " && event.key !== "Enter") return;
    var target = event.target;
    if (event.key === " " && target.matches && target.matches(".leaflet-control-zoom a")) {
      event.preventDefault();
      target.click();
    } else if (markerItems.has(target)) {  // (no keypress follows: Leaflet's is not needed)
      event.preventDefault();
      select(markerItems.get(target), false, target);
    }
  }

  function itemButton(item) {
    return el("li", {}, [el("button", { type: "button", "data-key": item.layer.def.id + ":" + item.id,
      onclick: function () { select(item, true); } },
      [el("span", { lang: "fr", text: item.name }), el("span", { className: "kind", text: title(item.layer.def.title) })])]);
  }

  var LIST_MAX = 150;

  function renderInView() {
    if (!state.ready) return;
    var bounds = state.map.getBounds();
    var active = document.activeElement;
    var focusedKey = active && active.closest && active.closest("#in-view")
      ? active.getAttribute("data-key") : null;
    var list = clear($("in-view"));
    var shown = 0, total = 0;
    state.order.forEach(function (id) {
      if (!state.visible[id]) return;
      state.layers[id].features.forEach(function (item) {
        if (!item.leaflet) return;
        var inside = item.leaflet.getBounds ? bounds.intersects(item.leaflet.getBounds())
          : bounds.contains(item.leaflet.getLatLng());
        if (!inside) return;
        total += 1;
        if (shown < LIST_MAX) { list.appendChild(itemButton(item)); shown += 1; }
      });
    });
    if (!total) list.appendChild(el("li", { className: "help", text: t("list_empty") }));
    if (total > shown) list.appendChild(el("li", { className: "help", text: t("list_more") }));
    $("list-count").textContent = "(" + total + ")";
    if (focusedKey) {  // keep the keyboard user's place when the list is rebuilt
      var again = Array.prototype.filter.call(list.querySelectorAll("button"), function (b) {
        return b.getAttribute("data-key") === focusedKey;
      })[0];
      (again || $("list-title")).focus();
    }
  }

  function renderUnlocated() {
    var list = clear($("unlocated"));
    var count = 0;
    state.order.forEach(function (id) {
      state.layers[id].features.forEach(function (item) {
        if (item.leaflet) return;
        list.appendChild(itemButton(item));
        count += 1;
      });
    });
    $("unlocated-count").textContent = "(" + count + ")";
  }

  // -- search -------------------------------------------------------------------------------

  function localMatches(query) {
    var q = fold(query);
    if (!q) return [];
    var hits = [];
    state.order.forEach(function (id) {
      var def = state.layers[id].def;
      if (def.id === "qpv_2015") return;
      state.layers[id].features.forEach(function (item) {
        var name = fold(item.name);
        var pos = name.indexOf(q);
        if (pos >= 0) hits.push({ item: item, score: (pos === 0 ? 0 : 1) + (name === q ? -1 : 0) });
      });
    });
    hits.sort(function (a, b) { return a.score - b.score || a.item.name.localeCompare(b.item.name); });
    return hits.slice(0, 8).map(function (h) { return h.item; });
  }

  function placePin(lat, lon, label) {
    if (state.pin) state.map.removeLayer(state.pin);
    var icon = L.divIcon({ html: el("span"), className: "pin", iconSize: [18, 18], iconAnchor: [9, 18] });
    // under the places, not clickable: the searched point must not hide a place at the same spot
    state.pin = L.marker([lat, lon], { icon: icon, title: label, alt: label, keyboard: false,
      interactive: false, zIndexOffset: -1000 }).addTo(state.map);
  }

  async function onSearch(event) {
    event.preventDefault();
    var query = $("search").value.trim();
    var results = clear($("search-results"));
    if (!query) return;
    localMatches(query).forEach(function (item) { results.appendChild(itemButton(item)); });
    if (query.length < 3) {  // the address search needs 3 characters: say so plainly
      results.appendChild(el("li", { className: "help", text: t("search_short") }));
      return;
    }
    try {
      var answer = await getJSON("api/geocode/search?limit=5&q=" + encodeURIComponent(query));
      (answer.features || []).forEach(function (f) {
        var label = f.properties.label, c = f.geometry.coordinates;
        results.appendChild(el("li", {}, [el("button", { type: "button", onclick: function () {
          whenIdle(function () { state.map.setView([c[1], c[0]], 16); });
          placePin(c[1], c[0], label);
        } }, [label, el("span", { className: "kind", text: t("search_address") })])]));
      });
    } catch (err) {
      results.appendChild(el("li", { className: "help", text: t("search_failed") }));
    }
    if (!results.firstChild) results.appendChild(el("li", { className: "help", text: t("search_none") }));
  }

  // -- "Suis-je dans un QPV ?" --------------------------------------------------------------

  async function check(lon, lat, label) {
    var out = clear($("check-result"));
    out.appendChild(el("p", { text: t("check_working") }));
    try {
      var r = await getJSON("api/lookup?lon=" + lon + "&lat=" + lat);
      clear(out);
      if (label) out.appendChild(el("p", { text: label }));
      var answer;
      if (r.qpv) answer = t("check_yes") + r.qpv.lib_qp + " (" + r.qpv.code_qp + ").";
      else if (r.in_territory === false) answer = t("check_out");
      else answer = t("check_no");
      out.appendChild(el("p", { className: "answer", text: answer }));
      if (r.commune) out.appendChild(el("p", { text: t("check_commune") + r.commune.nom }));
      if (!r.qpv && r.nearest_qpv) {
        out.appendChild(el("p", { text: t("check_nearest_qpv") + r.nearest_qpv.lib_qp + " — " +
          formatDistance(r.nearest_qpv.distance_m) }));
      }
      if (r.note) out.appendChild(el("p", { className: "help", text: r.note }));
      var near = [];
      Object.keys(r.nearest || {}).forEach(function (id) {
        (r.nearest[id] || []).forEach(function (p) { near.push({ layer: id, place: p }); });
      });
      near.sort(function (a, b) { return a.place.distance_m - b.place.distance_m; });
      out.appendChild(el("h3", { text: t("check_nearest") }));
      if (!near.length) out.appendChild(el("p", { className: "help", text: t("check_none_near") }));
      var ul = el("ul");
      near.slice(0, 5).forEach(function (n) {
        var layer = state.layers[n.layer];
        var item = layer && layer.byId[String(n.place.id)];
        var text = n.place.nom + " — " + formatDistance(n.place.distance_m);
        var approx = n.place.precision && n.place.precision !== "adresse"
          ? " (" + t("precision_approx").replace(/[ :]+$/, "").toLowerCase() + ")" : "";
        ul.appendChild(el("li", {}, [item
          ? el("button", { type: "button", className: "linklike", onclick: function () { select(item, true); },
            text: text + approx })
          : text + approx]));
      });
      out.appendChild(ul);
      placePin(lat, lon, label || t("check_mypos"));
      whenIdle(function () { state.map.setView([lat, lon], Math.max(state.map.getZoom(), 14)); });
    } catch (err) {
      clear(out).appendChild(el("p", { text: t("loading_failed") + err.message }));
    }
  }

  async function onCheckAddress(event) {
    event.preventDefault();
    var query = $("check-address").value.trim();
    if (!query) return;
    var out = clear($("check-result"));
    out.appendChild(el("p", { text: t("check_working") }));
    try {
      var answer = await getJSON("api/geocode/search?limit=1&q=" + encodeURIComponent(query));
      var f = (answer.features || [])[0];
      if (!f) { clear(out).appendChild(el("p", { text: t("check_notfound") })); return; }
      var c = f.geometry.coordinates;
      await check(c[0], c[1], t("check_found") + f.properties.label);
    } catch (err) {  // the geocoder is down: say so simply, and offer the other way
      clear(out).appendChild(el("p", { text: t("check_failed") }));
      out.appendChild(el("button", { type: "button", className: "secondary", text: t("check_locate"),
        onclick: onLocate }));
    }
  }

  function onLocate() {
    var out = clear($("check-result"));
    if (!navigator.geolocation) { out.appendChild(el("p", { text: t("check_nogeo") })); return; }
    out.appendChild(el("p", { text: t("check_working") }));
    navigator.geolocation.getCurrentPosition(function (pos) {
      check(pos.coords.longitude.toFixed(6), pos.coords.latitude.toFixed(6), t("check_mypos"));
    }, function () { clear(out).appendChild(el("p", { text: t("check_denied") })); },
    { enableHighAccuracy: true, timeout: 15000 });
  }

  // -- Diagnostic tab -----------------------------------------------------------------------

  function diagQuery() {
    var parts = [];
    if (state.defi) parts.push("defi=" + encodeURIComponent(state.defi));
    if (state.unverified) parts.push("include=a_verifier");
    return parts.join("&");
  }

  function setDownloads() {
    var q = diagQuery();
    var amp = q ? "&" + q : "";
    $("dl-geojson").href = "api/map/diagnostic-export?f=geojson" + amp;
    $("dl-csv").href = "api/analysis/underserved?f=csv" + amp;
    $("dl-gpkg").href = "api/map/diagnostic-export?f=gpkg" + amp;
  }

  function classColor(code) {
    var classes = state.diag.classes;
    var index = classes.qpv[code];
    if (index === null || index === undefined) return classes.unknown.color;
    return classes.classes[index].color;
  }

  function renderDiagLegend() {
    var legend = clear($("diag-legend"));
    if (!state.diag) return;
    var locale = state.lang === "en" ? "en-GB" : "fr-FR";
    function fmt(v) { return Number(v).toLocaleString(locale, { maximumFractionDigits: 1 }); }
    state.diag.classes.classes.forEach(function (c) {
      var chip = el("span", { className: "swatch", "aria-hidden": "true" });
      chip.style.background = c.color;
      var range = c.lower === c.upper ? fmt(c.upper) : fmt(c.lower) + " – " + fmt(c.upper);
      legend.appendChild(el("li", {}, [chip, range]));
    });
    var unknown = el("span", { className: "swatch", "aria-hidden": "true" });
    unknown.style.background = state.diag.classes.unknown.color;
    legend.appendChild(el("li", {}, [unknown, t("diag_unknown") + " (" +
      state.diag.classes.unknown.count + ")"]));
  }

  /** The diagnosis of one QPV, shown in its details panel under the QPV's card. */
  function reasonsNode(entry) {
    var box = el("section", { className: "diag-reasons", "aria-labelledby": "diag-reasons-title" });
    box.appendChild(el("h3", { id: "diag-reasons-title", text: t("diag_title_qpv") }));
    var rank = entry.rank === null || entry.rank === undefined ? "—" : String(entry.rank);
    box.appendChild(el("p", { text: t("diag_rank") + " " + rank + " — " + t("diag_score") + " : " +
      (entry.score === null || entry.score === undefined ? t("diag_unknown") : Math.round(entry.score) + "/100") }));
    if (entry.rank_range) {
      box.appendChild(el("p", { text: t("diag_possible") + rangeText(entry.rank_range) +
        (entry.robustness ? " (" + t(entry.robustness) + ")" : "") + t("diag_top5") +
        Math.round((entry.top5_share || 0) * 100) + t("diag_of_draws") }));
    }
    if (entry.indicator_coverage !== undefined && entry.indicator_coverage !== null) {
      box.appendChild(el("p", { className: "help", text: t("diag_coverage") +
        Math.round(entry.indicator_coverage * 100) + " %" }));
    }
    if (entry.drivers) box.appendChild(el("p", { lang: "fr", className: "drivers", text: entry.drivers }));
    box.appendChild(el("h4", { text: t("diag_reasons") }));
    var ul = el("ul", { className: "reasons", lang: "fr" });
    (entry.reasons || []).forEach(function (r) { ul.appendChild(el("li", { text: r })); });
    box.appendChild(ul);
    if ((entry.needs || []).length) {  // open needs spotted here (residents, Maisons des Citoyens, staff)
      box.appendChild(el("h4", { id: "diag-needs-title", text: t("diag_needs") }));
      var needs = el("ul", { className: "needs", "aria-labelledby": "diag-needs-title" });
      entry.needs.forEach(function (n) {
        needs.appendChild(el("li", {}, [el("span", { lang: "fr", text: n.nom }),
          " — " + n.defi.map(defiTitle).join(", ")]));
      });
      box.appendChild(needs);
    }
    return box;
  }

  function selectDiag(entry, move, opener) {
    var rows = $("diag-table").querySelectorAll("tr[data-code]");
    rows.forEach(function (row) {
      var on = row.dataset.code === entry.code_qp;
      row.classList.toggle("selected", on);
      var button = row.querySelector("button");
      if (on) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
    });
    var item = state.layers.qpv && state.layers.qpv.byId[entry.code_qp];
    if (!item) return;
    var shape = state.diag.shapes[entry.code_qp];
    opener = opener || document.activeElement;
    select(item, false, opener, reasonsNode(entry));
    if (shape && move) {
      whenIdle(function () { state.map.fitBounds(shape.getBounds(), { maxZoom: 15, paddingBottomRight: detailPadding() }); });
    }
  }

  function rangeText(range) {
    if (!range) return "—";
    return range[0] === range[1] ? String(range[0]) : range[0] + "–" + range[1];
  }

  /** Above the ranking: what drives it, the territory-wide notes, the QPV to document. */
  function renderDiagHeader() {
    var box = clear($("diag-header"));
    if (!state.diag) return;
    var body = state.diag.body;
    var eff = body.effective_weights || {};
    var parts = Object.keys(eff).filter(function (k) { return eff[k]; })
      .sort(function (a, b) { return eff[b] - eff[a]; })
      .map(function (k) { return t("comp_" + k) + " " + Math.round(eff[k] * 100) + " %"; });
    if (parts.length) box.appendChild(el("p", { className: "help", text: t("diag_drives") + parts.join(", ") }));
    var waiting = body.answers_unverified || {};
    var count = state.defi ? waiting[state.defi] || 0 : Object.keys(waiting).reduce(function (n, k) { return Math.max(n, waiting[k]); }, 0);
    box.appendChild(el("p", { className: "help", id: "diag-verified", text: (body.unverified_included ? t("diag_with_unverified") : t("diag_verified_only")) +
      (count ? " (" + count + t("diag_waiting") + ")" : "") }));
    (body.notes || []).forEach(function (note) {
      box.appendChild(el("p", { className: "note", lang: "fr", text: note }));
    });
    var todo = body.to_document_first || [];
    if (todo.length) {
      box.appendChild(el("h2", { text: t("diag_document") }));
      var ul = el("ul", { className: "reasons" });
      todo.forEach(function (q) {
        var item = state.layers.qpv && state.layers.qpv.byId[q.code_qp];
        var label = t("diag_possible") + rangeText(q.rank_range) + t("diag_top5") +
          Math.round((q.top5_share || 0) * 100) + t("diag_of_draws");
        var entry = state.diag.items.filter(function (e) { return e.code_qp === q.code_qp; })[0];
        ul.appendChild(el("li", {}, [item && entry ? el("button", { type: "button", className: "linklike",
          onclick: function (event) { selectDiag(entry, true, event.currentTarget); } },
          [el("span", { lang: "fr", text: q.lib_qp })]) : el("span", { lang: "fr", text: q.lib_qp }),
          " — " + label]));
      });
      box.appendChild(ul);
    }
  }

  function renderDiag() {
    renderDiagHeader();
    var body = clear($("diag-table").tBodies[0]);
    if (state.diagLayer) state.map.removeLayer(state.diagLayer);
    if (!state.diag) return;
    var qpv = state.layers.qpv;
    var group = L.featureGroup();
    state.diag.shapes = {};
    state.diag.items.forEach(function (entry) {
      var item = qpv && qpv.byId[entry.code_qp];
      if (item && item.leaflet) {
        var shape = L.geoJSON(item.leaflet.toGeoJSON(), { style: { color: "#333", weight: 1.5,
          fillColor: classColor(entry.code_qp), fillOpacity: 0.85 } });
        shape.bindTooltip(el("span", { text: entry.lib_qp }), { permanent: true, direction: "center",
          className: "qpv-label" });
        shape.on("click", function () { selectDiag(entry, false, state.map.getContainer()); });
        group.addLayer(shape);
        state.diag.shapes[entry.code_qp] = shape;
      }
      var chip = el("span", { className: "chip", "aria-hidden": "true" });
      chip.style.background = classColor(entry.code_qp);
      var score = entry.score === null || entry.score === undefined ? t("diag_unknown")
        : String(Math.round(entry.score));
      body.appendChild(el("tr", { "data-code": entry.code_qp }, [
        el("td", { className: "num", text: entry.rank === null || entry.rank === undefined ? "—"
          : String(entry.rank) }),
        el("td", {}, [el("button", { type: "button", onclick: function (event) { selectDiag(entry, true, event.currentTarget); } },
          [el("span", { lang: "fr", text: entry.lib_qp })])]),
        el("td", { className: "num" }, [chip, score]),
        el("td", { className: "range" }, [rangeText(entry.rank_range),
          entry.robustness ? el("span", { className: "robust " + entry.robustness,
            text: t(entry.robustness) }) : null]),
      ]));
    });
    state.diagLayer = group;
    if (state.tab === "diagnostic") group.addTo(state.map);
    if (state.diagFit && group.getLayers().length) {
      state.map.fitBounds(group.getBounds(), { padding: [10, 10], animate: false });
      state.diagFit = false;
    }
    renderDiagLegend();
  }

  async function loadDiag() {
    setDownloads();
    status("");
    try {
      var q = diagQuery();
      var results = await Promise.all([
        getJSON("api/analysis/underserved" + (q ? "?" + q : "")),
        getJSON("api/map/diagnostic-classes" + (q ? "?" + q : "")),
      ]);
      state.diag = { items: results[0].items || [], classes: results[1], body: results[0] };
      renderDiag();
      if (state.selected && state.selected.layer === "qpv") {
        var entry = state.diag.items.filter(function (e) { return e.code_qp === state.selected.id; })[0];
        if (entry) selectDiag(entry, false);
      }
    } catch (err) {
      state.diag = null;
      renderDiag();
      status(t("diag_unavailable") + err.message);
    }
  }

  function setTab(tab) {
    state.tab = tab === "diagnostic" ? "diagnostic" : "map";
    var diag = state.tab === "diagnostic";
    $("tab-map").setAttribute("aria-selected", String(!diag));
    $("tab-diag").setAttribute("aria-selected", String(diag));
    $("tab-map").tabIndex = diag ? -1 : 0;
    $("tab-diag").tabIndex = diag ? 0 : -1;
    $("panel-residents").hidden = diag;
    $("panel-diag").hidden = !diag;
    closeDetail(true);
    state.order.forEach(function (id) {
      var keep = id === "communes" && state.visible[id];
      if ((diag && !keep) || !state.visible[id]) state.map.removeLayer(state.layers[id].group);
      else state.layers[id].group.addTo(state.map);
    });
    if (diag) { if (state.diagLayer) state.diagLayer.addTo(state.map); loadDiag(); }
    else if (state.diagLayer) state.map.removeLayer(state.diagLayer);
    writeHash();
  }

  function onTabKey(event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    var next = state.tab === "map" ? "diagnostic" : "map";
    setTab(next);
    $(next === "map" ? "tab-map" : "tab-diag").focus();
  }

  // -- language -----------------------------------------------------------------------------

  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    $("lang").setAttribute("lang", state.lang === "fr" ? "en" : "fr");
    $("map").setAttribute("aria-label", t("map_label"));
    document.title = t("page_title");
    if (state.zoom) {  // Leaflet's own control texts, in the page's language
      var zoom = state.zoom.getContainer();
      [[".leaflet-control-zoom-in", "zoom_in"], [".leaflet-control-zoom-out", "zoom_out"]].forEach(function (pair) {
        var button = zoom.querySelector(pair[0]);
        button.title = t(pair[1]);
        button.setAttribute("aria-label", t(pair[1]));
      });
    }
    var select = $("diag-defi");
    Array.prototype.slice.call(select.options, 1).forEach(function (option) {
      option.textContent = defiTitle(option.value);
    });
    if (!state.ready) return;
    renderLayerSwitcher();
    renderInView();
    renderUnlocated();
    if (state.diag) renderDiag();
    writeHash();
  }

  // -- staff: login, then the editor (loaded only after login) ------------------------------

  var STAFF_FLAG = "geoservice-staff";

  /** A JSON request with the session cookie; answers never throw on an HTTP error. */
  async function requestJSON(method, url, body, headers) {
    var response = await fetch(url, { method: method, credentials: "same-origin",
      headers: Object.assign({ Accept: "application/json" },
        body === undefined ? {} : { "Content-Type": "application/json" }, headers || {}),
      body: body === undefined ? undefined : JSON.stringify(body) });
    var answer = null;
    if (response.status !== 204) { try { answer = await response.json(); } catch (e) { answer = null; } }
    return { ok: response.ok, status: response.status, body: answer, headers: response.headers };
  }

  function loadEditor(me) {
    state.me = me;
    try { localStorage.setItem(STAFF_FLAG, "1"); } catch (e) { /* private mode */ }
    if (window.GS_EDITOR) { window.GS_EDITOR(editorApi, me); return; }
    status(t("editor_loading"));
    document.head.appendChild(el("link", { rel: "stylesheet", href: "editor.css" }));
    var script = el("script", { src: "editor.js" });
    script.addEventListener("load", function () { status(""); window.GS_EDITOR(editorApi, me); });
    script.addEventListener("error", function () { status(t("loading_failed") + "editor.js"); });
    document.head.appendChild(script);
  }

  async function openLogin() {
    var body = clear($("staff-body"));
    var methods;
    try { methods = await getJSON("api/auth"); } catch (err) {
      body.appendChild(el("p", { role: "alert", text: t("login_failed") + err.message }));
      return;
    }
    var message = el("p", { className: "help", role: "alert" });
    if (methods.oidc) {
      var next = location.pathname + location.search;
      body.appendChild(el("p", {}, [el("a", { className: "button",
        href: methods.oidc.href + "?next=" + encodeURIComponent(next),
        onclick: function () { try { localStorage.setItem(STAFF_FLAG, "1"); } catch (e) { /* */ } },
        text: t("login_with") + methods.oidc.label })]));
    }
    if (methods.password) {
      var email = el("input", { id: "login-email", type: "email", autocomplete: "username", required: "" });
      var password = el("input", { id: "login-password", type: "password",
        autocomplete: "current-password", required: "" });
      var form = el("form", { id: "login-form", className: "row-form" }, [
        el("label", { for: "login-email", text: t("login_email") }), email,
        el("label", { for: "login-password", text: t("login_password") }), password,
        el("button", { type: "submit", text: t("login_submit") })]);
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        message.textContent = "";
        var answer = await requestJSON("POST", "api/auth/login", { email: email.value, password: password.value });
        if (!answer.ok) {
          message.textContent = t("login_failed") +
            ((answer.body && (answer.body.detail || answer.body.title)) || ("HTTP " + answer.status));
          password.value = "";
          password.focus();
          return;
        }
        var me = await getJSON("api/me");
        loadEditor(me);
      });
      body.appendChild(form);
      body.appendChild(message);
      email.focus();
    }
    if (!methods.oidc && !methods.password) body.appendChild(el("p", { text: t("login_none") }));
  }

  async function resumeSession() {
    var flagged = false;
    try { flagged = localStorage.getItem(STAFF_FLAG) === "1"; } catch (e) { flagged = false; }
    if (!flagged) return;  // residents: no extra request, no editor code
    try {
      var me = await getJSON("api/me");
      if (me.authenticated && me.via === "session") { loadEditor(me); return; }
    } catch (e) { /* fall through */ }
    try { localStorage.removeItem(STAFF_FLAG); } catch (e) { /* */ }
  }

  var editorApi = {
    state: state, t: t, el: el, clear: clear, $: $, title: title, getJSON: getJSON,
    requestJSON: requestJSON,
    status: status, reloadLayer: reloadLayer, select: select, defiTitle: defiTitle,
    whenIdle: whenIdle, staffFlag: STAFF_FLAG,
  };

  // -- start --------------------------------------------------------------------------------

  async function start() {
    var hash = readHash();
    if (hash.lang === "en") state.lang = "en";
    try {
      state.config = await getJSON("api/map/config");
    } catch (err) {
      status(t("loading_failed") + err.message);
      return;
    }
    var config = state.config;
    $("territory").textContent = config.territory.nom;
    Object.keys(config.defis).forEach(function (key) {
      $("diag-defi").appendChild(el("option", { value: key, text: title(config.defis[key]) }));
    });
    applyLanguage();

    var map = L.map("map", { zoomControl: false, keyboard: true, maxZoom: 19, minZoom: 4 });
    state.map = map;
    state.zoom = L.control.zoom({ zoomInTitle: t("zoom_in"), zoomOutTitle: t("zoom_out") }).addTo(map);
    map.getContainer().addEventListener("keydown", onMapSpace);
    if (config.tiles) {
      var tiles = L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution,
                                                  maxZoom: 19 }).addTo(map);
      // Offline, or the tile server down: say it once, stop asking, keep the map usable.
      var failed = 0, loaded = 0;
      tiles.on("tileload", function () { loaded += 1; });
      tiles.on("tileerror", function () {
        failed += 1;
        if (failed === 4 && loaded === 0) {
          map.removeLayer(tiles);
          document.body.setAttribute("data-tiles", "off");
          status(t("tiles_off"));
        }
      });
    }
    var bbox = config.territory.bbox;
    if (hash.view) map.setView([hash.view[1], hash.view[2]], hash.view[0]);
    else if (bbox) map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]]);
    else map.setView([46.6, 2.4], 6);
    map.on("zoomend", function () {
      map.getContainer().classList.toggle("labels-hidden", map.getZoom() < 12);
    });
    map.getContainer().classList.toggle("labels-hidden", map.getZoom() < 12);

    var defs = config.layers;
    var loaded = await Promise.all(defs.map(function (def) {
      return fetchAll(def.id).then(function (features) { return buildLayer(def, features); },
        function (err) { status(t("loading_failed") + def.id + " — " + err.message); return buildLayer(def, []); });
    }));
    loaded.forEach(function (layer) {
      var id = layer.def.id;
      state.layers[id] = layer;
      state.order.push(id);
      state.visible[id] = hash.layers ? hash.layers.indexOf(id) >= 0 : !!layer.def.style.visible;
    });
    // draw areas below points: add in reverse display order
    state.order.slice().reverse().forEach(function (id) {
      if (state.visible[id]) state.layers[id].group.addTo(map);
    });
    state.layers.qpv && state.visible.qpv && state.layers.qpv.group.bringToFront();
    state.ready = true;
    renderLayerSwitcher();
    renderUnlocated();
    renderInView();
    map.on("moveend", function () { renderInView(); writeHash(); });
    if (window.GS_PROPOSE) window.GS_PROPOSE(editorApi);  // residents' contributions

    if (hash.defi && own(config.defis, hash.defi)) { state.defi = hash.defi; $("diag-defi").value = hash.defi; }
    if (hash.tab === "diagnostic") setTab("diagnostic");
    if (hash.sel && state.tab === "map") {
      var cut = hash.sel.indexOf(":");
      var layerId = hash.sel.slice(0, cut), featureId = hash.sel.slice(cut + 1);
      var layer = own(state.layers, layerId) ? state.layers[layerId] : null;
      var item = layer && own(layer.byId, featureId) ? layer.byId[featureId] : null;
      if (item) select(item, !hash.view, document.body);
    } else if (hash.sel) {
      state.selected = { layer: hash.sel.split(":")[0], id: hash.sel.slice(hash.sel.indexOf(":") + 1) };
    }
    writeHash();
    resumeSession();
    document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
    document.body.setAttribute("data-ready", "true");
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("search-form").addEventListener("submit", onSearch);
    $("check-form").addEventListener("submit", onCheckAddress);
    $("check-locate").addEventListener("click", onLocate);
    $("login-open").addEventListener("click", openLogin);
    document.addEventListener("keydown", onEscape);
    $("lang").addEventListener("click", function () {
      state.lang = state.lang === "fr" ? "en" : "fr";
      applyLanguage();
    });
    $("tab-map").addEventListener("click", function () { setTab("map"); });
    $("tab-diag").addEventListener("click", function () {
      if (state.tab !== "diagnostic") state.diagFit = !state.selected;
      setTab("diagnostic");
    });
    $("tab-map").addEventListener("keydown", onTabKey);
    $("tab-diag").addEventListener("keydown", onTabKey);
    $("diag-unverified").addEventListener("change", function () {
      state.unverified = $("diag-unverified").checked;
      loadDiag();
    });
    $("diag-defi").addEventListener("change", function () {
      state.defi = $("diag-defi").value;
      loadDiag();
      writeHash();
    });
    start();
  });
})();
