/* The Fabrique à initiatives' staff screens (loaded by the editor after login): the entry
 * buttons in the staff box, and the full-page view the « Suivi des besoins » board
 * (js/staff/board.js) and the « Bilan annuel » (js/staff/bilan.js) open in, over the map.
 * Each screen is its own module, loaded with import() when first opened. */

import { $, clear, el } from "../dom.js";
import { register } from "../i18n.js";
import { state, status } from "../map.js";
import { may } from "./session.js";

const t = register({
  fr: {
    title: "Fabrique à initiatives", board: "Suivi des besoins", bilan: "Bilan annuel",
    back: "Retour à la carte", failed: "Chargement impossible : ",
    help: "Suivre chaque besoin de son repérage à l'activité lancée ; les chiffres de l'année.",
  },
  en: {
    title: "Fabrique à initiatives", board: "Needs follow-up", bilan: "Yearly report",
    back: "Back to the map", failed: "Loading failed: ",
    help: "Follow each need from when it is spotted to the activity started; the year's figures.",
  },
});

var opener = null, current = null;  // the button that opened the view; the screen shown

/** The full-page view (created once): a heading, a way back, and `#fabrique-body`. */
function view(heading) {
  var box = $("fabrique");
  if (!box) {
    // the page's main landmark while open (the map's <main> is hidden meanwhile)
    box = el("main", { id: "fabrique", className: "fabrique", "aria-labelledby": "fabrique-title", hidden: "" });
    document.body.appendChild(box);
  }
  clear(box);
  box.appendChild(el("div", { className: "fabrique-top no-print" }, [
    el("button", { type: "button", id: "fabrique-back", className: "secondary", text: t("back"), onclick: closeView })]));
  box.appendChild(el("h2", { id: "fabrique-title", tabindex: "-1", text: heading }));
  box.appendChild(el("p", { id: "fabrique-status", className: "fabrique-status", role: "status", "aria-live": "polite" }));
  box.appendChild(el("div", { id: "fabrique-body" }));
  document.body.classList.add("fabrique-open");
  $("main").hidden = true;
  box.hidden = false;
  window.scrollTo(0, 0);
  return box;
}

/** Say `message` in the view's live region (and nowhere else). */
export function say(message) { var node = $("fabrique-status"); if (node) node.textContent = message || ""; }

export function closeView() {
  var box = $("fabrique");
  if (box) { box.hidden = true; clear(box); }
  document.body.classList.remove("fabrique-open");
  $("main").hidden = false;
  if (state.map) state.map.invalidateSize();
  if (opener && document.contains(opener)) opener.focus();
  opener = null;
  current = null;
}

/** The language changed: the screen shown is drawn again in the new one. */
function relabel() {
  if (!current) return;
  (current === "board" ? openBoard(opener) : openBilan(opener)).then(function () { $("lang").focus(); });
}

async function open(part, heading, button) {
  opener = button;
  current = part;
  var module;
  try { module = await import("./" + part + ".js"); } catch (err) {
    status(t("failed") + part + ".js");
    return;
  }
  view(heading);
  $("fabrique-title").focus();
  await module.show($("fabrique-body"));
}

export function openBoard(button) { return open("board", t("board"), button || $("fab-open-board")); }

export function openBilan(button) { return open("bilan", t("bilan"), button || $("fab-open-bilan")); }

export function start() {
  var slot = $("slot-fabrique");
  if (!slot || $("fab-open-bilan")) return;
  var buttons = [];
  if (may("besoins", "update")) {
    buttons.push(el("button", { type: "button", id: "fab-open-board", text: t("board"),
      onclick: function (event) { openBoard(event.currentTarget); } }));
  }
  buttons.push(el("button", { type: "button", id: "fab-open-bilan", className: "secondary", text: t("bilan"),
    onclick: function (event) { openBilan(event.currentTarget); } }));
  slot.appendChild(el("section", { className: "fabrique-entry", "aria-labelledby": "fab-entry-title" }, [
    el("h3", { id: "fab-entry-title", text: t("title") }),
    el("p", { className: "help", text: t("help") }),
    el("div", { className: "row" }, buttons)]));
  $("lang").addEventListener("click", function () { setTimeout(relabel, 0); });  // after app.js's own
  document.body.setAttribute("data-fabrique", "ready");
}
