/* « Partager / intégrer »: the link to this view, and the <iframe> code of the light map
 * (/embed) with the same layers, Défi and selected QPV, for a partner's website. A modal
 * <dialog> (focus kept inside, Escape closes it, focus back on the button). */

import { $, el } from "./dom.js";
import { register } from "./i18n.js";
import { state } from "./map.js";

const t = register({
  fr: {
    title: "Partager ou intégrer la carte",
    link: "Lien vers cette vue",
    copy_link: "Copier le lien",
    embed: "Code à coller dans votre site (carte légère, sans panneau)",
    copy_code: "Copier le code",
    preview: "Voir la carte légère",
    new_window: " (nouvelle fenêtre)",
    allowed: "Votre site doit être autorisé par l'administrateur du service (réglage " +
      "GEOSERVICE_EMBED_ORIGINS) pour afficher la carte dans un cadre.",
    copied: "Copié.",
    copy_failed: "Copie impossible : sélectionnez le texte et copiez-le (Ctrl+C).",
    close: "Fermer",
    frame_title: "Carte de l'ESS et des quartiers prioritaires",
  },
  en: {
    title: "Share or embed the map",
    link: "Link to this view",
    copy_link: "Copy the link",
    embed: "Code to paste into your website (light map, no panel)",
    copy_code: "Copy the code",
    preview: "Open the light map",
    new_window: " (new window)",
    allowed: "Your site must be allowed by the service's administrator (setting " +
      "GEOSERVICE_EMBED_ORIGINS) to show the map in a frame.",
    copied: "Copied.",
    copy_failed: "Copy failed: select the text and copy it (Ctrl+C).",
    close: "Close",
    frame_title: "Map of the social economy and priority neighbourhoods",
  },
});

/** The /embed address for the map as it is now: visible layers, Défi, selected QPV. */
export function embedUrl() {
  const params = new URLSearchParams();
  const visible = state.order.filter((id) => state.visible[id]);
  if (visible.length) params.set("couches", visible.join(","));
  if (state.defi) params.set("defi", state.defi);
  if (state.selected && state.selected.layer === "qpv") params.set("qpv", state.selected.id);
  const query = params.toString().replace(/%2C/g, ",");
  return new URL("embed" + (query ? "?" + query : ""), document.baseURI).href;
}

export function iframeCode(url) {
  const safe = url.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  return '<iframe src="' + safe + '" title="' + t("frame_title") + '" width="100%" ' +
    'height="480" style="border:0" loading="lazy"></iframe>';
}

async function copy(field, message) {
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    message.textContent = t("copied");
  } catch (err) {
    message.textContent = document.execCommand && document.execCommand("copy")
      ? t("copied") : t("copy_failed");
  }
}

let styled = null;

/** The dialog's style sheet, added once (settled when loaded). */
function styles() {
  if (!styled) {
    styled = new Promise((done) => {
      const link = el("link", { rel: "stylesheet", href: "share.css" });
      link.addEventListener("load", done);
      link.addEventListener("error", done);
      document.head.appendChild(link);
    });
  }
  return styled;
}

export async function openShare() {
  await styles();
  const opener = $("share-open");
  const old = $("share-dialog");
  if (old) old.remove();
  const url = embedUrl();
  const link = el("input", { id: "share-link", type: "text", readonly: "", value: location.href });
  const code = el("textarea", { id: "share-code", rows: "4", readonly: "" });
  code.value = iframeCode(url);
  const message = el("p", { className: "help", role: "status", "aria-live": "polite" });
  const dialog = el("dialog", { id: "share-dialog", className: "share",
    "aria-labelledby": "share-title" }, [
    el("h2", { id: "share-title", text: t("title") }),
    el("label", { for: "share-link", text: t("link") }), link,
    el("button", { type: "button", className: "secondary", text: t("copy_link"),
      onclick: () => copy(link, message) }),
    el("label", { for: "share-code", text: t("embed") }), code,
    el("button", { type: "button", className: "secondary", text: t("copy_code"),
      onclick: () => copy(code, message) }),
    el("p", {}, [el("a", { id: "share-preview", href: url, target: "_blank", rel: "noopener" },
      [t("preview"), el("span", { className: "visually-hidden", text: t("new_window") })])]),
    el("p", { className: "help", text: t("allowed") }),
    message,
    el("button", { type: "button", id: "share-close", text: t("close"),
      onclick: () => dialog.close() }),
  ]);
  dialog.addEventListener("close", () => { dialog.remove(); if (opener) opener.focus(); });
  document.body.appendChild(dialog);
  dialog.showModal();
  link.focus();
}
