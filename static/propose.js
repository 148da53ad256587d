/* Residents' contributions, without an account: propose a place, report a need, report a
 * problem on a feature's card, and follow a proposal with its secret link (#suivi=ID.KEY).
 *
 * Everything goes to POST /api/proposals and waits for a moderator: the public map does not
 * change before. Every text from the data or the server is written as DOM text, never as
 * HTML. The follow-up key travels after "#", so it never reaches a server log.
 */
(function () {
  "use strict";

  var TEXT = {
    fr: {
      title: "Contribuer", help: "Vos propositions sont relues par l'équipe avant d'apparaître sur la carte.",
      place: "Proposer un lieu", need: "Signaler un besoin", report: "Signaler un problème",
      place_title: "Proposer un lieu ESS", need_title: "Signaler un besoin dans un quartier",
      report_title: "Signaler un problème : ", kind_layer: "Type de lieu",
      name: "Nom du lieu", need_name: "Le besoin en quelques mots", defis: "Défi(s) concerné(s)",
      type: "Catégorie", address: "Adresse", description: "Description",
      need_description: "Décrivez le besoin (qui, quoi, où)", spotted: "Repéré par",
      contact: "Contact (facultatif) : e-mail ou téléphone, vu seulement par l'équipe de modération, effacé après 90 jours",
      note: "Message à l'équipe (facultatif)", problem: "Quel est le problème ?",
      comment: "Précisez", position: "Où ?", position_help: "Cherchez l'adresse, utilisez votre position, ou touchez la carte.",
      search: "Chercher l'adresse", search_go: "Chercher", locate: "Utiliser ma position",
      none: "Aucune adresse trouvée.", unavailable: "Recherche d'adresse indisponible : touchez la carte ou utilisez votre position.",
      placed: "Position retenue : ", placed_map: "Position retenue : le point touché sur la carte.",
      placed_gps: "Position retenue : votre position.", no_point: "Pas encore de position.",
      send: "Envoyer", cancel: "Annuler", required: " (obligatoire)", sending: "Envoi…",
      thanks: "Merci ! Votre proposition est enregistrée. L'équipe la relira avant publication.",
      keep: "Gardez ce lien pour suivre votre proposition (il est secret : ne le partagez pas) :",
      follow_link: "Suivre ma proposition", invalid: "La proposition n'a pas été envoyée. À corriger :",
      failed: "Échec de l'envoi : ", too_many: "Trop de propositions depuis cette connexion. Réessayez dans ",
      minutes: " min.", follow_title: "Suivi de votre proposition", follow_failed: "Lien de suivi inconnu ou incorrect.",
      st_pending: "En attente de relecture", st_accepted: "Acceptée : publiée sur la carte",
      st_rejected: "Refusée", st_report_accepted: "Traité par l'équipe", moderator_says: "Message de l'équipe : ",
      sent_on: "Envoyée le ", show: "Voir sur la carte", close: "Fermer", honeypot: "Ne pas remplir",
      p_n_existe_plus: "N'existe plus", p_information_fausse: "Information fausse", p_doublon: "Doublon", p_autre: "Autre",
      s_maison_des_citoyens: "Maison des Citoyens", s_habitant: "Habitant·e", s_equipe: "Équipe (Première Brique, Métropole)",
      s_association: "Association", s_autre: "Autre",
    },
    en: {
      title: "Contribute", help: "Your proposals are reviewed by the team before they appear on the map.",
      place: "Propose a place", need: "Report a need", report: "Report a problem",
      place_title: "Propose an ESS place", need_title: "Report a need in a neighbourhood",
      report_title: "Report a problem: ", kind_layer: "Kind of place",
      name: "Name of the place", need_name: "The need in a few words", defis: "Challenge(s)",
      type: "Category", address: "Address", description: "Description",
      need_description: "Describe the need (who, what, where)", spotted: "Spotted by",
      contact: "Contact (optional): e-mail or phone, seen only by the moderators, erased after 90 days",
      note: "Message to the team (optional)", problem: "What is wrong?",
      comment: "Details", position: "Where?", position_help: "Search the address, use your position, or tap the map.",
      search: "Search the address", search_go: "Search", locate: "Use my position",
      none: "No address found.", unavailable: "Address search unavailable: tap the map or use your position.",
      placed: "Chosen position: ", placed_map: "Chosen position: the point tapped on the map.",
      placed_gps: "Chosen position: your position.", no_point: "No position yet.",
      send: "Send", cancel: "Cancel", required: " (required)", sending: "Sending…",
      thanks: "Thank you! Your proposal is recorded. The team will review it before publication.",
      keep: "Keep this link to follow your proposal (it is secret: do not share it):",
      follow_link: "Follow my proposal", invalid: "The proposal was not sent. To fix:",
      failed: "Sending failed: ", too_many: "Too many proposals from this connection. Try again in ",
      minutes: " min.", follow_title: "Your proposal", follow_failed: "Unknown or wrong follow-up link.",
      st_pending: "Waiting for review", st_accepted: "Accepted: published on the map",
      st_rejected: "Rejected", st_report_accepted: "Handled by the team", moderator_says: "Message from the team: ",
      sent_on: "Sent on ", show: "Show on the map", close: "Close", honeypot: "Do not fill",
      p_n_existe_plus: "No longer exists", p_information_fausse: "Wrong information", p_doublon: "Duplicate", p_autre: "Other",
      s_maison_des_citoyens: "Maison des Citoyens", s_habitant: "Resident", s_equipe: "Team (Première Brique, Métropole)",
      s_association: "Association", s_autre: "Other",
    },
  };
  var PROBLEMS = ["n_existe_plus", "information_fausse", "doublon", "autre"];
  var SPOTTERS = ["habitant", "maison_des_citoyens", "association", "equipe", "autre"];
  var FOLLOW = /^#(?:.*&)?suivi=(p-[0-9a-f]{10})\.([A-Za-z0-9_-]{20,64})(?:&|$)/;
  var initialFollow = FOLLOW.exec(location.hash);  // read before the map rewrites the hash

  var app, el, $, clear, work = null, pin = null, seq = 0;

  function tt(key) { var lang = app.state.lang; return (TEXT[lang] || TEXT.fr)[key] || TEXT.fr[key] || key; }

  function problemText(answer) {
    return (answer.body && (answer.body.detail || answer.body.title)) || ("HTTP " + answer.status);
  }

  function editableLayers() {
    return app.state.order.filter(function (id) { return app.state.layers[id].def.editable; });
  }

  // -- the point -----------------------------------------------------------------------------

  function setPoint(lat, lon, how, pan) {
    if (!work) return;
    work.point = [Number(lon.toFixed(6)), Number(lat.toFixed(6))];
    work.precision = how === "housenumber" ? "adresse" : how === "street" ? "rue" : how === "map" || how === "gps" ? "rue" : "quartier";
    if (!pin) {
      pin = L.marker([lat, lon], { keyboard: false, interactive: false, zIndexOffset: 1000, alt: tt("position"),
        icon: L.divIcon({ html: el("span"), className: "pin proposal-pin", iconSize: [22, 22], iconAnchor: [11, 22] }) });
      pin.addTo(app.state.map);
    } else pin.setLatLng([lat, lon]);
    if (pan) app.whenIdle(function () { app.state.map.setView([lat, lon], Math.max(app.state.map.getZoom(), 16)); });
  }

  function removePin() { if (pin) { app.state.map.removeLayer(pin); pin = null; } }

  function onMapClick(event) {
    if (!work || !work.needsPoint) return;
    var target = event.originalEvent && event.originalEvent.target;
    if (target && target.closest && target.closest(".leaflet-marker-icon")) return;
    setPoint(event.latlng.lat, event.latlng.lng, "map", false);
    work.chosen.textContent = tt("placed_map");
  }

  // -- form parts ----------------------------------------------------------------------------

  function uid(name) { seq += 1; return "pr-" + name + "-" + seq; }

  function field(label, input, required) {
    input.id = input.id || uid("f");
    return el("div", { className: "field" }, [
      el("label", { for: input.id, text: label + (required ? tt("required") : "") }), input,
      el("p", { className: "field-error", id: input.id + "-err" })]);
  }

  function checks(legend, values, labelOf, name) {
    var box = el("fieldset", { className: "checks", id: uid(name) }, [el("legend", { text: legend + tt("required") })]);
    values.forEach(function (value) {
      var id = uid(name);
      box.appendChild(el("label", { for: id }, [el("input", { type: "checkbox", id: id, value: value, name: name }), " " + labelOf(value)]));
    });
    box.appendChild(el("p", { className: "field-error", id: box.id + "-err" }));
    return box;
  }

  function checked(box) {
    return Array.prototype.filter.call(box.querySelectorAll("input"), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
  }

  function select(values, labelOf) {
    return el("select", {}, values.map(function (v) { return el("option", { value: v, text: labelOf(v) }); }));
  }

  function positionPart() {
    var address = el("input", { type: "search", autocomplete: "street-address", id: uid("address") });
    var list = el("ul", { className: "results", "aria-live": "polite" });
    var chosen = el("p", { className: "help chosen", tabindex: "-1", "aria-live": "polite", text: tt("no_point") });
    var go = async function () {
      clear(list);
      var q = address.value.trim();
      if (q.length < 3) return;
      var answer;
      try { answer = await app.getJSON("api/geocode/search?limit=5&q=" + encodeURIComponent(q)); } catch (e) {
        list.appendChild(el("li", { className: "help", text: tt("unavailable") }));
        return;
      }
      var found = answer.features || [];
      if (!found.length) list.appendChild(el("li", { className: "help", text: tt("none") }));
      found.forEach(function (f) {
        var c = f.geometry.coordinates, label = f.properties.label;
        list.appendChild(el("li", {}, [el("button", { type: "button", text: label, onclick: function () {
          setPoint(c[1], c[0], f.properties.type, true);
          work.address = label;
          chosen.textContent = tt("placed") + label;
          clear(list);
          chosen.focus();
        } })]));
      });
    };
    address.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); go(); } });
    var locate = el("button", { type: "button", className: "secondary", text: tt("locate"), onclick: function () {
      if (!navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition(function (pos) {
        setPoint(pos.coords.latitude, pos.coords.longitude, "gps", true);
        chosen.textContent = tt("placed_gps");
        chosen.focus();
      }, function () { chosen.textContent = tt("unavailable"); }, { timeout: 10000 });
    } });
    var node = el("fieldset", { className: "position", id: uid("position") }, [
      el("legend", { text: tt("position") + tt("required") }), el("p", { className: "help", text: tt("position_help") }),
      el("label", { for: address.id, text: tt("search") }),
      el("div", { className: "row" }, [address, el("button", { type: "button", text: tt("search_go"), onclick: go })]),
      list, locate, chosen, el("p", { className: "field-error", id: "pr-geometry-err" })]);
    return { node: node, chosen: chosen };
  }

  function honeypot() {
    var id = uid("site");
    var input = el("input", { type: "text", id: id, name: "site_web", tabindex: "-1", autocomplete: "off" });
    return { input: input, node: el("div", { className: "hp", "aria-hidden": "true" }, [el("label", { for: id, text: tt("honeypot") }), input]) };
  }

  function begin(heading, opener) {
    close(true);
    var box = clear($("contrib-work"));
    var h = el("h3", { tabindex: "-1", id: "contrib-heading", text: heading });
    var summary = el("div", { className: "errors", role: "alert", tabindex: "-1", id: "contrib-errors" });
    var form = el("form", { id: "contrib-form", novalidate: "" });
    box.appendChild(h);
    box.appendChild(summary);
    box.appendChild(form);
    work = { form: form, summary: summary, point: null, precision: null, needsPoint: false, opener: opener,
      labels: {}, errors: {} };
    return { heading: h, form: form };
  }

  function buttons(form, onSend) {
    var hp = honeypot();
    form.appendChild(hp.node);
    form.appendChild(el("div", { className: "row" }, [el("button", { type: "submit", id: "contrib-send", text: tt("send") }),
      el("button", { type: "button", className: "secondary", text: tt("cancel"), onclick: function () { close(); } })]));
    form.addEventListener("submit", function (event) { event.preventDefault(); onSend(hp.input.value); });
  }

  function close(silent) {
    removePin();
    app.state.picking = false;
    var opener = work && work.opener;
    work = null;
    clear($("contrib-work"));
    if (!silent && opener && document.contains(opener)) opener.focus();
  }

  // -- sending -------------------------------------------------------------------------------

  async function send(body, hp) {
    if (hp) body.site_web = hp;
    var button = $("contrib-send");
    button.disabled = true;
    button.textContent = tt("sending");
    var answer;
    try { answer = await app.requestJSON("POST", "api/proposals", body); } catch (e) {
      answer = { ok: false, status: 0, body: { detail: e.message } };
    }
    button.disabled = false;
    button.textContent = tt("send");
    if (answer.status === 202) { confirmSent(answer.body); return; }
    var summary = clear(work.summary);
    Array.prototype.forEach.call(work.form.querySelectorAll(".field-error"), function (p) { p.textContent = ""; });
    if (answer.status === 422 && answer.body && answer.body.errors) {
      summary.appendChild(el("p", { text: tt("invalid") }));
      var list = el("ul");
      answer.body.errors.forEach(function (e) {
        list.appendChild(el("li", { text: (work.labels[e.field] || e.field) + " : " + e.message }));
        var target = work.errors[e.field];
        if (target) target.textContent = e.message;
      });
      summary.appendChild(list);
    } else if (answer.status === 429) {
      var wait = Number(answer.headers.get("Retry-After") || 60);
      summary.appendChild(el("p", { text: tt("too_many") + Math.ceil(wait / 60) + tt("minutes") }));
    } else summary.appendChild(el("p", { text: tt("failed") + problemText(answer) }));
    summary.focus();
  }

  function confirmSent(made) {
    var opener = work && work.opener;
    close(true);
    remember(made);
    var box = clear($("contrib-work"));
    var h = el("h3", { tabindex: "-1", id: "contrib-heading", text: tt("thanks") });
    box.appendChild(h);
    box.appendChild(el("p", { text: tt("keep") }));
    box.appendChild(el("p", { className: "follow-link" }, [el("a", { href: made.follow, id: "contrib-follow", text: tt("follow_link") })]));
    box.appendChild(el("p", {}, [el("code", { className: "follow-url", text: made.follow })]));
    box.appendChild(el("button", { type: "button", className: "secondary", text: tt("close"), onclick: function () {
      clear(box); if (opener && document.contains(opener)) opener.focus();
    } }));
    h.focus();
  }

  function remember(made) {
    try {
      var kept = JSON.parse(localStorage.getItem("geoservice-proposals") || "[]");
      kept.unshift({ id: made.id, follow: made.follow });
      localStorage.setItem("geoservice-proposals", JSON.stringify(kept.slice(0, 20)));
    } catch (e) { /* private mode: the link on screen is enough */ }
  }

  // -- the three forms -----------------------------------------------------------------------

  async function openPlace(opener) {
    var layers = editableLayers().filter(function (id) { return id !== "besoins"; });
    var f = begin(tt("place_title"), opener);
    var layer = select(layers, function (id) { return app.title(app.state.layers[id].def.title); });
    var typeBox = el("div");
    var name = el("input", { type: "text", maxlength: "200", autocomplete: "off" });
    var defis = checks(tt("defis"), Object.keys(app.state.config.defis), app.defiTitle, "defi");
    var description = el("textarea", { rows: "3", maxlength: "2000" });
    var contact = el("input", { type: "text", maxlength: "200", autocomplete: "email" });
    var note = el("textarea", { rows: "2", maxlength: "2000" });
    var pos = positionPart();
    var typeSelect = null;
    async function types() {
      clear(typeBox);
      typeSelect = null;
      var schema = await app.getJSON("api/collections/" + encodeURIComponent(layer.value) + "/schema");
      var spec = schema.properties.properties.properties.type || {};
      var values = (spec.enum || []).filter(function (v) { return v !== null; });
      if (values.length > 1) {
        typeSelect = select(values, function (v) { return String(v).replace(/_/g, " "); });
        typeBox.appendChild(field(tt("type"), typeSelect, true));
        work.errors.type = typeBox.querySelector(".field-error");
      }
    }
    layer.addEventListener("change", types);
    [field(tt("kind_layer"), layer, true), typeBox, field(tt("name"), name, true), defis, pos.node,
      field(tt("description"), description), field(tt("contact"), contact), field(tt("note"), note)]
      .forEach(function (n) { f.form.appendChild(n); });
    work.needsPoint = app.state.picking = true;
    work.chosen = pos.chosen;
    work.labels = { nom: tt("name"), defi: tt("defis"), geometry: tt("position"), type: tt("type"), description: tt("description"), contact: tt("contact"), note: tt("note") };
    work.errors = { nom: name.nextSibling, defi: $(defis.id + "-err"), geometry: $("pr-geometry-err") };
    buttons(f.form, function (hp) {
      var props = { nom: name.value.trim(), defi: checked(defis), precision: work.precision || undefined };
      if (typeSelect) props.type = typeSelect.value;
      if (description.value.trim()) props.description = description.value.trim();
      if (work.address) props.adresse = work.address;
      send({ collection: layer.value, contact: contact.value.trim() || undefined, note: note.value.trim() || undefined,
        feature: { type: "Feature", geometry: work.point ? { type: "Point", coordinates: work.point } : null, properties: props } }, hp);
    });
    f.heading.focus();
    await types();
  }

  function openNeed(opener) {
    var f = begin(tt("need_title"), opener);
    var name = el("input", { type: "text", maxlength: "200", autocomplete: "off" });
    var defis = checks(tt("defis"), Object.keys(app.state.config.defis), app.defiTitle, "defi");
    var description = el("textarea", { rows: "3", maxlength: "2000" });
    var spotted = select(SPOTTERS, function (v) { return tt("s_" + v); });
    var contact = el("input", { type: "text", maxlength: "200", autocomplete: "email" });
    var pos = positionPart();
    [field(tt("need_name"), name, true), defis, field(tt("need_description"), description, true), pos.node,
      field(tt("spotted"), spotted, true), field(tt("contact"), contact)].forEach(function (n) { f.form.appendChild(n); });
    work.needsPoint = app.state.picking = true;
    work.chosen = pos.chosen;
    work.labels = { nom: tt("need_name"), defi: tt("defis"), description: tt("need_description"), geometry: tt("position"), signale_par: tt("spotted"), contact: tt("contact") };
    work.errors = { nom: name.nextSibling, defi: $(defis.id + "-err"), description: description.nextSibling, geometry: $("pr-geometry-err") };
    buttons(f.form, function (hp) {
      var props = { nom: name.value.trim(), defi: checked(defis), description: description.value.trim(),
        signale_par: spotted.value, precision: work.precision || undefined };
      if (work.address) props.adresse = work.address;
      send({ collection: "besoins", contact: contact.value.trim() || undefined,
        feature: { type: "Feature", geometry: work.point ? { type: "Point", coordinates: work.point } : null, properties: props } }, hp);
    });
    f.heading.focus();
  }

  function openReport(layer, props, opener) {
    var f = begin(tt("report_title") + (props.nom || props.id), opener);
    var problem = el("fieldset", { className: "checks", id: uid("problem") }, [el("legend", { text: tt("problem") + tt("required") })]);
    PROBLEMS.forEach(function (p, i) {
      var id = uid("problem");
      problem.appendChild(el("label", { for: id }, [el("input", { type: "radio", name: "problem", id: id, value: p, checked: i === 0 ? "" : null }), " " + tt("p_" + p)]));
    });
    problem.appendChild(el("p", { className: "field-error", id: problem.id + "-err" }));
    var comment = el("textarea", { rows: "3", maxlength: "2000" });
    var contact = el("input", { type: "text", maxlength: "200", autocomplete: "email" });
    [problem, field(tt("comment"), comment), field(tt("contact"), contact)].forEach(function (n) { f.form.appendChild(n); });
    work.labels = { problem: tt("problem"), note: tt("comment"), contact: tt("contact") };
    work.errors = { problem: $(problem.id + "-err"), note: comment.nextSibling };
    buttons(f.form, function (hp) {
      var picked = problem.querySelector("input:checked");
      send({ collection: layer.def.id, target: String(props.id), problem: picked ? picked.value : null,
        note: comment.value.trim() || undefined, contact: contact.value.trim() || undefined }, hp);
    });
    var panel = $("panel");
    if (panel.scrollIntoView) $("contrib").scrollIntoView({ block: "start" });
    f.heading.focus();
  }

  // -- following a proposal ------------------------------------------------------------------

  async function showFollow(id, key) {
    close(true);
    var box = clear($("contrib-work"));
    var h = el("h3", { tabindex: "-1", id: "contrib-heading", text: tt("follow_title") });
    box.appendChild(h);
    var answer = await app.requestJSON("GET", "api/proposals/" + encodeURIComponent(id), undefined,
      { "Geoservice-Follow-Key": key });
    if (!answer.ok) { box.appendChild(el("p", { role: "alert", text: tt("follow_failed") })); h.focus(); return; }
    var p = answer.body;
    var props = (p.feature && p.feature.properties) || {};
    var status = p.kind === "report" && p.status === "accepted" ? tt("st_report_accepted") : tt("st_" + p.status);
    box.appendChild(el("p", { className: "follow-status status-" + p.status, id: "follow-status" }, [el("strong", { text: status })]));
    if (props.nom) box.appendChild(el("p", { lang: "fr", text: props.nom }));
    if (p.problem_label) box.appendChild(el("p", { lang: "fr", text: tt("report") + " : " + p.problem_label }));
    box.appendChild(el("p", { className: "help", text: tt("sent_on") + new Date(p.created_at).toLocaleDateString(app.state.lang === "en" ? "en-GB" : "fr-FR") }));
    if (p.message) box.appendChild(el("p", { id: "follow-message" }, [tt("moderator_says"), el("span", { lang: "fr", text: p.message })]));
    if (p.published) {
      box.appendChild(el("button", { type: "button", className: "secondary", text: tt("show"), onclick: async function () {
        var layer = await app.reloadLayer(p.collection);
        var item = layer.byId[p.published.split("/").pop()];
        if (item) app.select(item, true);
      } }));
    }
    $("contrib").scrollIntoView({ block: "start" });
    h.focus();
  }

  // -- wiring --------------------------------------------------------------------------------

  function cardButton(layer, props, node) {
    if (!layer.def.editable || props.id === undefined || app.state.me) return;
    node.appendChild(el("div", { className: "edit-actions" }, [el("button", { type: "button", className: "secondary report-button",
      text: tt("report"), onclick: function (event) { openReport(layer, props, event.currentTarget); } })]));
  }

  function render() {
    var box = $("contrib");
    clear(box);
    box.appendChild(el("h2", { id: "contrib-title", text: tt("title") }));
    box.appendChild(el("p", { className: "help", text: tt("help") }));
    box.appendChild(el("div", { className: "row" }, [
      el("button", { type: "button", id: "propose-place", className: "secondary", text: tt("place"), onclick: function (e) { openPlace(e.currentTarget); } }),
      el("button", { type: "button", id: "propose-need", className: "secondary", text: tt("need"), onclick: function (e) { openNeed(e.currentTarget); } })]));
    box.appendChild(el("div", { id: "contrib-work", className: "editor contrib-work" }));
  }

  window.GS_PROPOSE = function (api) {
    app = api; el = api.el; $ = api.$; clear = api.clear;
    render();
    if (app.state.cardHooks.indexOf(cardButton) < 0) app.state.cardHooks.push(cardButton);
    app.state.map.on("click", onMapClick);
    window.addEventListener("hashchange", function () {
      var found = FOLLOW.exec(location.hash);
      if (found) showFollow(found[1], found[2]);
    });
    if (initialFollow) showFollow(initialFollow[1], initialFollow[2]);
    document.body.setAttribute("data-propose", "ready");
  };
})();
