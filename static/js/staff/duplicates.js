/* The editor's side of likely duplicates: a creation answered 409 « doublon-probable » shows
 * the candidates in the form (js/duplicates.js draws them). « C'est le même lieu » drops the
 * new feature and opens the existing one for editing; « C'est un autre lieu » sends the
 * creation again with Geoservice-Duplicate: distinct. Kept apart from form.js, whose conflict
 * screen is another concern. */

import { itemUrl, problemText } from "../api.js";
import { clear } from "../dom.js";
import { duplicateBox, showCandidate } from "../duplicates.js";
import { status } from "../map.js";
import { send } from "./session.js";

/** Show `candidates` in `node` (the form's summary); `onDistinct()` resends the creation;
 * `openForm(layerId, feature, etag)` and `closeForm()` are the form's. */
export function showDuplicates(node, candidates, onDistinct, openForm, closeForm) {
  var box = duplicateBox(candidates, async function (candidate) {
    closeForm();
    showCandidate(candidate);
    var answer = await send("GET", itemUrl(candidate.collection, candidate.id));
    if (!answer.ok) { status(problemText(answer)); return; }
    openForm(candidate.collection, answer.body, answer.etag);
  }, onDistinct);
  clear(node).appendChild(box);
  box.focus();
}
