/* The staff box, loaded with import() only after a staff login (residents never download it):
 * who is signed in, "add a feature", the buttons on feature cards, a feature's history and
 * revert; then the other staff screens (the Fabrique's board and bilan, verify, imports,
 * moderation), each its own module.
 * Every text from the data or the server is written as DOM text, never as HTML. */

import { forgetStaff, itemUrl, problemText } from "../api.js";
import { $, clear, el } from "../dom.js";
import { locale, register, title } from "../i18n.js";
import { addCardHook, reloadLayer, state, status } from "../map.js";
import { closeForm, dropForm, onMapClick, openForm } from "./form.js";
import { may, send, session } from "./session.js";

const t = register({
  fr: {
    signed_in: "Connecté·e : ", logout: "Se déconnecter", layer: "Couche", add: "Ajouter un objet",
    edit: "Modifier", history: "Historique", history_title: "Historique — ", version: "version ",
    by: " par ", changed: "champs : ", revert: "Revenir à cette version",
    reverted: "Version rétablie : nouvelle version ", current: "(version actuelle)",
    close: "Fermer", failed: "Échec : ", op_seed: "import", op_insert: "création",
    op_update: "modification", op_delete: "suppression", op_restore: "restauration",
    op_revert: "retour arrière", position: "position",
  },
  en: {
    signed_in: "Signed in: ", logout: "Log out", layer: "Layer", add: "Add a feature", edit: "Edit",
    history: "History", history_title: "History — ", version: "version ", by: " by ",
    changed: "fields: ", revert: "Revert to this version",
    reverted: "Version restored: new version ", current: "(current version)", close: "Close",
    failed: "Failed: ", op_seed: "import", op_insert: "creation", op_update: "update",
    op_delete: "deletion", op_restore: "restore", op_revert: "revert", position: "position",
  },
});

let started = false;

// -- history and revert --------------------------------------------------------------------

/** A field by its label (« Statut », not « statut »); the position as such. */
function fieldName(layerId, name) {
  if (name === "geometry") return t("position");
  var labels = state.layers[layerId] ? state.layers[layerId].def.labels : {};
  return labels[name] ? title(labels[name]) : name;
}

async function openHistory(layerId, id) {
  var box = clear($("editor-work"));
  dropForm();
  var answer = await send("GET", itemUrl(layerId, id) + "/history");
  var heading = el("h3", { id: "history-heading", tabindex: "-1", text: t("history_title") + id });
  box.appendChild(heading);
  if (!answer.ok) { box.appendChild(el("p", { role: "alert", text: t("failed") + problemText(answer) })); heading.focus(); return; }
  var versions = answer.body.versions || [];
  var newest = versions.length ? versions[0].version : null;
  var list = el("ol", { className: "history", reversed: "" });
  versions.forEach(function (v) {
    var when = new Date(v.date).toLocaleString(locale());
    var item = el("li", {}, [
      el("strong", { text: t("version") + v.version }), " · " + (t("op_" + v.op) || v.op) + " · " + when + t("by") + v.author + " (" + v.role + ")",
      v.changed && v.changed.length ? el("br") : null,
      v.changed && v.changed.length ? t("changed") + v.changed.map(function (name) { return fieldName(layerId, name); }).join(", ") : null,
      v.reason ? el("br") : null, v.reason ? "« " + v.reason + " »" : null]);
    if (v.version === newest) item.appendChild(el("span", { className: "help", text: " " + t("current") }));
    else if (may(layerId, "update") && v.op !== "delete") {
      item.appendChild(el("div", {}, [el("button", { type: "button", className: "secondary",
        "data-version": String(v.version), text: t("revert") + " " + v.version, onclick: function () { revert(layerId, id, v.version, newest); } })]));
    }
    list.appendChild(item);
  });
  box.appendChild(list);
  box.appendChild(el("button", { type: "button", className: "secondary", text: t("close"), onclick: closeForm }));
  heading.focus();
}

async function revert(layerId, id, version, newest) {
  var answer = await send("POST", itemUrl(layerId, id) + "/revert", { version: version }, { "If-Match": '"' + newest + '"' });
  if (!answer.ok) { status(t("failed") + problemText(answer)); await openHistory(layerId, id); return; }
  status(t("reverted") + String(answer.etag || "").replace(/"/g, ""));
  await reloadLayer(layerId);
  await openHistory(layerId, id);
}

// -- buttons on feature cards --------------------------------------------------------------

function cardButtons(layer, props, node) {
  var layerId = layer.def.id;
  if (!may(layerId, "update") || props.id === undefined) return;
  node.appendChild(el("div", { className: "edit-actions" }, [
    el("button", { type: "button", className: "secondary edit-button", text: t("edit"), onclick: async function () {
      state.map.closePopup();
      var answer = await send("GET", itemUrl(layerId, props.id));
      if (!answer.ok) { status(t("failed") + problemText(answer)); return; }
      openForm(layerId, answer.body, answer.etag);
    } }),
    el("button", { type: "button", className: "secondary history-button", text: t("history"), onclick: function () {
      state.map.closePopup();
      openHistory(layerId, props.id);
    } })]));
}

// -- the staff box -------------------------------------------------------------------------

function render() {
  var body = clear($("staff-body"));
  var creatable = state.order.filter(function (id) { return may(id, "create"); });
  body.appendChild(el("p", {}, [t("signed_in"), el("strong", { text: session.me.email }), " (" + session.me.role + ")"]));
  if (creatable.length) {
    var select = el("select", { id: "editor-layer" }, creatable.map(function (id) {
      return el("option", { value: id, text: title(state.layers[id].def.title) });
    }));
    body.appendChild(el("div", { className: "row-form" }, [el("label", { for: "editor-layer", text: t("layer") }),
      el("div", { className: "row" }, [select, el("button", { type: "button", id: "editor-add", text: t("add"),
        onclick: function () { openForm(select.value, null, null); } })])]));
  }
  // the other staff screens load in any order: each has its place, so nothing moves
  ["fabrique", "verify", "moderation", "imports"].forEach(function (part) { body.appendChild(el("div", { id: "slot-" + part })); });
  body.appendChild(el("div", { id: "editor-work", className: "editor" }));
  body.appendChild(el("button", { type: "button", id: "logout", className: "linklike", text: t("logout"), onclick: async function () {
    await send("POST", "api/auth/logout");
    forgetStaff();
    location.reload();
  } }));
}

/** More staff screens, each in its own module: checking imported open data (everyone who
 * may edit), CSV imports, and the moderation queue (moderators and administrators). */
function loadPart(name) {
  import("./" + name + ".js").then(function (part) { part.start(); },
    function () { status(t("failed") + name + ".js"); });
}

/** Show the staff box for the account `me` (called by login.js once logged in). */
export function start(me) {
  session.me = me;
  addCardHook(cardButtons);
  if (!started) { state.map.on("preclick", onMapClick); started = true; }
  render();
  loadPart("fabrique");
  loadPart("verify");
  loadPart("imports");
  if (me.role === "moderator" || me.role === "admin") loadPart("moderation");
  document.body.setAttribute("data-editor", "ready");
}
