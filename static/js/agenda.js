/* The « Agenda » tab: the coming events by week or by month (the Mois de l'ESS highlighted in
 * November), filters (Défi, commune, type), each event linked to its card on the map and to
 * its place's card, « Ajouter à mon agenda » (.ics), the subscription feed, past events in
 * an archive. Also, on the map's cards: an event's .ics and place, a place's next events.
 * Reads GET /api/agenda (occurrences, Paris time); text is always written as DOM text. */

import { getJSON } from "./api.js";
import { $, clear, el } from "./dom.js";
import { lang, locale, register } from "./i18n.js";
import { defiTitle, valueLabel } from "./labels.js";
import { addCardHook, own, select, state, status } from "./map.js";

const EVENTS = "evenements";
const TYPES = ["rencontre", "atelier", "formation", "visite", "forum", "autre"];
const view = { group: "week", defi: "", commune: "", type: "", built: false, token: 0 };

const t = register({
  fr: {
    agenda_title: "Agenda de l'ESS", agenda_intro: "Les événements de l'ESS aux lieux totems et sur le territoire.",
    mois_ess: "Novembre : le Mois de l'ESS (CRESS Occitanie)", mois_ess_badge: "Mois de l'ESS",
    filter_defi: "Défi", filter_commune: "Commune", filter_type: "Type d'événement",
    all_defis: "Tous les Défis", all_communes: "Toutes les communes", all_types: "Tous les types",
    by_week: "Par semaine", by_month: "Par mois", grouping: "Regrouper",
    coming: "À venir", none_coming: "Aucun événement à venir pour ces filtres.",
    archive: "Archives (12 derniers mois)", none_past: "Aucun événement passé pour ces filtres.",
    week_of: "Semaine du ", add: "Ajouter à mon agenda", subscribe: "S'abonner à l'agenda (iCalendar)",
    place: "Voir le lieu : ", event_card: "Voir l'événement sur la carte", all_day: "toute la journée",
    cancelled: "Annulé", postponed: "Reporté", unverified: "non vérifié", recurring: "récurrent",
    next_events: "Prochains événements ici", no_next: "Aucun événement à venir ici.",
    loading: "Chargement de l'agenda…", failed: "Agenda indisponible : ", count: " événement(s)",
  },
  en: {
    agenda_title: "ESS events", agenda_intro: "Social economy events at the flagship places and across the territory.",
    mois_ess: "November: the Mois de l'ESS (social economy month, CRESS Occitanie)", mois_ess_badge: "Mois de l'ESS",
    filter_defi: "Défi", filter_commune: "Commune", filter_type: "Kind of event",
    all_defis: "All Défis", all_communes: "All communes", all_types: "All kinds",
    by_week: "By week", by_month: "By month", grouping: "Group",
    coming: "Coming", none_coming: "No coming event for these filters.",
    archive: "Archive (last 12 months)", none_past: "No past event for these filters.",
    week_of: "Week of ", add: "Add to my calendar", subscribe: "Subscribe to the agenda (iCalendar)",
    place: "See the place: ", event_card: "See the event on the map", all_day: "all day",
    cancelled: "Cancelled", postponed: "Postponed", unverified: "not checked", recurring: "recurring",
    next_events: "Next events here", no_next: "No coming event here.",
    loading: "Loading the agenda…", failed: "Agenda unavailable: ", count: " event(s)",
  },
});

// -- dates: the API gives Paris local time (« 2026-11-24T18:00:00+01:00 ») ------------------

function dayOf(text) {
  var p = String(text).slice(0, 10).split("-").map(Number);
  return new Date(Date.UTC(p[0], p[1] - 1, p[2]));
}

function fmt(date, options) {
  return new Intl.DateTimeFormat(locale(), Object.assign({ timeZone: "UTC" }, options)).format(date);
}

function hour(text) { return String(text).slice(11, 16).replace(":", lang() === "fr" ? " h " : ":"); }

