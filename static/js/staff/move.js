/* Moving a need to another stage (the « Suivi des besoins » board, js/staff/board.js): a form
 * on the need's card — the stage (a select), the day it happened (today by default), the
 * project or place that answers it (launched / existing answer), the reason of an abandon,
 * a note for the journal — sent as an ordinary Part 4 PATCH with If-Match. The server's
 * refusals (422) are said next to their field; a 412 says someone changed the need first. */

import { itemUrl, problemText } from "../api.js";
import { clear, el, fold } from "../dom.js";
import { register, title } from "../i18n.js";
import { state } from "../map.js";
import { say } from "./fabrique.js";
import { send } from "./session.js";

const t = register({
  fr: {
    legend: "Changer d'étape : ", stage: "Nouvelle étape", current: " (étape actuelle)",
    date: "Date de l'étape (le jour où elle a eu lieu)", answer: "Projet ou lieu qui répond au besoin",
    answer_help: "Tapez une partie du nom, puis choisissez dans la liste.", search: "Chercher",
    pick: "Choisir : ", chosen: "Réponse retenue : ", no_answer: "Aucune réponse choisie.",
    none_found: "Aucun projet ni lieu de ce nom.", motif: "Motif de l'abandon (visible de l'équipe seulement)",
    note: "Note pour le journal (facultatif)", save: "Enregistrer", cancel: "Annuler",
    invalid: "Le besoin n'a pas changé d'étape. À corriger :", failed: "Échec : ",
    conflict: "Quelqu'un a modifié ce besoin entre-temps : rien n'a été enregistré. Le tableau est rechargé avec la version actuelle ; refaites le changement si besoin.",
  },
  en: {
    legend: "Change stage: ", stage: "New stage", current: " (current stage)",
    date: "Date of the stage (the day it happened)", answer: "Project or place answering the need",
    answer_help: "Type part of the name, then choose from the list.", search: "Search",
    pick: "Choose: ", chosen: "Chosen answer: ", no_answer: "No answer chosen.",
    none_found: "No project or place by that name.", motif: "Why it was dropped (staff only)",
    note: "Note for the journal (optional)", save: "Save", cancel: "Cancel",
    invalid: "The need did not change stage. To fix:", failed: "Failed: ",
    conflict: "Someone changed this need meanwhile: nothing was saved. The board is reloaded with the current version; make the change again if needed.",
  },
});

const NEEDS_ANSWER = ["lance", "reponse_existante"];
const ANSWER_LAYERS = ["projets", "structures_ess", "lieux_totems", "hebergement", "accompagnement"];
const FIELDS = ["etape", "etape_date", "reponse", "motif"];

function isoToday() {
  var d = new Date();
  return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
}

/** Projects and ESS places whose name holds `query` (at most `limit`). */
function candidates(query, limit) {
  var words = fold(query);
  var out = [];
  if (!words) return out;
  ANSWER_LAYERS.forEach(function (id) {
    var layer = state.layers[id];
    (layer ? layer.features : []).forEach(function (item) {
      if (out.length < limit && fold(item.name).indexOf(words) >= 0) out.push(item);
    });
  });
  return out;
}

function answerText(reference) {
  var cut = reference.indexOf("/"), layer = state.layers[reference.slice(0, cut)];
  var item = layer && layer.byId[reference.slice(cut + 1)];
  return item ? item.name + " (" + title(layer.def.title) + ")" : reference;
}

/** The move form of `need` ({id, key, props}); options: `stages`, `label(stage)`,
 * `close()`, `done(need, savedFeature)`, `reload()` (after a 412). */
