/* Residents' contributions, loaded on the first send or follow-up link: sending a proposal
 * (its errors beside their fields), the confirmation with the secret follow-up link, and the
 * follow-up view (#suivi=ID.KEY). Every text from the server is written as DOM text. */

import { problemText, request } from "./api.js";
import { $, clear, el } from "./dom.js";
import { locale, register } from "./i18n.js";
import { valueLabel } from "./labels.js";
import { reloadLayer, select as selectFeature } from "./map.js";

const t = register({
  fr: {
    send: "Envoyer", report: "Signaler un problème",
    sending: "Envoi…",
    thanks: "Merci ! Votre proposition est enregistrée. L'équipe la relira avant publication.",
    keep: "Gardez ce lien pour suivre votre proposition (il est secret : ne le partagez pas) :",
    follow_link: "Suivre ma proposition",
    failed: "Échec de l'envoi : ",
    too_many: "Trop de propositions depuis cette connexion. Réessayez dans ", minutes: " min.",
    follow_title: "Suivi de votre proposition",
    follow_failed: "Lien de suivi inconnu ou incorrect.", st_pending: "En attente de relecture",
    st_accepted: "Acceptée : publiée sur la carte", st_rejected: "Refusée",
    st_report_accepted: "Traité par l'équipe", moderator_says: "Message de l'équipe : ",
    sent_on: "Envoyée le ", show: "Voir sur la carte", close: "Fermer",
    mine_title: "Mes contributions", mine_help: "Les propositions envoyées depuis cet appareil (gardées sur cet appareil seulement).",
    mine_none: "Aucune proposition envoyée depuis cet appareil.", mine_lost: "Lien de suivi plus valable",
    mine_follow: "Suivre", mine_unnamed: "Proposition", mine_forget: "Oublier ces liens sur cet appareil",
    stage: "Où en est ce besoin : ", since: "depuis le ",
    s_repere: "le besoin est enregistré ; l'équipe de la Fabrique à initiatives va l'examiner.",
    s_qualifie: "l'équipe a confirmé ce besoin et l'a décrit.",
    s_exploration: "l'équipe cherche, avec les acteurs du quartier, comment y répondre.",
    s_etude_opportunite: "une réponse est à l'étude : l'équipe vérifie qu'elle peut marcher.",
    s_recherche_porteur: "une réponse est retenue ; l'équipe cherche qui la portera.",
    s_accompagnement: "une personne ou une structure va porter la réponse ; l'équipe l'aide à la lancer.",
    s_lance: "une activité a été lancée pour y répondre.",
    s_abandonne: "l'équipe a arrêté de travailler sur ce besoin.",
    s_reponse_existante: "une réponse existait déjà : l'équipe l'a reliée à ce besoin.",
  },
  en: {
    send: "Send", report: "Report a problem",
    sending: "Sending…",
    thanks: "Thank you! Your proposal is recorded. The team will review it before publication.",
    keep: "Keep this link to follow your proposal (it is secret: do not share it):",
    follow_link: "Follow my proposal",
    failed: "Sending failed: ", too_many: "Too many proposals from this connection. Try again in ",
    minutes: " min.", follow_title: "Your proposal",
    follow_failed: "Unknown or wrong follow-up link.", st_pending: "Waiting for review",
    st_accepted: "Accepted: published on the map", st_rejected: "Rejected",
    st_report_accepted: "Handled by the team", moderator_says: "Message from the team: ",
    sent_on: "Sent on ", show: "Show on the map", close: "Close",
    mine_title: "My contributions", mine_help: "Proposals sent from this device (kept on this device only).",
    mine_none: "No proposal sent from this device.", mine_lost: "Follow-up link no longer valid",
    mine_follow: "Follow", mine_unnamed: "Proposal", mine_forget: "Forget these links on this device",
    stage: "Where this need stands: ", since: "since ",
    s_repere: "the need is recorded; the Fabrique à initiatives team will look into it.",
    s_qualifie: "the team confirmed this need and described it.",
    s_exploration: "the team is looking, with local actors, for ways to answer it.",
    s_etude_opportunite: "an answer is being studied: the team checks it can work.",
    s_recherche_porteur: "an answer was chosen; the team is looking for someone to run it.",
    s_accompagnement: "someone will run the answer; the team helps them start it.",
    s_lance: "an activity was started to answer it.",
    s_abandonne: "the team stopped working on this need.",
    s_reponse_existante: "an answer already existed: the team linked it to this need.",
  },
});

