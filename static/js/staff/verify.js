/* Checking imported open data (staff; loaded by the editor after login).
 *
 * Features imported from old open data carry verification=a_verifier. An editor verifies
 * one (a new version saying "verifie": who and when go to the history) or, with a role that
 * may delete, discards it with a reason (a soft delete: a later import never brings it
 * back). One by one from a feature's card, or many at once from the "À vérifier" list
 * (GET /api/verification), filtered by layer, commune and source, each row with its
 * evidence (source, year, likely duplicates by the server's one rule); the batch is one
 * POST /api/verification, one transaction, in each feature's history.
 */

import { itemUrl, problemText } from "../api.js";
import { $, clear, el } from "../dom.js";
import { findDuplicates } from "../duplicates.js";
import { locale, register, title } from "../i18n.js";
import { addCardHook, reloadLayer, select as selectFeature, state, status } from "../map.js";
import { may, send } from "./session.js";

const t = register({
  fr: {
    title: "À vérifier (données ouvertes)", show: "Afficher les objets à vérifier", none: "Rien à vérifier.",
    count: " objet(s) à vérifier", verify: "Vérifier", discard: "Écarter", reason: "Motif (obligatoire pour écarter)",
    verify_sel: "Vérifier la sélection", discard_sel: "Écarter la sélection", select: "Sélectionner ",
    done: "Fait : ", failed: "Échec : ", verified: "Vérifié : ", discarded: "Écarté : ",
    need_reason: "Donnez un motif pour écarter (il reste dans l'historique).", dup: "doublon possible : ",
    near: " à ", verify_reason: "vérifié par un éditeur", filters: "Filtrer la liste",
    layer: "Couche", commune: "Commune", source: "Source", all: "Toutes", apply: "Filtrer",
    evidence_source: "Source : ", year: "millésime ", all_page: "Tout sélectionner sur cette page",
    more: "Page suivante", shown: " affiché(s) sur ", merge: "Fusionner dans ", merged: "Fusionné dans ",
  },
  en: {
    title: "To check (open data)", show: "Show features to check", none: "Nothing to check.",
    count: " feature(s) to check", verify: "Verify", discard: "Discard", reason: "Reason (required to discard)",
    verify_sel: "Verify selected", discard_sel: "Discard selected", select: "Select ",
    done: "Done: ", failed: "Failed: ", verified: "Verified: ", discarded: "Discarded: ",
    need_reason: "Give a reason to discard (it stays in the history).", dup: "possible duplicate: ",
    near: " at ", verify_reason: "verified by an editor", filters: "Filter the list",
    layer: "Layer", commune: "Commune", source: "Source", all: "All", apply: "Filter",
    evidence_source: "Source: ", year: "vintage ", all_page: "Select all on this page",
    more: "Next page", shown: " shown of ", merge: "Merge into ", merged: "Merged into ",
  },
});

var PAGE = 100;
var filters = { layer: "", commune: "", source: "", offset: 0 };

function candidatesText(candidates) {
  return t("dup") + candidates.map(function (c) {
    return (c.nom || c.id) + (c.distance_m === null || c.distance_m === undefined ? "" : t("near") + c.distance_m + " m") + " (" + c.raison + ")";
  }).join(" ; ");
}

async function verify(layerId, id, reason) {
  var current = await send("GET", itemUrl(layerId, id));
  if (!current.ok) return current;
  return send("PATCH", itemUrl(layerId, id), { properties: { verification: "verifie" } }, {
    "Content-Type": "application/merge-patch+json", "If-Match": current.etag,
    "Geoservice-Reason": encodeURIComponent(reason || t("verify_reason")) });
}

async function discard(layerId, id, reason) {
  var current = await send("GET", itemUrl(layerId, id));
  if (!current.ok) return current;
  return send("DELETE", itemUrl(layerId, id), undefined, {
    "If-Match": current.etag, "Geoservice-Reason": encodeURIComponent(reason) });
}

// -- the list ------------------------------------------------------------------------------

function render() {
  var box = el("section", { id: "verify", className: "moderation", "aria-labelledby": "verify-title" }, [
    el("h3", { id: "verify-title", text: t("title") }),
    el("button", { type: "button", id: "verify-show", className: "secondary", text: t("show"), onclick: function () { filters.offset = 0; showList(); } })]);
  $("slot-verify").appendChild(box);
}

function choice(id, label, values, current) {
  var select = el("select", { id: id }, [el("option", { value: "", text: t("all") })].concat(values.map(function (v) {
    return el("option", { value: v[0], text: v[1], selected: v[0] === current ? "" : null });
  })));
  return [el("label", { for: id, text: label }), select];
}

