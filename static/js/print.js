/* Printouts through the print style sheet (style.css, @media print): the result of « Suis-je
 * dans un QPV ? » for a resident, and a QPV's sheet for the staff (diagnosis, map). Each says
 * when it was made and from which sources (read from the collections' own metadata). */

import { getJSON } from "./api.js";
import { el } from "./dom.js";
import { lang, locale, register } from "./i18n.js";

const t = register({
  fr: {
    printed: "Établi le ",
    at: " à ",
    from: " sur ",
    sources: "Sources : ",
    vintage: "millésime ",
    print_check: "Imprimer ce résultat",
    print_qpv: "Imprimer la fiche du QPV",
  },
  en: {
    printed: "Made on ",
    at: " at ",
    from: " from ",
    sources: "Sources: ",
    vintage: "vintage ",
    print_check: "Print this result",
    print_qpv: "Print the QPV sheet",
  },
});

const described = {};
let sheet = null;

/** The print style sheet, added to the page once (a promise settled when it is loaded). */
function printStyles() {
  if (!sheet) {
    sheet = new Promise(function (done) {
      const link = el("link", { rel: "stylesheet", href: "print.css" });
      link.addEventListener("load", done);
      link.addEventListener("error", done);
      document.head.appendChild(link);
    });
  }
  return sheet;
}

/** « publisher (vintage, licence) » of a collection, from /api/collections/{id}. */
async function sourceOf(id) {
  if (!described[id]) described[id] = getJSON("api/collections/" + encodeURIComponent(id));
  const doc = await described[id];
  return doc["geoservice:publisher"] + " (" + t("vintage") + doc["geoservice:vintage"] + ", " +
    doc["geoservice:licence"] + ")";
}

function stamp(now) {
  const day = now.toLocaleDateString(locale(), { day: "numeric", month: "long", year: "numeric" });
  const time = now.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
  return t("printed") + day + t("at") + time + t("from") + location.host;
}

/** The print-only lines (date, sources) put in `box`: shown on paper, hidden on screen. */
export async function fillMeta(box, collections, extra) {
  const sources = await Promise.all(collections.map(sourceOf));
  box.textContent = "";
  box.appendChild(el("p", { text: stamp(new Date()) }));
  box.appendChild(el("p", { lang: "fr", text: t("sources") + sources.join(" ; ") +
    (extra ? " ; " + extra : "") }));
}

/** A « print » button: fills `meta`, marks the page with `data-print=kind` (the print style
 * sheet shows only that part), lets `arrange(true)` fit the page to it (e.g. the map to the
 * sheet's width), opens the browser's print dialog, then unmarks the page (`arrange(false)`). */
export function printButton(kind, meta, collections, extra, arrange) {
  return el("button", { type: "button", className: "secondary print-button",
    "data-print-kind": kind, text: t(kind === "qpv" ? "print_qpv" : "print_check"),
    onclick: async function () {
      try { await fillMeta(meta, collections, extra); } catch (err) { /* without sources */ }
      await printStyles();
      document.body.setAttribute("data-print", kind);
      if (arrange) await arrange(true);
      window.addEventListener("afterprint", function () {
        document.body.removeAttribute("data-print");
        if (arrange) arrange(false);
      }, { once: true });
      window.print();
    } });
}

export function metaBox() {
  printStyles();
  return el("div", { className: "print-only print-meta", lang: lang() });
}
