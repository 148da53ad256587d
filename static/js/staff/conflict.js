/* A 412 on saving (someone changed the feature since it was read), merged field by field.
 * Three versions: the one the user read (`base`, from the feature's history), the current one
 * (`theirs`, in the 412's problem body) and the form (`mine`). A field only one side changed
 * keeps that change; a field both changed the same way is kept; only fields both changed
 * differently are asked, one choice each. With nothing to ask the merge is saved at once
 * (If-Match: the current version) and the status says which of their changes were kept. The
 * HTTP contract stays: the merge is a new PUT on top of the current version. */

import { itemUrl } from "../api.js";
import { $, clear, el } from "../dom.js";
import { register } from "../i18n.js";
import { send } from "./session.js";

const t = register({
  fr: {
    title: "Quelqu'un a modifié cet objet entre-temps (version ",
    help: "Votre saisie n'a pas encore été enregistrée. Ce que vous seul avez changé et ce que l'autre personne seule a changé sont gardés ; choisissez pour chaque champ que vous avez changé tous les deux.",
    kept: "Gardé de l'autre modification : ", mine: "Votre saisie : ", theirs: "Version actuelle : ",
    save: "Enregistrer avec ces choix", take_theirs: "Abandonner ma saisie (reprendre la version actuelle)",
    merged: "Modifications fusionnées avec celles de l'autre personne : ",
    position: "Position", empty: "—",
  },
  en: {
    title: "Someone changed this feature meanwhile (version ",
    help: "Your input is not saved yet. What only you changed and what only the other person changed are both kept; choose for each field you both changed.",
    kept: "Kept from the other change: ", mine: "Your input: ", theirs: "Current version: ",
    save: "Save with these choices", take_theirs: "Drop my input (take the current version)",
    merged: "Changes merged with the other person's: ", position: "Position", empty: "—",
  },
});

function norm(value) {
  if (value === undefined || value === null || value === "") return null;
  if (Array.isArray(value)) return value.length ? JSON.stringify(value) : null;
  if (typeof value === "object") return JSON.stringify(value);
  return JSON.stringify(value);
}

function where(geometry) {
  if (!geometry || !geometry.coordinates) return null;
  return geometry.coordinates.map(function (x) { return Number(x).toFixed(6); }).join(", ");
}

function valueOf(feature, name) {
  return name === "geometry" ? where(feature.geometry) : norm(feature.properties[name]);
}

/** Merge `mine` and `theirs`, both changed from `base`, over the field `names` (plus the
 * position): `{feature, asked, kept}` — `asked` the fields both changed differently (left
 * as `mine` in `feature` until chosen), `kept` the fields only `theirs` changed. */
export function merge(base, mine, theirs, names) {
  var out = { type: "Feature", geometry: mine.geometry, properties: Object.assign({}, mine.properties) };
  var asked = [], kept = [];
  ["geometry"].concat(names).forEach(function (name) {
    var b = valueOf(base, name), m = valueOf(mine, name), c = valueOf(theirs, name);
    if (m === c || c === b) return;  // same result, or only mine changed: mine stands
    if (m === b) {  // only theirs changed: theirs is kept
      kept.push(name);
      if (name === "geometry") out.geometry = theirs.geometry;
      else if (c === null) delete out.properties[name];
      else out.properties[name] = theirs.properties[name];
      return;
    }
    asked.push(name);
  });
  return { feature: out, asked: asked, kept: kept };
}

function versionOf(etag) { return parseInt(String(etag || "").replace(/[^0-9]/g, ""), 10); }

/** The version the user read, from the feature's history (the form's copy if unreachable). */
async function readVersion(ctx) {
  var number = versionOf(ctx.etag);
  if (number > 0) {
    var answer = await send("GET", itemUrl(ctx.layerId, ctx.id) + "/history/" + number);
    if (answer.ok && answer.body) return answer.body;
  }
  return ctx.read;
}

/** Resolve a 412: `ctx` = {layerId, id, etag (read), read (feature as opened), mine,
 * problem (the 412 body), names, label(name), shown(name, value), form, put(feature, etag)
 * → answer, done(answer, kept), takeTheirs()}. */
export async function resolveConflict(ctx) {
  var base = await readVersion(ctx);
  var theirs = ctx.problem.current;
  var result = merge(base, ctx.mine, theirs, ctx.names);
  var label = function (name) { return name === "geometry" ? t("position") : ctx.label(name); };
  var keptText = result.kept.map(function (name) {
    return label(name) + " (" + shownOf(ctx, name, theirs) + ")";
  }).join(" ; ");
  if (!result.asked.length) {
    var answer = await ctx.put(result.feature, ctx.problem.etag);
    ctx.done(answer, result.kept.length ? t("merged") + keptText : "");
    return;
  }
  showChoices(ctx, result, theirs, keptText, label);
}

function shownOf(ctx, name, feature) {
  if (name === "geometry") return where(feature.geometry) || t("empty");
  return ctx.shown(name, feature.properties[name]);
}

function showChoices(ctx, result, theirs, keptText, label) {
  var box = el("div", { id: "conflict", className: "conflict-box" });
  var heading = el("h3", { id: "conflict-heading", tabindex: "-1",
    text: t("title") + ctx.problem.currentVersion + ")" });
  box.appendChild(heading);
  box.appendChild(el("p", { text: t("help") }));
  if (keptText) box.appendChild(el("p", { id: "conflict-kept" }, [el("strong", { text: t("kept") }), keptText]));
  result.asked.forEach(function (name) {
    var id = "conflict-" + name;
    box.appendChild(el("fieldset", { className: "checks conflict-field", id: id }, [
      el("legend", { text: label(name) }),
      el("label", { for: id + "-mine" }, [el("input", { type: "radio", name: id, id: id + "-mine", value: "mine", checked: "" }),
        " " + t("mine") + shownOf(ctx, name, ctx.mine)]),
      el("label", { for: id + "-theirs" }, [el("input", { type: "radio", name: id, id: id + "-theirs", value: "theirs" }),
        " " + t("theirs") + shownOf(ctx, name, theirs)])]));
  });
  box.appendChild(el("div", { className: "row" }, [
    el("button", { type: "button", id: "conflict-save", text: t("save"), onclick: async function () {
      var feature = result.feature;
      result.asked.forEach(function (name) {
        if (!$("conflict-" + name + "-theirs").checked) return;
        if (name === "geometry") feature.geometry = theirs.geometry;
        else if (theirs.properties[name] === null || theirs.properties[name] === undefined) delete feature.properties[name];
        else feature.properties[name] = theirs.properties[name];
      });
      var answer = await ctx.put(feature, ctx.problem.etag);
      box.remove();
      ctx.done(answer, keptText ? t("merged") + keptText : "");
    } }),
    el("button", { type: "button", id: "conflict-theirs", className: "secondary", text: t("take_theirs"),
      onclick: function () { ctx.takeTheirs(); } })]));
  ctx.form.hidden = true;
  var work = $("editor-work");
  work.insertBefore(box, ctx.form);
  clear(ctx.summary);
  heading.focus();
}