// -- sending -------------------------------------------------------------------------------

export async function send(work, close, body, hp) {
  if (hp) body.site_web = hp;
  var button = $("contrib-send");
  button.disabled = true;
  button.textContent = t("sending");
  var answer;
  try { answer = await request("POST", "api/proposals", body); } catch (e) {
    answer = { ok: false, status: 0, body: { detail: e.message } };
  }
  button.disabled = false;
  button.textContent = t("send");
  if (answer.status === 202) { confirmSent(work, close, answer.body); return; }
  if (answer.status === 422 && answer.body && answer.body.errors) { work.show(answer.body.errors); return; }
  var summary = clear(work.summary);
  if (answer.status === 429) {
    var wait = Number(answer.headers.get("Retry-After") || 60);
    summary.appendChild(el("p", { text: t("too_many") + Math.ceil(wait / 60) + t("minutes") }));
  } else summary.appendChild(el("p", { text: t("failed") + problemText(answer) }));
  summary.focus();
}

function confirmSent(work, close, made) {
  var opener = work && work.opener;
  close(true);
  remember(made);
  var box = clear($("contrib-work"));
  var h = el("h3", { tabindex: "-1", id: "contrib-heading", text: t("thanks") });
  box.appendChild(h);
  box.appendChild(el("p", { text: t("keep") }));
  box.appendChild(el("p", { className: "follow-link" }, [el("a", { href: made.follow, id: "contrib-follow", text: t("follow_link") })]));
  box.appendChild(el("p", {}, [el("code", { className: "follow-url", text: made.follow })]));
  box.appendChild(el("div", { className: "row" }, [
    el("button", { type: "button", className: "secondary", id: "contrib-mine", text: t("mine_title"), onclick: function () { showMine(close, opener); } }),
    el("button", { type: "button", className: "secondary", text: t("close"), onclick: function () {
      clear(box); if (opener && document.contains(opener)) opener.focus();
    } })]));
  h.focus();
}

var KEPT = "geoservice-proposals";

function remember(made) {
  try {
    var kept = JSON.parse(localStorage.getItem(KEPT) || "[]");
    kept.unshift({ id: made.id, follow: made.follow });
    localStorage.setItem(KEPT, JSON.stringify(kept.slice(0, 20)));
  } catch (e) { /* private mode: the link on screen is enough */ }
}

/** The follow links kept on this device, newest first: [{id, key, follow}]. */
export function keptLinks() {
  var kept;
  try { kept = JSON.parse(localStorage.getItem(KEPT) || "[]"); } catch (e) { return []; }
  return (Array.isArray(kept) ? kept : []).map(function (k) {
    var found = /suivi=(p-[0-9a-f]{10})\.([A-Za-z0-9_-]{20,64})/.exec(String(k && k.follow || ""));
    return found ? { id: found[1], key: found[2], follow: k.follow } : null;
  }).filter(Boolean);
}

async function followed(link) {
  var answer = await request("GET", "api/proposals/" + encodeURIComponent(link.id), undefined,
    { "Geoservice-Follow-Key": link.key });
  return answer.ok ? answer.body : null;
}

