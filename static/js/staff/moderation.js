/* The moderation screen (moderators and administrators; loaded by the editor after login).
 *
 * The queue of residents' proposals and problem reports; for each, the published and the
 * proposed versions side by side (changed fields marked), both points on a small map,
 * likely duplicates; accept, edit-then-accept, reject with a message; bulk actions.
 * Every text from proposals is written as DOM text, never as HTML.
 */

import { problemText } from "../api.js";
import { $, clear, el } from "../dom.js";
import { locale, register, title } from "../i18n.js";
import { valueLabel } from "../labels.js";
import { placeName, reloadLayer, state, status } from "../map.js";
import { openForm } from "./form.js";
import { send } from "./session.js";

const t = register({
  fr: {
    title: "Modération", status: "État", layer: "Couche", kind: "Sorte", all: "Toutes", show: "Afficher la file",
    pending: "En attente", accepted: "Acceptées", rejected: "Refusées",
    k_new: "Nouvel objet", k_correction: "Correction", k_report: "Signalement",
    empty: "Aucune proposition.", count: " proposition(s)", of: " de ", next: "Page suivante", prev: "Page précédente", review: "Examiner", select: "Sélectionner ",
    bulk_accept: "Accepter la sélection", bulk_reject: "Refuser la sélection", bulk_message: "Message aux proposants (refus)",
    bulk_done: "Traitées : ", bulk_failed: " ; non traitées : ",
    field: "Champ", published: "Version publiée", proposed: "Proposition", changed: "modifié",
    position: "Position", note: "Message du proposant : ", contact: "Contact (modérateurs seulement) : ",
    qpv: "QPV : ", commune: "Commune", yes: "oui", no: "non", unnamed: "Proposition sans nom", unknown_place: "Lieu retiré de la carte",
    problem: "Problème signalé : ", duplicates: "Doublons possibles", none: "—",
    accept: "Accepter", edit_accept: "Modifier puis accepter", reject: "Refuser", message: "Message au proposant (obligatoire pour refuser)",
    accepted_ok: "Proposition acceptée et publiée.", report_ok: "Signalement traité.", rejected_ok: "Proposition refusée.",
    changed_since: "L'objet a changé depuis la proposition : comparez avec la version publiée actuelle (version ",
    conflict: "L'objet a changé depuis la proposition (version actuelle ", conflict_end: "). Relisez la comparaison, puis acceptez sur la version actuelle.",
    accept_current: "Accepter sur la version actuelle", back: "Retour à la file", failed: "Échec : ",
    edit_title: "Modifier puis accepter — ", decided: "Décision : ", map: "Carte : gris = publié, violet = proposé",
  },
  en: {
    title: "Moderation", status: "Status", layer: "Layer", kind: "Kind", all: "All", show: "Show the queue",
    pending: "Pending", accepted: "Accepted", rejected: "Rejected",
    k_new: "New feature", k_correction: "Correction", k_report: "Problem report",
    empty: "No proposal.", count: " proposal(s)", of: " of ", next: "Next page", prev: "Previous page", review: "Review", select: "Select ",
    bulk_accept: "Accept selected", bulk_reject: "Reject selected", bulk_message: "Message to the proposers (rejection)",
    bulk_done: "Done: ", bulk_failed: "; not done: ",
    field: "Field", published: "Published version", proposed: "Proposal", changed: "changed",
    position: "Position", note: "Proposer's message: ", contact: "Contact (moderators only): ",
    qpv: "QPV: ", commune: "Commune", yes: "yes", no: "no", unnamed: "Proposal without a name", unknown_place: "Place removed from the map",
    problem: "Problem reported: ", duplicates: "Possible duplicates", none: "—",
    accept: "Accept", edit_accept: "Edit then accept", reject: "Reject", message: "Message to the proposer (required to reject)",
    accepted_ok: "Proposal accepted and published.", report_ok: "Report handled.", rejected_ok: "Proposal rejected.",
    changed_since: "The feature changed since the proposal: compare with the current published version (version ",
    conflict: "The feature changed since the proposal (current version ", conflict_end: "). Review the comparison, then accept on the current version.",
    accept_current: "Accept on the current version", back: "Back to the queue", failed: "Failed: ",
    edit_title: "Edit then accept — ", decided: "Decision: ", map: "Map: grey = published, purple = proposed",
  },
});
var CODED = { type: 1, statut: 1, precision: 1, signale_par: 1, verification: 1, etape: 1, territoire: 1 };  // coded values get their label
var filters = {}, miniMap = null;