function when(o) {
  var day = fmt(dayOf(o.debut), { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  if (o.journee_entiere) {
    var last = o.fin.slice(0, 10) !== o.debut.slice(0, 10)
      ? " – " + fmt(dayOf(o.fin), { day: "numeric", month: "long" }) : "";
    return day + last + " (" + t("all_day") + ")";
  }
  var end = o.fin && o.fin !== o.debut ? " – " + hour(o.fin) : "";
  return day + ", " + hour(o.debut) + end;
}

function groupKey(o) {
  var day = dayOf(o.debut);
  if (view.group === "month") return o.debut.slice(0, 7);
  var monday = new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86400000);
  return monday.toISOString().slice(0, 10);
}

function groupTitle(key) {
  if (view.group === "month") return fmt(dayOf(key + "-01"), { month: "long", year: "numeric" });
  return t("week_of") + fmt(dayOf(key), { day: "numeric", month: "long", year: "numeric" });
}

function inNovember(key) {
  if (view.group === "month") return key.slice(5, 7) === "11";
  var start = dayOf(key), end = new Date(start.getTime() + 6 * 86400000);
  return start.getUTCMonth() === 10 || end.getUTCMonth() === 10;
}

// -- links to the map ----------------------------------------------------------------------

function itemOf(reference) {
  var cut = String(reference || "").indexOf("/");
  if (cut < 1) return null;
  var layerId = reference.slice(0, cut), fid = reference.slice(cut + 1);
  var layer = own(state.layers, layerId) ? state.layers[layerId] : null;
  return layer && own(layer.byId, fid) ? layer.byId[fid] : null;
}

function openOnMap(reference, opener) {
  var item = itemOf(reference);
  if (!item) return;
  if (state.tab !== "map") $("tab-map").click();
  select(item, true, opener);
}

function icsLink(id) {
  return el("a", { className: "ics", href: "api/agenda/" + encodeURIComponent(id) + ".ics",
    download: id + ".ics", text: t("add") });
}

function occurrenceNode(o) {
  var badges = [];
  if (o.statut_evenement === "annule") badges.push(el("strong", { className: "badge cancelled", text: t("cancelled") }));
  if (o.statut_evenement === "reporte") badges.push(el("strong", { className: "badge", text: t("postponed") }));
  if (o.verification === "a_verifier") badges.push(el("span", { className: "badge", text: t("unverified") }));
  var name = itemOf(EVENTS + "/" + o.id)
    ? el("button", { type: "button", className: "linklike", lang: "fr", text: o.nom,
      title: t("event_card"), onclick: function (event) { openOnMap(EVENTS + "/" + o.id, event.currentTarget); } })
    : el("span", { lang: "fr", text: o.nom });
  var facts = [o.type_evenement ? valueLabel("type_evenement", o.type_evenement) : null]
    .concat((o.defi || []).map(defiTitle)).concat(o.commune_nom ? [o.commune_nom] : []);
  var place = o.lieu && itemOf(o.lieu)
    ? el("button", { type: "button", className: "linklike", text: t("place") + (o.lieu_nom || o.lieu),
      onclick: function (event) { openOnMap(o.lieu, event.currentTarget); } })
    : (o.lieu_texte ? el("span", { lang: "fr", text: o.lieu_texte }) : null);
  return el("li", { className: "event" + (o.statut_evenement === "annule" ? " is-cancelled" : "") }, [
    el("p", { className: "event-when", text: when(o) }),
    el("p", { className: "event-name" }, [name].concat(badges)),
    facts.length ? el("p", { className: "event-facts", text: facts.filter(Boolean).join(" · ") }) : null,
    place ? el("p", {}, [place]) : null,
    el("p", {}, [icsLink(o.id)]),
  ]);
}

// -- the tab -------------------------------------------------------------------------------

function query(extra) {
  var params = new URLSearchParams();
  if (view.defi) params.set("defi", view.defi);
  if (view.commune) params.set("commune", view.commune);
  if (view.type) params.set("type_evenement", view.type);
  Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
  var text = params.toString();
  return text ? "?" + text : "";
}

function option(value, text, chosen) {
  var node = el("option", { value: value, text: text });
  if (value === chosen) node.selected = true;
  return node;
}

function filter(id, labelKey, allKey, values, key) {
  var menu = el("select", { id: id, onchange: function () { view[key] = menu.value; loadAgenda(); } },
    [option("", t(allKey), view[key])].concat(values.map(function (v) { return option(v[0], v[1], view[key]); })));
  return el("p", { className: "agenda-filter" }, [el("label", { for: id, text: t(labelKey) }), menu]);
}

function communes() {
  var layer = state.layers.communes;
  if (!layer) return [];
  return layer.features.map(function (item) { return [String(item.props.code), item.name]; })
    .sort(function (a, b) { return a[1].localeCompare(b[1], "fr"); });
}

function grouping() {
  var box = el("fieldset", { className: "agenda-group" }, [el("legend", { text: t("grouping") })]);
  [["week", "by_week"], ["month", "by_month"]].forEach(function (pair) {
    var input = el("input", { type: "radio", name: "agenda-group", id: "agenda-group-" + pair[0], value: pair[0],
      onchange: function () { view.group = pair[0]; loadAgenda(); } });
    if (view.group === pair[0]) input.checked = true;
    box.appendChild(el("span", { className: "check-line" }, [input,
      el("label", { for: "agenda-group-" + pair[0], text: t(pair[1]) })]));
  });
  return box;
}

function build() {
  var panel = clear($("panel-agenda"));
  var defis = Object.keys(state.config.defis).map(function (k) { return [k, defiTitle(k)]; });
  var types = TYPES.map(function (k) { return [k, valueLabel("type_evenement", k)]; });
  var archive = el("details", { id: "agenda-archive", className: "box", ontoggle: function () {
    if (archive.open) loadArchive();
  } }, [el("summary", { text: t("archive") }), el("ul", { id: "agenda-past", className: "agenda-list" })]);
  panel.appendChild(el("h2", { id: "agenda-title", tabindex: "-1", text: t("agenda_title") }));
  panel.appendChild(el("p", { className: "help", text: t("agenda_intro") }));
  panel.appendChild(el("p", { id: "agenda-mois-ess", className: "mois-ess", hidden: "hidden", text: t("mois_ess") }));
  panel.appendChild(el("div", { className: "agenda-filters" }, [
    filter("agenda-defi", "filter_defi", "all_defis", defis, "defi"),
    filter("agenda-commune", "filter_commune", "all_communes", communes(), "commune"),
    filter("agenda-type", "filter_type", "all_types", types, "type"),
    grouping(),
  ]));
  panel.appendChild(el("p", {}, [el("a", { id: "agenda-subscribe", href: "api/agenda.ics", text: t("subscribe") })]));
  panel.appendChild(el("h3", {}, [el("span", { text: t("coming") }), " ", el("span", { id: "agenda-count", className: "count" })]));
  panel.appendChild(el("div", { id: "agenda-coming", "aria-live": "polite" }));
  panel.appendChild(archive);
  view.built = true;
}

function render(box, occurrences, empty) {
  clear(box);
  if (!occurrences.length) { box.appendChild(el("p", { className: "help", text: t(empty) })); return; }
  var groups = [], byKey = {};
  occurrences.forEach(function (o) {
    var key = groupKey(o);
    if (!own(byKey, key)) { byKey[key] = []; groups.push(key); }
    byKey[key].push(o);
  });
  groups.forEach(function (key) {
    var november = inNovember(key);
    var heading = el("h4", { className: november ? "group mois-ess-group" : "group" }, [
      el("span", { text: groupTitle(key) }),
      november ? el("span", { className: "badge mois-ess-badge", text: t("mois_ess_badge") }) : null]);
    box.appendChild(el("section", { className: november ? "agenda-group-box mois-ess" : "agenda-group-box" }, [
      heading, el("ul", { className: "agenda-list" }, byKey[key].map(occurrenceNode))]));
  });
}

/** Show (and load) the coming events; the tab calls it each time it opens. */
export async function showAgenda() {
  if (!view.built) build();
  await loadAgenda();
}

export async function loadAgenda() {
  var token = ++view.token;
  $("agenda-subscribe").href = "api/agenda.ics" + query();
  var box = $("agenda-coming");
  status(t("loading"));
  try {
    var answer = await getJSON("api/agenda" + query());
    if (token !== view.token) return;
    render(box, answer.occurrences, "none_coming");
    $("agenda-count").textContent = "(" + answer.occurrences.length + t("count") + ")";
    $("agenda-mois-ess").hidden = !answer.occurrences.some(function (o) { return o.debut.slice(5, 7) === "11"; })
      && new Date().getMonth() !== 10;
    status("");
  } catch (err) {
    status(t("failed") + err.message);
  }
  if ($("agenda-archive").open) loadArchive();
  document.body.setAttribute("data-agenda", "ready");
}

async function loadArchive() {
  var now = new Date(), before = new Date(now.getTime() - 365 * 86400000);
  var range = before.toISOString().slice(0, 19) + "Z/" + now.toISOString().slice(0, 19) + "Z";
  try {
    var answer = await getJSON("api/agenda" + query({ datetime: range }));
    var past = answer.occurrences.filter(function (o) { return new Date(o.fin) < now; }).reverse();
    var list = clear($("agenda-past"));
    if (!past.length) list.appendChild(el("li", { className: "help", text: t("none_past") }));
    past.forEach(function (o) { list.appendChild(occurrenceNode(o)); });
  } catch (err) {
    status(t("failed") + err.message);
  }
}

// -- the map's cards: an event's .ics and place; a place's next events --------------------

function heldAt() {
  var out = {};
  var layer = state.layers[EVENTS];
  (layer ? layer.features : []).forEach(function (item) { if (item.props.lieu) out[item.props.lieu] = true; });
  return out;
}

async function nextEvents(reference, node) {
  var box = el("section", { className: "next-events" }, [el("h3", { text: t("next_events") })]);
  node.appendChild(box);
  try {
    var answer = await getJSON("api/agenda?lieu=" + encodeURIComponent(reference));
    var list = answer.occurrences.slice(0, 5);
    if (!list.length) box.appendChild(el("p", { className: "help", text: t("no_next") }));
    else box.appendChild(el("ul", { className: "agenda-list" }, list.map(occurrenceNode)));
  } catch (err) {
    box.appendChild(el("p", { className: "help", text: t("failed") + err.message }));
  }
}

function cardHook(layer, props, node) {
  var id = props[layer.def.id_field];
  if (layer.def.id === EVENTS) {
    node.appendChild(el("p", {}, [icsLink(String(id))]));
    var place = props.lieu && itemOf(props.lieu);
    if (place) {
      node.appendChild(el("p", {}, [el("button", { type: "button", className: "linklike",
        text: t("place") + place.name, onclick: function (event) { openOnMap(props.lieu, event.currentTarget); } })]));
    }
    return;
  }
  var reference = layer.def.id + "/" + id;
  if (own(heldAt(), reference)) nextEvents(reference, node);
}

/** The page's language changed: the tab is drawn again in it. */
export function relabelAgenda() { view.built = false; showAgenda(); }

/** Registers the cards' additions; run once when the map is ready. */
export function startAgenda() { addCardHook(cardHook); }