/** « Mes contributions »: each proposal sent from this device with its status now. */
export async function showMine(close, opener) {
  close(true);
  var box = clear($("contrib-work"));
  var h = el("h3", { tabindex: "-1", id: "contrib-heading", text: t("mine_title") });
  box.appendChild(h);
  box.appendChild(el("p", { className: "help", text: t("mine_help") }));
  var links = keptLinks();
  if (!links.length) box.appendChild(el("p", { text: t("mine_none") }));
  var list = el("ul", { className: "queue", id: "mine-list" });
  var found = await Promise.all(links.map(followed));
  links.forEach(function (link, i) {
    var p = found[i];
    var props = p && p.feature && p.feature.properties || {};
    var what = p ? (props.nom || p.problem_label || t("mine_unnamed")) : t("mine_unnamed");
    var status = !p ? t("mine_lost") : p.kind === "report" && p.status === "accepted" ? t("st_report_accepted") : t("st_" + p.status);
    list.appendChild(el("li", { "data-proposal": link.id }, [
      el("span", { className: "what" }, [el("strong", { lang: "fr", text: what }), " · ",
        el("span", { className: "follow-status status-" + (p ? p.status : "lost"), text: status }),
        p ? " · " + t("sent_on") + new Date(p.created_at).toLocaleDateString(locale()) : ""]),
      p ? el("a", { href: link.follow, text: t("mine_follow"),
        "aria-label": t("mine_follow") + " : " + what }) : null]));
  });
  if (links.length) box.appendChild(list);
  box.appendChild(el("div", { className: "row" }, [
    links.length ? el("button", { type: "button", className: "linklike", id: "mine-forget", text: t("mine_forget"), onclick: function () {
      try { localStorage.removeItem(KEPT); } catch (e) { /* nothing kept */ }
      showMine(close, opener);
    } }) : null,
    el("button", { type: "button", className: "secondary", text: t("close"), onclick: function () {
      clear(box); if (opener && document.contains(opener)) opener.focus();
    } })]));
  h.focus();
}

// -- following a proposal ------------------------------------------------------------------

export async function showFollow(close, id, key) {
  close(true);
  var box = clear($("contrib-work"));
  var h = el("h3", { tabindex: "-1", id: "contrib-heading", text: t("follow_title") });
  box.appendChild(h);
  var answer = await request("GET", "api/proposals/" + encodeURIComponent(id), undefined,
    { "Geoservice-Follow-Key": key });
  if (!answer.ok) { box.appendChild(el("p", { role: "alert", text: t("follow_failed") })); h.focus(); return; }
  var p = answer.body;
  var props = (p.feature && p.feature.properties) || {};
  var status = p.kind === "report" && p.status === "accepted" ? t("st_report_accepted") : t("st_" + p.status);
  box.appendChild(el("p", { className: "follow-status status-" + p.status, id: "follow-status" }, [el("strong", { text: status })]));
  if (props.nom) box.appendChild(el("p", { lang: "fr", text: props.nom }));
  if (p.problem_label) box.appendChild(el("p", { lang: "fr", text: t("report") + " : " + p.problem_label }));
  box.appendChild(el("p", { className: "help", text: t("sent_on") + new Date(p.created_at).toLocaleDateString(locale()) }));
  if (p.message) box.appendChild(el("p", { id: "follow-message" }, [t("moderator_says"), el("span", { lang: "fr", text: p.message })]));
  if (p.published && p.collection === "besoins") box.appendChild(await stageNode(p.published));
  if (p.published) {
    box.appendChild(el("button", { type: "button", className: "secondary", text: t("show"), onclick: async function () {
      var layer = await reloadLayer(p.collection);
      var item = layer.byId[p.published.split("/").pop()];
      if (item) selectFeature(item, true);
    } }));
  }
  $("contrib").scrollIntoView({ block: "start" });
  h.focus();
}

/** A published need's stage in the Fabrique à initiatives, in plain words (its public
 * item: the team's notes never reach this page). */
async function stageNode(published) {
  var node = el("p", { className: "follow-stage", id: "follow-stage" });
  var answer = await request("GET", published);  // the published need's public item
  var props = answer.ok && answer.body ? answer.body.properties || {} : null;
  if (!props) return node;
  var stage = props.etape || "repere";
  node.appendChild(el("strong", { text: t("stage") + valueLabel("etape", stage) }));
  if (props.etape_date) {
    node.appendChild(document.createTextNode(" (" + t("since") + new Date(props.etape_date + "T12:00:00").toLocaleDateString(locale()) + ")"));
  }
  node.appendChild(el("br"));
  var words = t("s_" + stage);
  node.appendChild(document.createTextNode(words.charAt(0).toUpperCase() + words.slice(1)));
  return node;
}