function layerTitle(id) { return state.layers[id] ? title(state.layers[id].def.title) : id; }

function label(layerId, name) {
  if (name === "commune") return t("commune");  // said by its name, not its INSEE code
  var layer = state.layers[layerId];
  return layer && layer.def.labels[name] ? title(layer.def.labels[name]) : name;
}

function shown(name, value) {
  if (value === null || value === undefined || value === "") return t("none");
  if (Array.isArray(value)) return value.map(function (v) { return valueLabel(name, v); }).join(", ");
  if (name === "geometry") return value.coordinates ? value.coordinates.map(function (c) { return Number(c).toFixed(5); }).join(", ") : t("none");
  if (typeof value === "boolean") return value ? t("yes") : t("no");
  if (name === "commune" || name === "qpv") return placeName(name, value);
  return CODED[name] ? valueLabel(name, value) : String(value);
}

/** What a proposal is about, in words: its name, the name of the place it corrects or
 * reports (never its id), or « sans nom ». */
function proposalName(p) {
  var props = (p.feature && p.feature.properties) || {};
  if (props.nom && String(props.nom).trim()) return props.nom;
  var layer = p.target && state.layers[p.collection];
  var item = layer && Object.prototype.hasOwnProperty.call(layer.byId, String(p.target)) ? layer.byId[String(p.target)] : null;
  if (item) return item.name;
  return p.target ? t("unknown_place") : t("unnamed");
}

function work() { if (miniMap) { miniMap.remove(); miniMap = null; } return clear($("editor-work")); }

// -- the queue -----------------------------------------------------------------------------

function select(id, options) {
  return el("select", { id: id }, options.map(function (o) { return el("option", { value: o[0], text: o[1] }); }));
}

function render() {
  var layers = state.order.filter(function (id) { return state.layers[id].def.editable; });
  filters.status = select("mod-status", [["pending", t("pending")], ["accepted", t("accepted")], ["rejected", t("rejected")], ["all", t("all")]]);
  filters.layer = select("mod-layer", [["", t("all")]].concat(layers.map(function (id) { return [id, layerTitle(id)]; })));
  filters.kind = select("mod-kind", [["", t("all")], ["new", t("k_new")], ["correction", t("k_correction")], ["report", t("k_report")]]);
  var box = el("section", { id: "moderation", className: "moderation", "aria-labelledby": "moderation-title" }, [
    el("h3", { id: "moderation-title", text: t("title") }),
    el("div", { className: "filters" }, [
      el("span", {}, [el("label", { for: "mod-status", text: t("status") }), filters.status]),
      el("span", {}, [el("label", { for: "mod-layer", text: t("layer") }), filters.layer]),
      el("span", {}, [el("label", { for: "mod-kind", text: t("kind") }), filters.kind])]),
    el("button", { type: "button", id: "mod-show", text: t("show"), onclick: function () { loadQueue(); } })]);
  $("slot-moderation").appendChild(box);
}

// The queue comes by pages (numberMatched in all): "N–M de T" and the next/prev links.
function pager(answer, box) {
  var row = el("div", { className: "row pager" });
  (answer.body.links || []).forEach(function (lk) {
    if (lk.rel !== "next" && lk.rel !== "prev") return;
    var offset = Number(new URL(lk.href, location.href).searchParams.get("offset")) || 0;
    row.appendChild(el("button", { type: "button", id: "mod-" + lk.rel, className: "secondary", text: t(lk.rel),
      onclick: function () { loadQueue(offset); } }));
  });
  if (row.childNodes.length) box.appendChild(row);
}