export function moveForm(need, options) {
  var key = need.key, props = need.props, current = props.etape || "repere";
  var id = function (name) { return "mv-" + name + "-" + key; };
  var chosen = { value: props.reponse || null };
  // the version this form starts from (If-Match): read when the form opens
  var read = send("GET", itemUrl("besoins", need.id));

  var order = options.stages;
  var next = order[Math.min(order.indexOf(current) + 1, order.length - 1)] || current;
  var stage = el("select", { id: id("etape"), "aria-describedby": id("err-etape") }, order.map(function (s) {
    return el("option", { value: s, text: options.label(s) + (s === current ? t("current") : "") });
  }));
  stage.value = NEEDS_ANSWER.indexOf(current) >= 0 || current === "abandonne" ? current : next;
  var date = el("input", { id: id("etape_date"), type: "date", value: isoToday(), max: isoToday(), required: "",
    "aria-describedby": id("err-etape_date") });
  var query = el("input", { id: id("q"), type: "search", autocomplete: "off", "aria-describedby": id("answer-help") + " " + id("err-reponse") });
  var results = el("ul", { className: "results", id: id("results"), "aria-live": "polite" });
  var chosenNode = el("p", { className: "chosen", id: id("chosen"), "aria-live": "polite" });
  var answerBox = el("div", { className: "field" }, [
    el("label", { for: id("q"), text: t("answer") }),
    el("div", { className: "row" }, [query, el("button", { type: "button", className: "secondary", text: t("search"), onclick: function () { search(); } })]),
    el("p", { className: "help", id: id("answer-help"), text: t("answer_help") }),
    results, chosenNode, el("p", { className: "field-error", id: id("err-reponse") })]);
  var motif = el("textarea", { id: id("motif"), rows: "2", maxlength: "2000", "aria-describedby": id("err-motif") });
  var motifBox = el("div", { className: "field" }, [el("label", { for: id("motif"), text: t("motif") }), motif,
    el("p", { className: "field-error", id: id("err-motif") })]);
  var note = el("input", { id: id("note"), type: "text", maxlength: "500" });
  var summary = el("div", { className: "errors", id: id("errors"), role: "alert", tabindex: "-1" });
  var form = el("form", { className: "move-form", id: id("form"), novalidate: "" }, [
    el("fieldset", {}, [el("legend", { lang: "fr", text: t("legend") + (props.nom || need.id) }),
      summary,
      el("div", { className: "field" }, [el("label", { for: id("etape"), text: t("stage") }), stage,
        el("p", { className: "field-error", id: id("err-etape") })]),
      el("div", { className: "field" }, [el("label", { for: id("etape_date"), text: t("date") }), date,
        el("p", { className: "field-error", id: id("err-etape_date") })]),
      answerBox, motifBox,
      el("div", { className: "field" }, [el("label", { for: id("note"), text: t("note") }), note]),
      el("div", { className: "row" }, [el("button", { type: "submit", id: id("save"), text: t("save") }),
        el("button", { type: "button", className: "secondary", text: t("cancel"), onclick: options.close })])])]);

  function showChosen() {
    chosenNode.textContent = chosen.value ? t("chosen") + answerText(chosen.value) : t("no_answer");
  }

  function search() {
    clear(results);
    var found = candidates(query.value, 8);
    if (!found.length) { results.appendChild(el("li", { className: "help", text: t("none_found") })); return; }
    found.forEach(function (item) {
      var reference = item.layer.def.id + "/" + item.id;
      results.appendChild(el("li", {}, [el("button", { type: "button", lang: "fr",
        text: t("pick") + item.name + " (" + title(item.layer.def.title) + ")", onclick: function () {
          chosen.value = reference;
          showChosen();
          clear(results);
          query.value = "";
          query.focus();
        } })]));
    });
  }

  function fitStage() {
    answerBox.hidden = NEEDS_ANSWER.indexOf(stage.value) < 0;
    motifBox.hidden = stage.value !== "abandonne";
  }

  query.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); search(); }
  });
  stage.addEventListener("change", fitStage);
  form.addEventListener("submit", function (event) { event.preventDefault(); save(); });
  fitStage();
  showChosen();

  function showErrors(errors) {
    FIELDS.forEach(function (name) {
      var node = document.getElementById(id("err-" + name));
      if (node) node.textContent = "";
    });
    [stage, date, query, motif].forEach(function (input) { input.removeAttribute("aria-invalid"); });
    var inputs = { etape: stage, etape_date: date, reponse: query, motif: motif };
    var list = el("ul");
    errors.forEach(function (error) {
      var name = String(error.field || "").replace(/^properties\./, "").split(/[.[]/)[0];
      var target = document.getElementById(id("err-" + name));
      if (target) { target.textContent = error.message; inputs[name].setAttribute("aria-invalid", "true"); }
      list.appendChild(el("li", { text: (error.field || "") + " : " + error.message }));
    });
    clear(summary).appendChild(el("p", { text: t("invalid") }));
    summary.appendChild(list);
    summary.focus();
  }

  async function save() {
    clear(summary);
    var before = await read;
    if (!before.ok) { summary.appendChild(el("p", { text: t("failed") + problemText(before) })); summary.focus(); return; }
    var target = stage.value, stored = before.body.properties || {};
    var changes = { etape: target, etape_date: date.value || null };
    if (NEEDS_ANSWER.indexOf(target) >= 0) changes.reponse = chosen.value;
    else if (stored.reponse) changes.reponse = null;  // only a launched need or an existing answer has one
    if (target === "abandonne") changes.motif = motif.value.trim();
    var headers = { "If-Match": before.etag, "Content-Type": "application/merge-patch+json" };
    if (note.value.trim()) headers["Geoservice-Reason"] = encodeURIComponent(note.value.trim());
    var answer = await send("PATCH", itemUrl("besoins", need.id), { properties: changes }, headers);
    if (answer.ok) { await options.done(need, answer.body); return; }
    if (answer.status === 422 && answer.body && answer.body.errors) { showErrors(answer.body.errors); return; }
    if (answer.status === 412) {
      await options.reload();
      say(t("conflict"));
      var live = document.getElementById("fabrique-status");
      if (live) live.scrollIntoView({ block: "nearest" });
      var again = document.querySelector("[data-need='" + CSS.escape(need.id) + "'] .move-open");
      if (again) again.focus();
      return;
    }
    summary.appendChild(el("p", { text: t("failed") + problemText(answer) }));
    summary.focus();
  }

  return form;
}
