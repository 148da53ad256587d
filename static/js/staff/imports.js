/* CSV imports for editors (loaded by the editor after login).
 *
 * Upload a file for a layer: nothing is written yet. The rows the BAN geocoding is unsure
 * of are listed and drawn on the map; an editor confirms one, drags its pin to the right
 * place, or excludes it; then applies: the sure, confirmed and placed rows, in one
 * changeset. Every text from the file is written as DOM text, never as HTML.
 */

import { problemText } from "../api.js";
import { $, clear, el } from "../dom.js";
import { register, title } from "../i18n.js";
import { reloadLayer, state, status, whenIdle } from "../map.js";
import { may, send, session } from "./session.js";

const t = register({
  fr: {
    title: "Importer un fichier CSV", layer: "Couche", file: "Fichier CSV (UTF-8, « , » ou « ; »)",
    id_column: "Colonne de l'identifiant (facultatif : permet de réimporter sans doublon)",
    send: "Analyser le fichier (rien n'est écrit)", summary: " sûre(s), ", review: " à revoir, ",
    rejected: " rejetée(s), ", excluded: " écartée(s)", mapping: "Correspondance des colonnes",
    mapped: "Correspondance ", rerun: "Relancer avec cette correspondance", none: "(aucune)",
    rows_review: "Lignes à revoir", rows_rejected: "Lignes rejetées", line: "Ligne ",
    confirm: "Confirmer le point", place: "Placer à la main", keep: "Retenir ce point",
    exclude: "Écarter", apply: "Appliquer l'import", applied: "Import appliqué : ",
    added: " ajouté(s), ", updated: " mis à jour, ", unchanged: " inchangé(s)",
    place_help: "Déplacez l'épingle sur la carte (ou cliquez sur la carte), puis « Retenir ce point ».",
    failed: "Échec : ", status_sure: "sûre", status_confirmed: "confirmée", status_placed: "placée à la main",
    status_review: "à revoir", status_rejected: "rejetée", status_excluded: "écartée", lon: "Longitude", lat: "Latitude",
    status_applied: "appliquée", applied_count: " appliquée(s)", rows_write: "Lignes que « Appliquer » écrira",
    op_insert: "ajout : ", op_update: "mise à jour de ", op_unchanged: "inchangée (rien à écrire)", op_kept: "gardée telle quelle : ",
    fields: "champs qui changent : ", left: "Restent à revoir : ", left_help: "Ces lignes restent dans l'import : décidez-les, puis appliquez à nouveau.",
    more: "Lignes suivantes", shown: " ligne(s) listée(s) sur ", uploading: "Envoi du fichier : ", analysing: "Analyse des lignes en cours…",
  },
  en: {
    title: "Import a CSV file", layer: "Layer", file: "CSV file (UTF-8, « , » or « ; »)",
    id_column: "Identifier column (optional: re-imports without duplicates)",
    send: "Analyse the file (nothing is written)", summary: " sure, ", review: " to review, ",
    rejected: " rejected, ", excluded: " excluded", mapping: "Column mapping",
    mapped: "Mapping ", rerun: "Run again with this mapping", none: "(none)",
    rows_review: "Rows to review", rows_rejected: "Rejected rows", line: "Line ",
    confirm: "Confirm the point", place: "Place by hand", keep: "Use this point",
    exclude: "Exclude", apply: "Apply the import", applied: "Import applied: ",
    added: " added, ", updated: " updated, ", unchanged: " unchanged",
    place_help: "Drag the pin on the map (or click the map), then « Use this point ».",
    failed: "Failed: ", status_sure: "sure", status_confirmed: "confirmed", status_placed: "placed by hand",
    status_review: "to review", status_rejected: "rejected", status_excluded: "excluded", lon: "Longitude", lat: "Latitude",
    status_applied: "applied", applied_count: " applied", rows_write: "Rows « Apply » will write",
    op_insert: "new: ", op_update: "update of ", op_unchanged: "unchanged (nothing to write)", op_kept: "kept as it is: ",
    fields: "fields that change: ", left: "Still to review: ", left_help: "These rows stay in the import: decide them, then apply again.",
    more: "Next rows", shown: " row(s) listed of ", uploading: "Sending the file: ", analysing: "Analysing the rows…",
  },
});
var current = null, lastFile = null, rowsLayer = null, pin = null, placing = null;