async function loadQueue(offset) {
  offset = offset || 0;
  var query = "status=" + encodeURIComponent(filters.status.value);
  if (offset) query += "&offset=" + offset;
  if (filters.layer.value) query += "&collection=" + encodeURIComponent(filters.layer.value);
  if (filters.kind.value) query += "&kind=" + encodeURIComponent(filters.kind.value);
  var answer = await send("GET", "api/proposals?" + query);
  var box = work();
  var heading = el("h3", { id: "mod-queue-title", tabindex: "-1", text: t("title") });
  box.appendChild(heading);
  if (!answer.ok) { box.appendChild(el("p", { role: "alert", text: t("failed") + problemText(answer) })); heading.focus(); return; }
  var items = answer.body.proposals || [];
  var matched = answer.body.numberMatched === undefined ? items.length : answer.body.numberMatched;
  heading.textContent = t("title") + " — " + (items.length < matched ?
    (offset + 1) + "–" + (offset + items.length) + t("of") + matched : items.length) + t("count");
  if (!items.length) { box.appendChild(el("p", { text: t("empty") })); pager(answer, box); heading.focus(); return; }
  var list = el("ul", { className: "queue", id: "mod-queue" });
  items.forEach(function (p) {
    var id = "mod-pick-" + p.id;
    var pending = p.status === "pending";
    list.appendChild(el("li", { "data-proposal": p.id }, [
      pending ? el("input", { type: "checkbox", id: id, value: p.id, "aria-label": t("select") + proposalName(p) }) : null,
      el("span", { className: "what" }, [el("strong", { lang: "fr", text: proposalName(p) }),
        " · " + t("k_" + p.kind) + " · " + layerTitle(p.collection) + (p.qpv ? " · " + placeName("qpv", p.qpv) : "") +
        " · " + new Date(p.created_at).toLocaleDateString(locale()) +
        (pending ? "" : " · " + t(p.status))]),
      el("button", { type: "button", className: "secondary", text: t("review"), "aria-label": t("review") + " : " + proposalName(p),
        onclick: function () { openReview(p.id); } })]));
  });
  box.appendChild(list);
  pager(answer, box);
  var message = el("textarea", { id: "mod-bulk-message", rows: "2", maxlength: "2000" });
  var result = el("p", { id: "mod-bulk-result", role: "status" });
  box.appendChild(el("div", { className: "bulk" }, [
    el("label", { for: "mod-bulk-message", text: t("bulk_message") }), message,
    el("div", { className: "row" }, [
      el("button", { type: "button", id: "mod-bulk-accept", text: t("bulk_accept"), onclick: function () { bulk("accept", message.value, result); } }),
      el("button", { type: "button", id: "mod-bulk-reject", className: "secondary", text: t("bulk_reject"), onclick: function () { bulk("reject", message.value, result); } })]),
    result]));
  heading.focus();
}

async function bulk(action, message, result) {
  var ids = Array.prototype.filter.call(document.querySelectorAll("#mod-queue input[type=checkbox]"), function (b) { return b.checked; })
    .map(function (b) { return b.value; });
  if (!ids.length) return;
  var answer = await send("POST", "api/proposals/bulk", { action: action, ids: ids, message: message.trim() || null });
  if (!answer.ok) { result.textContent = t("failed") + problemText(answer); return; }
  var done = answer.body.results.filter(function (r) { return r.status === 200; });
  var failed = answer.body.results.filter(function (r) { return r.status !== 200; });
  await reloadTouched();
  await loadQueue();
  var again = $("mod-bulk-result");
  if (again) {
    again.textContent = t("bulk_done") + done.length + (failed.length ? t("bulk_failed") + failed.map(function (r) { return r.id + " (" + r.detail + ")"; }).join(", ") : "");
  }
}

async function reloadTouched() {
  var layers = state.order.filter(function (id) { return state.layers[id].def.editable; });
  for (var i = 0; i < layers.length; i += 1) await reloadLayer(layers[i]);
}

// -- one proposal --------------------------------------------------------------------------

