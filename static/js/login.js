/* Staff: the login box (loaded when "Se connecter" is pressed, or when this browser has
 * logged in before), then the editor, loaded with import() only after a login (residents
 * never download it). */

import { forgetStaff, getJSON, problemText, rememberStaff, request, staffRemembered } from "./api.js";
import { $, clear, el } from "./dom.js";
import { state, status, t as mapText } from "./map.js";
import { register } from "./i18n.js";

const t = register({
  fr: {
    login_email: "Adresse électronique", login_password: "Mot de passe",
    login_submit: "Se connecter", login_with: "Se connecter avec ",
    login_failed: "Connexion impossible : ",
    login_none: "Aucun moyen de connexion n'est configuré sur ce service.",
    editor_loading: "Chargement de l'éditeur…",
  },
  en: {
    login_email: "E-mail address", login_password: "Password", login_submit: "Log in",
    login_with: "Log in with ", login_failed: "Could not log in: ",
    login_none: "No login method is configured on this service.",
    editor_loading: "Loading the editor…",
  },
});

let styled = false;

async function loadEditor(me) {
  state.me = me;
  rememberStaff();
  if (!styled) {
    styled = true;
    document.head.appendChild(el("link", { rel: "stylesheet", href: "editor.css" }));
  }
  status(t("editor_loading"));
  let editor;
  try { editor = await import("./staff/editor.js"); } catch (err) {
    status(mapText("loading_failed") + "editor.js");
    return;
  }
  status("");
  editor.start(me);
}

export async function openLogin() {
  var body = clear($("staff-body"));
  var methods;
  try { methods = await getJSON("api/auth"); } catch (err) {
    body.appendChild(el("p", { role: "alert", text: t("login_failed") + err.message }));
    return;
  }
  var message = el("p", { className: "help", role: "alert" });
  if (methods.oidc) {
    var next = location.pathname + location.search;
    body.appendChild(el("p", {}, [el("a", { className: "button",
      href: methods.oidc.href + "?next=" + encodeURIComponent(next),
      onclick: rememberStaff, text: t("login_with") + methods.oidc.label })]));
  }
  if (methods.password) {
    var email = el("input", { id: "login-email", type: "email", autocomplete: "username", required: "" });
    var password = el("input", { id: "login-password", type: "password",
      autocomplete: "current-password", required: "" });
    var form = el("form", { id: "login-form", className: "row-form" }, [
      el("label", { for: "login-email", text: t("login_email") }), email,
      el("label", { for: "login-password", text: t("login_password") }), password,
      el("button", { type: "submit", text: t("login_submit") })]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      message.textContent = "";
      var answer = await request("POST", "api/auth/login", { email: email.value, password: password.value });
      if (!answer.ok) {
        message.textContent = t("login_failed") + problemText(answer);
        password.value = "";
        password.focus();
        return;
      }
      loadEditor(await getJSON("api/me"));
    });
    body.appendChild(form);
    body.appendChild(message);
    email.focus();
  }
  if (!methods.oidc && !methods.password) body.appendChild(el("p", { text: t("login_none") }));
}

export async function resumeSession() {
  if (!staffRemembered()) return;  // residents: no extra request, no editor code
  try {
    var me = await getJSON("api/me");
    if (me.authenticated && me.via === "session") { loadEditor(me); return; }
  } catch (e) { /* fall through */ }
  forgetStaff();
}