function clearMap() {
  if (rowsLayer) { state.map.removeLayer(rowsLayer); rowsLayer = null; }
  if (pin) { state.map.removeLayer(pin); pin = null; }
  placing = null;
}

function render() {
  var layers = state.order.filter(function (id) { return state.layers[id].def.editable && may(id, "create"); });
  if (!layers.length) return;
  var select = el("select", { id: "imp-layer" }, layers.map(function (id) {
    return el("option", { value: id, text: title(state.layers[id].def.title) });
  }));
  var file = el("input", { type: "file", id: "imp-file", accept: ".csv,text/csv" });
  var idColumn = el("input", { type: "text", id: "imp-id", maxlength: "100" });
  var box = el("section", { id: "imports", className: "moderation", "aria-labelledby": "imports-title" }, [
    el("h3", { id: "imports-title", text: t("title") }),
    el("label", { for: "imp-layer", text: t("layer") }), select,
    el("label", { for: "imp-file", text: t("file") }), file,
    el("label", { for: "imp-id", text: t("id_column") }), idColumn,
    el("button", { type: "button", id: "imp-send", text: t("send"), onclick: function () {
      if (!file.files.length) return;
      lastFile = file.files[0];
      upload(null);
    } })]);
  $("slot-imports").appendChild(box);
}

async function upload(mapping) {
  var form = new FormData();
  form.append("layer", $("imp-layer").value);
  form.append("file", lastFile, lastFile.name);
  if ($("imp-id").value.trim()) form.append("id_column", $("imp-id").value.trim());
  if (mapping) form.append("mapping", JSON.stringify(mapping));
  show(await sendWithProgress(form));
}

/** POST the form, showing how much of the file is sent, then that the rows are analysed
 * (a file of 100,000 rows takes a while): the answer as `send` gives it. */
function sendWithProgress(form) {
  var box = clear($("editor-work"));
  var bar = el("progress", { id: "imp-progress", max: "100", value: "0", "aria-labelledby": "imp-progress-label" });
  var label = el("p", { id: "imp-progress-label", role: "status", text: t("uploading") + "0 %" });
  box.appendChild(label);
  box.appendChild(bar);
  return new Promise(function (resolve) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "api/imports");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", session.me.csrf);
    xhr.upload.onprogress = function (event) {
      if (!event.lengthComputable) return;
      var share = Math.round(100 * event.loaded / event.total);
      bar.value = share;
      label.textContent = share < 100 ? t("uploading") + share + " %" : t("analysing");
      if (share >= 100) bar.removeAttribute("value");  // indeterminate while the server works
    };
    xhr.upload.onload = function () { label.textContent = t("analysing"); bar.removeAttribute("value"); };
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, body: body });
    };
    xhr.onerror = function () { resolve({ ok: false, status: 0, body: null }); };
    xhr.send(form);
  });
}

function summaryText(s) {
  return s.sure + t("summary") + s.review + t("review") + s.rejected + t("rejected") + s.excluded + t("excluded") +
    (s.applied ? ", " + s.applied + t("applied_count") : "");
}

/** What applying a row writes: new, update (with the fields that change), unchanged, kept. */
function planText(row) {
  var plan = row.plan;
  if (!plan) return "";
  if (plan.op === "insert") return t("op_insert") + plan.fid;
  if (plan.op === "update") return t("op_update") + plan.fid + " — " + t("fields") + plan.changes.join(", ");
  if (plan.op === "kept") return t("op_kept") + (plan.why || plan.fid);
  return t("op_unchanged");
}