async function openReview(id, notice) {
  var answer = await send("GET", "api/proposals/" + encodeURIComponent(id));
  var box = work();
  var heading = el("h3", { id: "mod-review-title", tabindex: "-1" });
  box.appendChild(heading);
  if (!answer.ok) { box.appendChild(el("p", { role: "alert", text: t("failed") + problemText(answer) })); heading.focus(); return; }
  var p = answer.body, review = p.review || {};
  heading.textContent = t("k_" + p.kind) + " — " + layerTitle(p.collection) + " — " + proposalName(p);
  var alert = el("div", { className: "errors", id: "mod-alert", role: "alert", tabindex: "-1" });
  box.appendChild(alert);
  if (notice) alert.appendChild(el("p", { text: notice }));
  if (p.problem_label) box.appendChild(el("p", {}, [t("problem"), el("strong", { lang: "fr", text: p.problem_label })]));
  if (p.note) box.appendChild(el("p", {}, [t("note"), el("span", { lang: "fr", className: "proposal-note", text: p.note })]));
  if (p.contact) box.appendChild(el("p", {}, [t("contact"), el("span", { text: p.contact })]));
  if (p.qpv) box.appendChild(el("p", { text: t("qpv") + placeName("qpv", p.qpv) }));
  if (review.current && review.current.changed_since) {
    box.appendChild(el("p", { className: "help", text: t("changed_since") + review.current.version + ")." }));
  }
  if (p.status !== "pending") box.appendChild(el("p", { text: t("decided") + t(p.status) + (p.message ? " — " + p.message : "") }));
  box.appendChild(comparison(p, review));
  var mapBox = el("div", { id: "mod-map", className: "mini-map", role: "img", "aria-label": t("map") });
  box.appendChild(mapBox);
  box.appendChild(el("p", { className: "help", text: t("map") }));
  if ((review.duplicates || []).length) {
    var dl = el("ul", { id: "mod-duplicates" });
    review.duplicates.forEach(function (d) {
      dl.appendChild(el("li", {}, [el("span", { lang: "fr", text: d.nom || d.id }), " — " + d.why.join(", ")]));
    });
    box.appendChild(el("h4", { text: t("duplicates") }));
    box.appendChild(dl);
  }
  if (p.status === "pending") box.appendChild(actions(p, review));
  box.appendChild(el("button", { type: "button", className: "linklike", text: t("back"), onclick: function () { loadQueue(); } }));
  drawMiniMap(mapBox, review);
  (notice ? alert : heading).focus();
}

function comparison(p, review) {
  var current = review.current ? review.current.feature : null;
  var proposed = review.proposed;
  var names = [];
  [current, proposed].forEach(function (f) {
    Object.keys((f && f.properties) || {}).forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
  });
  var changed = review.changed || [];
  var table = el("table", { className: "conflict", id: "mod-compare" }, [
    el("caption", { text: t("published") + " / " + t("proposed") }),
    el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: t("field") }), el("th", { scope: "col", text: t("published") }),
      el("th", { scope: "col", text: t("proposed") })])])]);
  var body = el("tbody");
  ["geometry"].concat(names).forEach(function (name) {
    var differs = changed.indexOf(name) >= 0;
    var a = name === "geometry" ? current && current.geometry : current && current.properties[name];
    var b = name === "geometry" ? proposed && proposed.geometry : proposed && proposed.properties[name];
    if (!differs && (a === undefined || a === null) && (b === undefined || b === null)) return;
    body.appendChild(el("tr", { className: differs ? "differs" : "" }, [
      el("th", { scope: "row" }, [name === "geometry" ? t("position") : label(p.collection, name),
        differs ? el("span", { className: "badge", text: " (" + t("changed") + ")" }) : null]),
      el("td", { lang: "fr", text: current ? shown(name, a) : t("none") }),
      el("td", { lang: "fr", text: proposed ? shown(name, b) : t("none") })]));
  });
  table.appendChild(body);
  return table;
}