function filterForm(facets) {
  var layers = Object.keys(facets.layer).map(function (id) {
    var layer = state.layers[id];
    return [id, (layer ? title(layer.def.title) : id) + " (" + facets.layer[id] + ")"];
  });
  var communes = facets.commune.map(function (c) { return [c.code, (c.nom || c.code) + " (" + c.count + ")"]; });
  var sources = Object.keys(facets.source).map(function (s) { return [s, s + " (" + facets.source[s] + ")"]; });
  var form = el("form", { id: "verify-filters", className: "row-form", "aria-label": t("filters") },
    choice("verify-layer", t("layer"), layers, filters.layer)
      .concat(choice("verify-commune", t("commune"), communes, filters.commune))
      .concat(choice("verify-source", t("source"), sources, filters.source))
      .concat([el("button", { type: "submit", className: "secondary", text: t("apply") })]));
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    filters = { layer: $("verify-layer").value, commune: $("verify-commune").value, source: $("verify-source").value, offset: 0 };
    showList();
  });
  return form;
}

async function showList(outcome) {
  var query = new URLSearchParams({ limit: String(PAGE), offset: String(filters.offset) });
  ["layer", "commune", "source"].forEach(function (k) { if (filters[k]) query.set(k, filters[k]); });
  var answer = await send("GET", "api/verification?" + query.toString());
  var box = clear($("editor-work"));
  if (!answer.ok) { box.appendChild(el("p", { role: "alert", text: t("failed") + problemText(answer) })); return; }
  var data = answer.body, items = data.items;
  var heading = el("h3", { id: "verify-list-title", tabindex: "-1", text: t("title") + " — " + data.numberMatched + t("count") });
  box.appendChild(heading);
  if (outcome) box.appendChild(outcome);
  box.appendChild(filterForm(data.facets));
  if (!items.length) { box.appendChild(el("p", { text: t("none") })); heading.focus(); return; }
  var list = el("ul", { className: "queue", id: "verify-list" });
  items.forEach(function (item) {
    var layer = state.layers[item.collection];
    var onMap = layer && layer.byId[String(item.id)];
    var name = item.nom || item.id;
    list.appendChild(el("li", { "data-feature": item.collection + ":" + item.id, "data-version": String(item.version) }, [
      el("input", { type: "checkbox", value: item.collection + ":" + item.id, "aria-label": t("select") + name }),
      el("span", { className: "what" }, [
        onMap ? el("button", { type: "button", className: "linklike", lang: "fr", text: name, onclick: function () { selectFeature(onMap, true); } })
          : el("span", { lang: "fr", text: name }),
        " · " + (layer ? title(layer.def.title) : item.collection) + (item.commune_nom ? " · " + item.commune_nom : ""),
        el("br"), el("span", { className: "help", lang: "fr", text: t("evidence_source") + item.source + (item.millesime ? " · " + t("year") + item.millesime : "") }),
        item.candidates.length ? el("span", { className: "dup" }, [el("br"), candidatesText(item.candidates)]) : null,
        mergeButtons(item)])]));
  });
  var all = el("input", { type: "checkbox", id: "verify-all" });
  all.addEventListener("change", function () {
    Array.prototype.forEach.call(list.querySelectorAll("input[type=checkbox]"), function (b) { b.checked = all.checked; });
  });
  box.appendChild(el("p", {}, [all, el("label", { for: "verify-all", text: " " + t("all_page") })]));
  box.appendChild(list);
  if (data.numberMatched > filters.offset + items.length) {
    box.appendChild(el("p", { className: "help", text: items.length + t("shown") + data.numberMatched.toLocaleString(locale()) }));
    box.appendChild(el("button", { type: "button", className: "secondary", id: "verify-more", text: t("more"),
      onclick: function () { filters.offset += PAGE; showList(); } }));
  }
  var reason = el("input", { type: "text", id: "verify-reason", maxlength: "500" });
  var result = el("p", { id: "verify-result", role: "status" });
  var canDelete = items.some(function (item) { return may(item.collection, "delete"); });
  box.appendChild(el("div", { className: "bulk" }, [
    el("label", { for: "verify-reason", text: t("reason") }), reason,
    el("div", { className: "row" }, [
      el("button", { type: "button", id: "verify-bulk", text: t("verify_sel"), onclick: function () { bulk("verify", reason, result); } }),
      canDelete ? el("button", { type: "button", id: "discard-bulk", className: "secondary", text: t("discard_sel"),
        onclick: function () { bulk("discard", reason, result); } }) : null]),
    result]));
  heading.focus();
}