function show(answer) {
  clearMap();
  var box = clear($("editor-work"));
  var heading = el("h3", { id: "imp-heading", tabindex: "-1", text: t("title") });
  box.appendChild(heading);
  if (!answer.ok) {
    box.appendChild(el("p", { role: "alert", id: "imp-error", text: t("failed") + problemText(answer) }));
    heading.focus();
    return;
  }
  current = answer.body;
  heading.textContent = current.filename + " → " + title(state.layers[current.layer].def.title);
  box.appendChild(el("p", { id: "imp-summary", role: "status", text: summaryText(current.summary) }));
  box.appendChild(mappingNode());
  var ready = current.rows.filter(function (r) { return r.status === "sure"; });
  if (ready.length && current.status === "draft") {
    box.appendChild(el("h4", { text: t("rows_write") }));
    var wl = el("ul", { className: "queue", id: "imp-write" });
    ready.forEach(function (row) { wl.appendChild(rowNode(row, false)); });
    box.appendChild(wl);
  }
  var review = current.rows.filter(function (r) { return r.status === "review" || r.status === "confirmed" || r.status === "placed"; });
  if (review.length) {
    box.appendChild(el("h4", { text: t("rows_review") }));
    if (current.summary.applied) box.appendChild(el("p", { className: "help", text: t("left_help") }));
    var list = el("ul", { className: "queue", id: "imp-review" });
    review.forEach(function (row) { list.appendChild(rowNode(row, true)); });
    box.appendChild(list);
    drawRows(review);
  }
  var rejected = current.rows.filter(function (r) { return r.status === "rejected" || r.status === "excluded"; });
  if (rejected.length) {
    box.appendChild(el("h4", { text: t("rows_rejected") }));
    var rl = el("ul", { className: "queue", id: "imp-rejected" });
    rejected.forEach(function (row) { rl.appendChild(rowNode(row, false)); });
    box.appendChild(rl);
  }
  if (current.rows_matched > current.offset + current.rows.length) {
    box.appendChild(el("p", { className: "help", id: "imp-shown", text: (current.offset + current.rows.length) + t("shown") + current.rows_matched }));
    box.appendChild(el("button", { type: "button", className: "secondary", id: "imp-more", text: t("more"), onclick: async function () {
      var next = await send("GET", "api/imports/" + encodeURIComponent(current.id) + "?offset=" + (current.offset + current.rows.length));
      if (next.ok) show(next);
    } }));
  }
  if (current.status === "draft") {
    box.appendChild(el("button", { type: "button", id: "imp-apply", text: t("apply"), onclick: applyImport }));
  }
  heading.focus();
}

function mappingNode() {
  var wrap = el("details", { id: "imp-mapping" }, [el("summary", { text: t("mapped") + "(" + current.mapped_from + ")" })]);
  var selects = {};
  var names = Object.keys(state.layers[current.layer].def.labels).filter(function (n) {
    return ["id", "territoire", "verification", "geocodage", "source_id"].indexOf(n) < 0;
  }).concat(["lon", "lat"]);
  names.forEach(function (name) {
    var id = "imp-map-" + name;
    var select = el("select", { id: id }, [el("option", { value: "", text: t("none") })].concat(current.header.map(function (h) {
      return el("option", { value: h, text: h });
    })));
    select.value = current.mapping[name] || "";
    selects[name] = select;
    var labels = state.layers[current.layer].def.labels;
    wrap.appendChild(el("div", { className: "field" }, [el("label", { for: id, text: labels[name] ? title(labels[name]) : t(name) }), select]));
  });
  wrap.appendChild(el("button", { type: "button", className: "secondary", id: "imp-rerun", text: t("rerun"), onclick: function () {
    var mapping = {};
    Object.keys(selects).forEach(function (n) { if (selects[n].value) mapping[n] = selects[n].value; });
    if (lastFile) upload(mapping);
  } }));
  return wrap;
}

function rowNode(row, actions) {
  var name = row.props.nom || row.cells[current.mapping.nom] || "";
  var node = el("li", { "data-line": String(row.line) }, [
    el("span", { className: "what" }, [el("strong", { text: t("line") + row.line + " · " }), el("span", { lang: "fr", text: name }),
      " · " + t("status_" + row.status),
      row.plan && row.status !== "rejected" ? el("span", { className: "help plan" }, [el("br"), planText(row)]) : null,
      row.geocoding ? el("span", { className: "help" }, [el("br"), el("span", { lang: "fr", text: row.geocoding.label || "" })]) : null,
      row.problems.length ? el("span", { className: "dup" }, [el("br"), row.problems.join(" ; ")]) : null])]);
  if (actions && current.status === "draft") {
    node.appendChild(el("div", { className: "edit-actions" }, [
      row.geometry ? el("button", { type: "button", className: "secondary", text: t("confirm"), onclick: function () { decide(row.line, { action: "confirm" }); } }) : null,
      el("button", { type: "button", className: "secondary", text: t("place"), onclick: function () { startPlacing(row); } }),
      el("button", { type: "button", className: "secondary", text: t("exclude"), onclick: function () { decide(row.line, { action: "exclude" }); } })]));
  }
  return node;
}