function drawMiniMap(node, review) {
  var points = [];
  var current = review.current && review.current.feature && review.current.feature.geometry;
  var proposed = review.proposed && review.proposed.geometry;
  if (current && current.type === "Point") points.push([current.coordinates, "#7b7d7d"]);
  if (proposed && proposed.type === "Point") points.push([proposed.coordinates, "#7d3c98"]);
  if (!points.length) { node.hidden = true; return; }
  miniMap = L.map(node, { zoomControl: false, attributionControl: false, keyboard: false, dragging: true, scrollWheelZoom: false });
  var config = state.config;
  if (config.tiles && document.body.getAttribute("data-tiles") !== "off") L.tileLayer(config.tiles.url, { maxZoom: 19 }).addTo(miniMap);
  var bounds = [];
  points.forEach(function (pt) {
    var ll = [pt[0][1], pt[0][0]];
    bounds.push(ll);
    L.circleMarker(ll, { radius: 8, color: pt[1], fillColor: pt[1], fillOpacity: 0.8, interactive: false }).addTo(miniMap);
  });
  if (bounds.length === 1) miniMap.setView(bounds[0], 16);
  else miniMap.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
}

function actions(p, review) {
  var message = el("textarea", { id: "mod-message", rows: "2", maxlength: "2000" });
  var box = el("div", { className: "mod-actions" }, [
    el("label", { for: "mod-message", text: t("message") }), message,
    el("div", { className: "row" }, [
      el("button", { type: "button", id: "mod-accept", text: t("accept"), onclick: function () { accept(p, {}, message.value); } }),
      p.kind !== "report" ? el("button", { type: "button", id: "mod-edit", className: "secondary", text: t("edit_accept"),
        onclick: function () { editThenAccept(p, review); } }) : null,
      el("button", { type: "button", id: "mod-reject", className: "secondary", text: t("reject"), onclick: function () { reject(p, message.value); } })])]);
  return box;
}

async function accept(p, extra, message) {
  var body = Object.assign({}, extra);
  if (message && message.trim()) body.message = message.trim();
  var answer = await send("POST", "api/proposals/" + encodeURIComponent(p.id) + "/accept", body);
  return afterAccept(p, answer);
}

async function afterAccept(p, answer) {
  if (answer.ok) {
    status(p.kind === "report" ? t("report_ok") : t("accepted_ok"));
    await reloadLayer(p.collection);
    await openReview(p.id, p.kind === "report" ? t("report_ok") : t("accepted_ok"));
    return answer;
  }
  if (answer.status === 412 && answer.body) {
    var version = answer.body.currentVersion;
    await openReview(p.id, t("conflict") + version + t("conflict_end"));
    var row = document.querySelector(".mod-actions .row");
    if (row) row.insertBefore(el("button", { type: "button", id: "mod-accept-current", text: t("accept_current") + " (" + version + ")",
      onclick: function () { accept(p, { version: version }); } }), row.firstChild);
    return answer;
  }
  if (answer.status !== 422) {
    var alert = $("mod-alert");
    if (alert) { clear(alert).appendChild(el("p", { text: t("failed") + problemText(answer) })); alert.focus(); }
  }
  return answer;
}

async function reject(p, message) {
  var answer = await send("POST", "api/proposals/" + encodeURIComponent(p.id) + "/reject", { message: message.trim() });
  if (answer.ok) { status(t("rejected_ok")); await openReview(p.id, t("rejected_ok")); return; }
  var alert = $("mod-alert");
  clear(alert).appendChild(el("p", { text: t("failed") + problemText(answer) }));
  alert.focus();
  var box = $("mod-message");
  if (box) box.setAttribute("aria-invalid", "true");
}

function editThenAccept(p, review) {
  var feature = review.proposed;
  var version = review.current ? review.current.version : undefined;
  if (miniMap) { miniMap.remove(); miniMap = null; }
  openForm(p.collection, { type: "Feature", id: p.target || undefined, geometry: feature.geometry, properties: feature.properties }, null, {
    title: t("edit_title") + proposalName(p),
    onSubmit: function (edited) {
      var extra = { feature: edited };
      if (version !== undefined) extra.version = version;
      return accept(p, extra);
    } });
}

export function start() {
  if (!$("moderation")) render();
  document.body.setAttribute("data-moderation", "ready");
}
