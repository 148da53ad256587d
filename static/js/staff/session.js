/* The staff session: the account logged in, its permissions, and requests carrying the
 * session's CSRF token (shared by every staff screen). */

import { request } from "../api.js";
import { register } from "../i18n.js";
import { status } from "../map.js";

const t = register({
  fr: { session_over: "Session expirée : reconnectez-vous." },
  en: { session_over: "Session expired: log in again." },
});

/** The account (`/api/me`): email, role, permissions per layer, CSRF token. */
export const session = { me: null };

export function may(layerId, action) { return (session.me.permissions[layerId] || []).indexOf(action) >= 0; }

/** A write (or a staff read) with the session's CSRF token; 401 says the session ended. */
export async function send(method, url, body, headers) {
  const out = await request(method, url, body, Object.assign({
    Accept: "application/geo+json, application/json", "X-CSRF-Token": session.me.csrf }, headers || {}));
  out.etag = out.headers.get("ETag");
  if (out.status === 401) status(t("session_over"));
  return out;
}