function drawRows(rows) {
  rowsLayer = L.layerGroup();
  var bounds = [];
  rows.forEach(function (row) {
    if (!row.geometry) return;
    var c = row.geometry.coordinates;
    bounds.push([c[1], c[0]]);
    L.circleMarker([c[1], c[0]], { radius: 9, color: "#7e5109", fillColor: "#f5b041", fillOpacity: 0.9, interactive: false }).addTo(rowsLayer);
  });
  rowsLayer.addTo(state.map);
  if (bounds.length) whenIdle(function () { state.map.fitBounds(bounds, { maxZoom: 16, padding: [30, 30] }); });
}

function startPlacing(row) {
  if (pin) state.map.removeLayer(pin);
  var center = row.geometry ? [row.geometry.coordinates[1], row.geometry.coordinates[0]] : [state.map.getCenter().lat, state.map.getCenter().lng];
  placing = row;
  pin = L.marker(center, { draggable: true, keyboard: false, zIndexOffset: 1000, alt: t("place"),
    icon: L.divIcon({ html: el("span"), className: "pin editing-pin", iconSize: [22, 22], iconAnchor: [11, 22] }) }).addTo(state.map);
  var lon = el("input", { type: "text", id: "imp-lon", inputmode: "decimal", value: center[1].toFixed(6) });
  var lat = el("input", { type: "text", id: "imp-lat", inputmode: "decimal", value: center[0].toFixed(6) });
  pin.on("dragend", function () { var p = pin.getLatLng(); lon.value = p.lng.toFixed(6); lat.value = p.lat.toFixed(6); });
  var item = document.querySelector("#imp-review li[data-line='" + row.line + "']");
  var form = el("div", { className: "coords", id: "imp-place" }, [
    el("p", { className: "help", text: t("place_help") }),
    el("span", {}, [el("label", { for: "imp-lon", text: t("lon") }), lon]),
    el("span", {}, [el("label", { for: "imp-lat", text: t("lat") }), lat]),
    el("button", { type: "button", id: "imp-keep", text: t("keep"), onclick: function () {
      decide(row.line, { action: "place", lon: Number(lon.value.replace(",", ".")), lat: Number(lat.value.replace(",", ".")) });
    } })]);
  var old = $("imp-place");
  if (old) old.remove();
  if (item) item.appendChild(form);
  whenIdle(function () { state.map.setView(center, Math.max(state.map.getZoom(), 16)); });
  lon.focus();
}

function onMapClick(event) {
  if (!placing || !pin) return;
  pin.setLatLng(event.latlng);
  if ($("imp-lon")) { $("imp-lon").value = event.latlng.lng.toFixed(6); $("imp-lat").value = event.latlng.lat.toFixed(6); }
}

async function decide(line, body) {
  var answer = await send("POST", "api/imports/" + encodeURIComponent(current.id) + "/rows/" + line, body);
  if (!answer.ok) { status(t("failed") + problemText(answer)); var out = $("imp-summary"); if (out) out.textContent = t("failed") + problemText(answer); return; }
  show(answer);
}

async function applyImport() {
  var answer = await send("POST", "api/imports/" + encodeURIComponent(current.id) + "/apply");
  if (!answer.ok) { $("imp-summary").textContent = t("failed") + problemText(answer); return; }
  var b = answer.body;
  clearMap();
  current.status = "applied";
  await reloadLayer(current.layer);
  var refreshed = await send("GET", "api/imports/" + encodeURIComponent(current.id));
  if (refreshed.ok) show(refreshed);
  var done = el("p", { id: "imp-applied", role: "status", text: t("applied") + b.inserted + t("added") + b.updated + t("updated") + b.unchanged + t("unchanged") +
    (b.review ? ". " + t("left") + b.review : "") });
  $("editor-work").insertBefore(done, $("editor-work").children[1]);
}

export function start() {
  if (!$("imports")) render();
  state.map.on("click", onMapClick);
  document.body.setAttribute("data-imports", "ready");
}