/** Moderators: « Fusionner dans X » for each likely duplicate in the same layer (the row's
 * feature is merged into X: POST …/merge, X keeps its properties; the merged id then
 * redirects to X). */
function mergeButtons(item) {
  if (!may(item.collection, "delete")) return null;
  var same = item.candidates.filter(function (c) { return c.collection === item.collection; });
  if (!same.length) return null;
  return el("span", { className: "edit-actions" }, same.map(function (c) {
    return el("button", { type: "button", className: "secondary merge-button", "data-into": String(c.id),
      text: t("merge") + (c.nom || c.id), onclick: async function () {
        var into = await send("GET", itemUrl(c.collection, c.id));
        var answer = into.ok ? await send("POST", itemUrl(item.collection, item.id) + "/merge",
          { into: String(c.id), properties: {} }, { "If-Match": into.etag }) : into;
        if (!answer.ok) { $("verify-result").textContent = t("failed") + problemText(answer); return; }
        await reloadLayer(item.collection);
        await showList(el("p", { id: "verify-outcome", role: "status", text: t("merged") + (c.nom || c.id) }));
      } });
  }));
}

/** One POST /api/verification for every ticked row: all or nothing, one reason. */
async function bulk(action, reasonInput, result) {
  var picked = Array.prototype.filter.call(document.querySelectorAll("#verify-list input[type=checkbox]"), function (b) { return b.checked; })
    .map(function (b) {
      var row = b.closest("li"), value = b.value, cut = value.indexOf(":");
      return { collection: value.slice(0, cut), id: value.slice(cut + 1), version: Number(row.getAttribute("data-version")) };
    });
  if (!picked.length) return;
  var reason = reasonInput.value.trim();
  if (action === "discard" && !reason) { result.textContent = t("need_reason"); reasonInput.focus(); return; }
  var answer = await send("POST", "api/verification", { action: action, reason: reason || undefined, items: picked });
  if (!answer.ok) { result.textContent = t("failed") + problemText(answer); return; }
  var layers = {};
  picked.forEach(function (p) { layers[p.collection] = true; });
  for (var layerId in layers) await reloadLayer(layerId);
  await showList(el("p", { id: "verify-outcome", role: "status", text: t("done") + answer.body.count }));
}

// -- a feature's card ----------------------------------------------------------------------

function cardButtons(layer, props, node) {
  var layerId = layer.def.id;
  if (props.verification !== "a_verifier" || !may(layerId, "update") || props.id === undefined) return;
  var reason = el("input", { type: "text", maxlength: "500", id: "card-reason-" + props.id, "aria-label": t("reason") });
  var out = el("p", { role: "status", className: "help" });
  var buttons = [el("button", { type: "button", className: "verify-button", text: t("verify"), onclick: async function () {
    var answer = await verify(layerId, props.id, reason.value.trim());
    if (!answer.ok) { out.textContent = problemText(answer); return; }
    // said in the page's status line: the card is drawn again from the reloaded layer
    status(t("verified") + (props.nom || props.id));
    var l = await reloadLayer(layerId);
    if (l.byId[props.id]) selectFeature(l.byId[props.id], false);
  } })];
  if (may(layerId, "delete")) {
    buttons.push(el("button", { type: "button", className: "secondary discard-button", text: t("discard"), onclick: async function () {
      if (!reason.value.trim()) { out.textContent = t("need_reason"); reason.focus(); return; }
      var answer = await discard(layerId, props.id, reason.value.trim());
      if (!answer.ok) { out.textContent = problemText(answer); return; }
      status(t("discarded") + (props.nom || props.id));
      await reloadLayer(layerId);
    } }));
  }
  var dup = el("p", { className: "dup" });
  var item = state.layers[layerId] && state.layers[layerId].byId[String(props.id)];
  var here = item && item.leaflet && item.leaflet.getLatLng ? item.leaflet.getLatLng() : null;
  findDuplicates(layerId, props, here ? [here.lng, here.lat] : null).then(function (found) {
    found = found.filter(function (c) { return !(c.collection === layerId && String(c.id) === String(props.id)); });
    if (found.length) dup.textContent = candidatesText(found);
  });
  node.appendChild(el("div", { className: "verify-actions" }, [dup,
    el("label", { for: reason.id, text: t("reason") }), reason,
    el("div", { className: "edit-actions" }, buttons), out]));
}

export function start() {
  addCardHook(cardButtons);
  if (!$("verify")) render();
  document.body.setAttribute("data-verify", "ready");
}
