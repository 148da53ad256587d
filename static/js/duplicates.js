/* Likely duplicates, shown before a place is created twice: the resident's « Proposer un
 * lieu » asks GET /api/duplicates before sending; the editor's form gets them from a 409
 * « doublon-probable » answer. Both show the same box: the candidates (name, why, distance)
 * and two answers, « C'est le même lieu » (open the existing one) and « C'est un autre
 * lieu » (send anyway). The rule itself is the server's (geoservice/editing/duplicates.py).
 * Every text from the data or the server is written as DOM text, never as HTML. */

import { request } from "./api.js";
import { el } from "./dom.js";
import { locale, register, title } from "./i18n.js";
import { select, state } from "./map.js";

const t = register({
  fr: {
    heading: "Ce lieu existe peut-être déjà", help: "Vérifiez avant d'envoyer : ces lieux ressemblent à celui-ci.",
    same: "C'est le même lieu", distinct: "C'est un autre lieu", at: " à ", m: " m", in: " — ",
    same_done: "Merci : ce lieu est déjà sur la carte. S'il y a une erreur, signalez-la depuis sa fiche.",
  },
  en: {
    heading: "This place may already exist", help: "Check before sending: these places look like this one.",
    same: "It is the same place", distinct: "It is another place", at: " at ", m: " m", in: " — ",
    same_done: "Thank you: this place is already on the map. If something is wrong, report it from its card.",
  },
});

/** Likely duplicates of a place about to be proposed: `[{collection, id, nom, distance_m, raison}]`
 * ([] when the service cannot tell: the proposal is then sent, moderators see them too). */
export async function findDuplicates(collection, props, point) {
  var query = new URLSearchParams({ collection: collection });
  ["nom", "adresse", "commune", "siret"].forEach(function (name) {
    if (props[name]) query.set(name, String(props[name]).slice(0, 200));
  });
  if (point) { query.set("lon", String(point[0])); query.set("lat", String(point[1])); }
  try {
    var answer = await request("GET", "api/duplicates?" + query.toString());
    return answer.ok && answer.body ? answer.body.candidates || [] : [];
  } catch (e) { return []; }
}

function layerTitle(collection) {
  var layer = state.layers[collection];
  return layer ? title(layer.def.title) : collection;
}

/** Open a candidate's card on the map (when its layer is loaded); true if it was found. */
export function showCandidate(candidate) {
  var layer = state.layers[candidate.collection];
  var item = layer && layer.byId && layer.byId[String(candidate.id)];
  if (!item) return false;
  select(item, true);
  return true;
}

/** The box listing `candidates`; `onSame(candidate)` and `onDistinct()` are the two answers.
 * Its heading gets the focus (the caller appends the box, then calls `.focus()` on it). */
export function duplicateBox(candidates, onSame, onDistinct) {
  var heading = el("h4", { id: "dup-heading", tabindex: "-1", text: t("heading") });
  var list = el("ul", { className: "dup-list" });
  candidates.forEach(function (c) {
    var where = c.distance_m === null || c.distance_m === undefined ? ""
      : t("at") + Number(c.distance_m).toLocaleString(locale()) + t("m");
    list.appendChild(el("li", {}, [
      el("strong", { lang: "fr", text: c.nom || c.id }), " (" + layerTitle(c.collection) + where + ")" + t("in"),
      el("span", { lang: "fr", text: c.raison }), " ",
      el("button", { type: "button", className: "secondary dup-same", "data-id": String(c.id),
        text: t("same"), "aria-describedby": "dup-heading", onclick: function () { onSame(c); } })]));
  });
  var box = el("div", { id: "dup-box", className: "dup-box", role: "group", "aria-labelledby": "dup-heading" }, [
    heading, el("p", { className: "help", text: t("help") }), list,
    el("button", { type: "button", id: "dup-distinct", text: t("distinct"), onclick: function () { onDistinct(); } })]);
  box.focus = function () { heading.focus(); };
  return box;
}

export function sameDone() { return t("same_done"); }
