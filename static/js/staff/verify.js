/* Checking imported open data (staff; loaded by the editor after login).
 *
 * Features imported from old open data carry verification=a_verifier. An editor verifies
 * one (a new version saying "verifie": who and when go to the history) or, with a role that
 * may delete, discards it with a reason (a soft delete: a later import never brings it
 * back). One by one from a feature's card, or in bulk from the "À vérifier" list, which
 * points out likely duplicates (a close name or the same address within 100 m).
 */

import { itemUrl, problemText } from "../api.js";
import { $, clear, el, fold } from "../dom.js";
import { register, title } from "../i18n.js";
import { addCardHook, reloadLayer, select as selectFeature, state, status } from "../map.js";
import { may, send } from "./session.js";

const t = register({
  fr: {
    title: "À vérifier (données ouvertes)", show: "Afficher les objets à vérifier", none: "Rien à vérifier.",
    count: " objet(s) à vérifier", verify: "Vérifier", discard: "Écarter", reason: "Motif (obligatoire pour écarter)",
    verify_sel: "Vérifier la sélection", discard_sel: "Écarter la sélection", select: "Sélectionner ",
    done: "Fait : ", failed: " ; échecs : ", verified: "Vérifié : ", discarded: "Écarté : ",
    need_reason: "Donnez un motif pour écarter (il reste dans l'historique).", dup: "doublon possible : ",
    near: " à ", verify_reason: "vérifié par un éditeur",
  },
  en: {
    title: "To check (open data)", show: "Show features to check", none: "Nothing to check.",
    count: " feature(s) to check", verify: "Verify", discard: "Discard", reason: "Reason (required to discard)",
    verify_sel: "Verify selected", discard_sel: "Discard selected", select: "Select ",
    done: "Done: ", failed: "; failed: ", verified: "Verified: ", discarded: "Discarded: ",
    need_reason: "Give a reason to discard (it stays in the history).", dup: "possible duplicate: ",
    near: " at ", verify_reason: "verified by an editor",
  },
});

function street(address) {  // "27 bis allée Maurice Sarraut 31300 Toulouse" → "27 allee maurice sarraut"
  return fold(address).replace(/\b(bis|ter|quater)\b/g, " ").replace(/\b\d{5}\b.*$/, "").replace(/\s+/g, " ").trim();
}

function metres(a, b) {
  var lat = (a[1] + b[1]) / 2 * Math.PI / 180;
  var dx = (b[0] - a[0]) * Math.PI / 180 * Math.cos(lat) * 6371000;
  var dy = (b[1] - a[1]) * Math.PI / 180 * 6371000;
  return Math.sqrt(dx * dx + dy * dy);
}

// words that say nothing of which place it is
var COMMON = ("toulouse montpellier metropole coworking fablab association assoc geiq services service " +
  "regie quartier france occitanie ouest grand lieu espace centre interim insertion entreprise").split(" ");

function words(text) {
  return fold(text).split(" ").filter(function (w) { return w.length > 3 && COMMON.indexOf(w) < 0; });
}

function similar(a, b) {
  a = fold(a); b = fold(b);
  if (!a || !b) return false;
  if (a.indexOf(b) >= 0 || b.indexOf(a) >= 0) return true;
  var wa = words(a), wb = words(b);
  var shared = wa.filter(function (w) { return wb.indexOf(w) >= 0; }).length;
  return shared > 0 && shared >= Math.min(wa.length, wb.length) / 2;
}

