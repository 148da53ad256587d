/* The address search (the BAN, through the service's /api/geocode/search): one widget for
 * the residents' search, "Suis-je dans un QPV ?", the editor and residents' proposals. */

import { getJSON } from "./api.js";
import { el } from "./dom.js";

/** Addresses matching `query` (GeoJSON features, best first); throws if the geocoder is down. */
export async function findAddresses(query, limit) {
  const answer = await getJSON("api/geocode/search?limit=" + (limit || 5) + "&q=" + encodeURIComponent(query));
  return answer.features || [];
}

/**
 * Search `query` and append one button per address found to `list` (a `<ul>`).
 *
 * Options: `limit`; `minLength` (shorter queries are not sent, nothing is said);
 * `content(feature)` → the button's children (default: its label); `onPick(feature)`;
 * `none` → the text said when nothing is found; `failed(error)` → the text said when the
 * geocoder does not answer. Returns the addresses found (null if not searched or failed).
 */
export async function addressSearch(list, query, options) {
  query = String(query || "").trim();
  if (!query || query.length < (options.minLength || 1)) return null;
  let found;
  try { found = await findAddresses(query, options.limit); } catch (err) {
    list.appendChild(el("li", { className: "help", text: options.failed(err) }));
    return null;
  }
  if (!found.length && options.none) list.appendChild(el("li", { className: "help", text: options.none }));
  found.forEach((feature) => {
    const content = options.content ? options.content(feature) : [feature.properties.label];
    list.appendChild(el("li", {}, [el("button", { type: "button",
      onclick: () => options.onPick(feature) }, content)]));
  });
  return found;
}

/** A feature's point as [lat, lon]. */
export function latLon(feature) {
  const c = feature.geometry.coordinates;
  return [c[1], c[0]];
}
