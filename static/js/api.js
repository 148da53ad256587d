/* Calls to the service's API. Errors are problem+json (RFC 9457): their text is said once here. */

import { lang } from "./i18n.js";

/** The text of an error answer `{status, body}`: the problem's detail, its title, or the status. */
export function problemText(answer) {
  return (answer.body && (answer.body.detail || answer.body.title)) || ("HTTP " + answer.status);
}

/** A request with the session cookie; JSON bodies are sent as JSON, FormData as is. The answer
 * `{ok, status, body, headers}` never throws on an HTTP error. */
export async function request(method, url, body, headers) {
  const form = typeof FormData !== "undefined" && body instanceof FormData;
  const response = await fetch(url, { method, credentials: "same-origin",
    headers: Object.assign({ Accept: "application/json" },
      body === undefined || form ? {} : { "Content-Type": "application/json" }, headers || {}),
    body: body === undefined ? undefined : form ? body : JSON.stringify(body) });
  let answer = null;
  if (response.status !== 204) { try { answer = await response.json(); } catch (e) { answer = null; } }
  return { ok: response.ok, status: response.status, body: answer, headers: response.headers };
}

/** GET a JSON document; an HTTP error throws an Error carrying the problem's text. */
export async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) throw new Error(problemText({ status: response.status, body }));
  return body;
}

export function itemsUrl(layerId) {
  return "api/collections/" + encodeURIComponent(layerId) + "/items";
}

export function itemUrl(layerId, id) { return itemsUrl(layerId) + "/" + encodeURIComponent(id); }

/** A layer's schema (OGC API – Features Part 5: properties at the top, titles and value
 * labels in the page's language). */
export function schemaUrl(layerId) {
  return "api/collections/" + encodeURIComponent(layerId) + "/schema?lang=" + lang();
}

// A browser where staff logged in keeps a flag, so the session is resumed on the next visit;
// residents never have it: no extra request, no staff code.
const STAFF_FLAG = "geoservice-staff";

export function staffRemembered() {
  try { return localStorage.getItem(STAFF_FLAG) === "1"; } catch (e) { return false; }
}

export function rememberStaff() {
  try { localStorage.setItem(STAFF_FLAG, "1"); } catch (e) { /* private mode */ }
}

export function forgetStaff() {
  try { localStorage.removeItem(STAFF_FLAG); } catch (e) { /* private mode */ }
}