/** Features of the ESS layers within 100 m with a close name or the same address. */
function duplicates(item) {
  if (!item.leaflet || !item.leaflet.getLatLng) return [];
  var here = item.leaflet.getLatLng(), me2 = [here.lng, here.lat], out = [];
  state.order.forEach(function (id) {
    var layer = state.layers[id];
    if (!layer.def.editable) return;
    layer.features.forEach(function (other) {
      if (other === item || !other.leaflet || !other.leaflet.getLatLng) return;
      var there = other.leaflet.getLatLng(), d = metres(me2, [there.lng, there.lat]);
      if (d > 100) return;
      var sameAddress = item.props.adresse && other.props.adresse && street(item.props.adresse) === street(other.props.adresse);
      if (sameAddress || similar(item.name, other.name)) out.push({ item: other, distance: Math.round(d) });
    });
  });
  return out;
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

function pending() {
  var out = [];
  state.order.forEach(function (id) {
    var layer = state.layers[id];
    if (!layer.def.editable || !may(id, "update")) return;
    layer.features.forEach(function (item) { if (item.props.verification === "a_verifier") out.push(item); });
  });
  return out.sort(function (a, b) { return a.name.localeCompare(b.name); });
}

// -- the list ------------------------------------------------------------------------------

function render() {
  var box = el("section", { id: "verify", className: "moderation", "aria-labelledby": "verify-title" }, [
    el("h3", { id: "verify-title", text: t("title") }),
    el("button", { type: "button", id: "verify-show", className: "secondary", text: t("show"), onclick: showList })]);
  $("slot-verify").appendChild(box);
}

function showList() {
  var items = pending();
  var box = clear($("editor-work"));
  var heading = el("h3", { id: "verify-list-title", tabindex: "-1", text: t("title") + " — " + items.length + t("count") });
  box.appendChild(heading);
  if (!items.length) { box.appendChild(el("p", { text: t("none") })); heading.focus(); return; }
  var list = el("ul", { className: "queue", id: "verify-list" });
  items.forEach(function (item) {
    var layerId = item.layer.def.id;
    var dups = duplicates(item);
    list.appendChild(el("li", { "data-feature": layerId + ":" + item.id }, [
      el("input", { type: "checkbox", value: layerId + ":" + item.id, "aria-label": t("select") + item.name }),
      el("span", { className: "what" }, [el("button", { type: "button", className: "linklike", lang: "fr", text: item.name,
        onclick: function () { selectFeature(item, true); } }),
        " · " + title(item.layer.def.title) + (item.props.millesime ? " · " + item.props.millesime : ""),
        dups.length ? el("span", { className: "dup" }, [el("br"), t("dup") + dups.map(function (d) {
          return d.item.name + t("near") + d.distance + " m";
        }).join(" ; ")]) : null])]));
  });
  box.appendChild(list);
  var reason = el("input", { type: "text", id: "verify-reason", maxlength: "500" });
  var result = el("p", { id: "verify-result", role: "status" });
  var canDelete = items.some(function (item) { return may(item.layer.def.id, "delete"); });
  box.appendChild(el("div", { className: "bulk" }, [
    el("label", { for: "verify-reason", text: t("reason") }), reason,
    el("div", { className: "row" }, [
      el("button", { type: "button", id: "verify-bulk", text: t("verify_sel"), onclick: function () { bulk("verify", reason, result); } }),
      canDelete ? el("button", { type: "button", id: "discard-bulk", className: "secondary", text: t("discard_sel"),
        onclick: function () { bulk("discard", reason, result); } }) : null]),
    result]));
  heading.focus();
}

async function bulk(action, reasonInput, result) {
  var picked = Array.prototype.filter.call(document.querySelectorAll("#verify-list input[type=checkbox]"), function (b) { return b.checked; })
    .map(function (b) { return b.value; });
  if (!picked.length) return;
  var reason = reasonInput.value.trim();
  if (action === "discard" && !reason) { result.textContent = t("need_reason"); reasonInput.focus(); return; }
  var done = 0, failed = [], layers = {};
  for (var i = 0; i < picked.length; i += 1) {
    var cut = picked[i].indexOf(":"), layerId = picked[i].slice(0, cut), id = picked[i].slice(cut + 1);
    var answer = action === "verify" ? await verify(layerId, id, reason) : await discard(layerId, id, reason);
    if (answer.ok) { done += 1; layers[layerId] = true; } else failed.push(id + " (" + problemText(answer) + ")");
  }
  for (var layerId2 in layers) await reloadLayer(layerId2);
  showList();
  $("verify-result") && ($("verify-result").textContent = "");
  var again = el("p", { id: "verify-outcome", role: "status", text: t("done") + done + (failed.length ? t("failed") + failed.join(", ") : "") });
  $("editor-work").insertBefore(again, $("editor-work").children[1]);
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
  var dups = [];
  var item = state.layers[layerId] && state.layers[layerId].byId[String(props.id)];
  if (item) dups = duplicates(item);
  node.appendChild(el("div", { className: "verify-actions" }, [
    dups.length ? el("p", { className: "dup", text: t("dup") + dups.map(function (d) { return d.item.name + t("near") + d.distance + " m"; }).join(" ; ") }) : null,
    el("label", { for: reason.id, text: t("reason") }), reason,
    el("div", { className: "edit-actions" }, buttons), out]));
}

export function start() {
  addCardHook(cardButtons);
  if (!$("verify")) render();
  document.body.setAttribute("data-verify", "ready");
}
