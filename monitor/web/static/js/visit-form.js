/* Visit form: live skip logic and autosave for one checklist section.
 *
 * Plain script, no framework and nothing from another site (the page's Content-Security-Policy
 * allows only this site's files). The page works without it: the server applies skip logic
 * and checks on every save. With it:
 *   - a change is saved about a second later (sooner for a tick or a choice);
 *   - the server answers which questions are asked now, the computed values, any refused
 *     answers and the new lock version; questions not asked are hidden and their inputs
 *     disabled, so they are not sent;
 *   - unsaved changes are copied to this browser until they are saved: answers to confidential
 *     questions only for this tab (sessionStorage), others in localStorage; on the next load
 *     they are put back and saved;
 *   - a session that expired, a lost connection or someone else's change to the same answers
 *     shows a banner; nothing typed is thrown away.
 */
(function () {
  "use strict";

  // On the conflict page the changes travel in the form itself: the copy kept in the
  // browser would only bring them back after the person chose to discard them.
  var settled = document.querySelector("[data-forget-draft]");
  if (settled) {
    try {
      window.localStorage.removeItem(settled.getAttribute("data-forget-draft"));
      window.sessionStorage.removeItem(settled.getAttribute("data-forget-draft"));
    } catch (ignored) { /* storage disabled: nothing was kept */ }
  }

  var form = document.getElementById("visit-form");
  if (!form || !form.getAttribute("data-autosave-url")) {
    return;
  }
  var url = form.getAttribute("data-autosave-url");
  var storageKey = form.getAttribute("data-storage-key");
  var loginUrl = form.getAttribute("data-login-url");
  var messages = JSON.parse(document.getElementById("visit-form-messages").textContent);
  var statusBox = document.getElementById("autosave-status");
  var alertBox = document.getElementById("autosave-alert");
  var progressBox = document.getElementById("progress-text");
  var SKIP = { csrf_token: true, lock_version: true, base: true, present: true, action: true };
  var TYPING_DELAY = 1000;
  var CHOICE_DELAY = 300;
  var MAX_AGE_MS = 14 * 24 * 3600 * 1000;

  var timer = null;
  var inFlight = false;
  var queued = false;
  var clean = {};

  // -- reading the form ------------------------------------------------------------------------

  function fieldNames() {
    var names = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !SKIP[el.name] && el.type !== "submit" && el.type !== "button") {
        names[el.name] = true;
      }
    });
    return Object.keys(names);
  }

  function inputsNamed(name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }

  function valueOf(name) {
    var values = [];
    inputsNamed(name).forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { values.push(el.value); }
      } else {
        values.push(el.value);
      }
    });
    return values;
  }

  function setValue(name, values) {
    inputsNamed(name).forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values.indexOf(el.value) !== -1;
      } else {
        el.value = values.length ? values[0] : "";
      }
    });
  }

  function questionOf(name) {
    return document.getElementById("q-" + name.replace(/^q_/, ""));
  }

  function isSensitive(name) {
    var box = questionOf(name);
    return !!(box && box.classList.contains("is-sensitive"));
  }

  function state(enabledOnly) {
    var result = {};
    fieldNames().forEach(function (name) {
      var enabled = inputsNamed(name).some(function (el) { return !el.disabled; });
      if (!enabledOnly || enabled) { result[name] = JSON.stringify(valueOf(name)); }
    });
    return result;
  }

  function dirtyNames() {
    var now = state();
    return Object.keys(now).filter(function (name) { return now[name] !== clean[name]; });
  }

  // -- the copy kept in this browser -----------------------------------------------------------

  function store(area, value) {
    try {
      if (value === null) { area.removeItem(storageKey); } else { area.setItem(storageKey, value); }
    } catch (ignored) { /* storage full or disabled: the banner still tells the person */ }
  }

  function read(area) {
    try { return JSON.parse(area.getItem(storageKey) || "null"); } catch (ignored) { return null; }
  }

  function publicBase() {
    // The base holds every answer of the section; confidential ones never go to localStorage.
    var base = {};
    try { base = JSON.parse(form.elements.base.value); } catch (ignored) { base = {}; }
    Object.keys(base).forEach(function (id) {
      if (isSensitive("q_" + id)) { delete base[id]; }
    });
    return JSON.stringify(base);
  }

  function stash() {
    var dirty = dirtyNames();
    if (!dirty.length) { forget(); return; }
    var plain = {}, secret = {}, hasSecret = false;
    dirty.forEach(function (name) {
      if (isSensitive(name)) { secret[name] = valueOf(name); hasSecret = true; }
      else { plain[name] = valueOf(name); }
    });
    var meta = { version: form.elements.lock_version.value, at: Date.now() };
    store(window.localStorage, JSON.stringify({ meta: meta, base: publicBase(), fields: plain }));
    store(window.sessionStorage, hasSecret ? JSON.stringify(
      { meta: meta, base: form.elements.base.value, fields: secret }) : null);
  }

  function forget() {
    store(window.localStorage, null);
    store(window.sessionStorage, null);
  }

  function restore() {
    var kept = read(window.localStorage);
    var secret = read(window.sessionStorage);
    var copies = [kept, secret].filter(function (c) {
      return c && c.meta && Date.now() - c.meta.at < MAX_AGE_MS;
    });
    if (!copies.length) { forget(); return false; }
    var changed = false;
    copies.forEach(function (copy) {
      Object.keys(copy.fields || {}).forEach(function (name) {
        if (!inputsNamed(name).length) { return; }
        if (JSON.stringify(valueOf(name)) !== JSON.stringify(copy.fields[name])) {
          setValue(name, copy.fields[name]);
          changed = true;
        }
      });
    });
    if (!changed) { forget(); return false; }
    // Save against what the page showed when the changes were typed, so that anything
    // changed since by someone else shows up as a conflict instead of being overwritten.
    var origin = secret || kept;
    form.elements.lock_version.value = origin.meta.version;
    if (origin.base) { form.elements.base.value = origin.base; }
    return true;
  }

  // -- showing what the server said ------------------------------------------------------------

  function setStatus(text) {
    if (statusBox) { statusBox.textContent = text; }
  }

  function showAlert(text, action) {
    alertBox.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    alertBox.appendChild(p);
    if (action) { alertBox.appendChild(action); }
    alertBox.hidden = false;
  }

  function hideAlert() {
    alertBox.hidden = true;
    alertBox.textContent = "";
  }

  function setAsked(box, asked) {
    box.setAttribute("data-relevant", asked ? "true" : "false");
    box.classList.toggle("is-skipped", !asked);
    box.hidden = !asked;
    Array.prototype.forEach.call(box.querySelectorAll("input, textarea, select, button"),
      function (el) { el.disabled = !asked; });
  }

  function applyRelevance(ids) {
    var asked = {};
    ids.forEach(function (id) { asked[id] = true; });
    Array.prototype.forEach.call(form.querySelectorAll(".question"), function (box) {
      setAsked(box, !!asked[box.getAttribute("data-question")]);
    });
    refreshSections();
  }

  function refreshSections() {
    var parts = Array.prototype.slice.call(form.querySelectorAll("fieldset.subsection")).reverse();
    parts.forEach(function (part) {  // innermost first, so parents see their children's state
      var any = part.querySelector(".question:not([hidden])") !== null;
      part.hidden = !any;
      part.classList.toggle("is-skipped", !any);
    });
    var note = document.getElementById("section-skipped");
    if (note) { note.hidden = form.querySelector(".question:not([hidden])") !== null; }
  }

  function applyErrors(errors) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-error-for]"), function (line) {
      var id = line.getAttribute("data-error-for");
      var box = document.getElementById("q-" + id);
      var message = errors[id];
      line.textContent = message || "";
      line.hidden = !message;
      box.classList.toggle("has-error", !!message);
      Array.prototype.forEach.call(box.querySelectorAll("input:not([type=hidden]), textarea, fieldset"),
        function (el) {
          if (message) { el.setAttribute("aria-invalid", "true"); } else { el.removeAttribute("aria-invalid"); }
        });
    });
  }

  function applyComputed(values) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-computed]"), function (out) {
      var id = out.getAttribute("data-computed");
      out.textContent = values[id] !== undefined ? values[id] : "—";
    });
  }

  function applyProgress(progress) {
    if (progressBox && progress) {
      progressBox.textContent = messages.progress.replace("{done}", progress.required_answered)
        .replace("{total}", progress.required);
    }
  }

  // -- saving ----------------------------------------------------------------------------------

  function schedule(delay) {
    stash();
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay);
  }

  function signInLink() {
    var link = document.createElement("a");
    link.href = loginUrl;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = messages.sign_in;
    return link;
  }

  function compareButton() {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = messages.compare;
    button.addEventListener("click", function () {
      // A plain post of the form: the server answers with the conflict page.
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = "save";
      form.appendChild(action);
      form.submit();
    });
    return button;
  }

  function handle(status, data, sent) {
    if (status === 200) {
      form.elements.lock_version.value = data.version;
      form.elements.base.value = JSON.stringify(data.base || {});
      applyRelevance(data.relevant || []);
      applyComputed(data.values_computed || {});
      applyErrors(data.errors || {});
      applyProgress(data.progress);
      Object.keys(sent).forEach(function (name) {
        var id = name.replace(/^q_/, "");
        if (!(data.errors || {})[id]) { clean[name] = sent[name]; }
      });
      stash();
      hideAlert();
      // Answers restored into questions that were hidden until now are sent next.
      var waiting = dirtyNames().filter(function (name) {
        return !(name in sent) && inputsNamed(name).some(function (el) { return !el.disabled; });
      });
      if (waiting.length) { schedule(CHOICE_DELAY); }
      var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      setStatus(Object.keys(data.errors || {}).length ? messages.not_saved_errors
        : messages.saved_at.replace("{time}", time));
      return;
    }
    stash();
    setStatus("");
    if (status === 401 || status === 400) {
      showAlert(messages.expired, signInLink());
    } else if (status === 409 && data.conflicts) {
      showAlert(messages.conflict, compareButton());
    } else if (status === 409 || status === 403 || status === 404) {
      showAlert(messages.locked + " " + (data.error || ""));
    } else {
      showAlert(messages.failed);
    }
  }

  function save() {
    timer = null;
    if (inFlight) { queued = true; return; }
    inFlight = true;
    setStatus(messages.saving);
    var sent = state(true);
    var body = new FormData(form);
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": form.elements.csrf_token.value, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        handle(response.status, data, sent);
      });
    }, function () {
      stash();
      setStatus("");
      showAlert(messages.offline);
    }).then(function () {
      inFlight = false;
      if (queued) { queued = false; save(); }
    });
  }

  // -- wiring ----------------------------------------------------------------------------------

  function onEdit(event) {
    var el = event.target;
    if (!el.name || SKIP[el.name]) { return; }
    var quick = el.type === "radio" || el.type === "checkbox" || el.tagName === "SELECT";
    schedule(quick ? CHOICE_DELAY : TYPING_DELAY);
  }

  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);
  window.addEventListener("online", function () { if (dirtyNames().length) { schedule(0); } });
  window.addEventListener("pagehide", function () { if (dirtyNames().length) { stash(); } });

  // "Clear this answer" appears only under a choice that has an answer to clear.
  var clearButtons = Array.prototype.slice.call(form.querySelectorAll("[data-clear]"));
  function refreshClearButtons() {
    clearButtons.forEach(function (button) {
      button.hidden = valueOf("q_" + button.getAttribute("data-clear")).length === 0;
    });
  }
  clearButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      var id = button.getAttribute("data-clear");
      setValue("q_" + id, []);
      refreshClearButtons();
      var first = form.querySelector("#q-" + id + " input[type=radio]");
      if (first) { first.focus(); }
      schedule(CHOICE_DELAY);
    });
  });
  form.addEventListener("change", refreshClearButtons);
  refreshClearButtons();

  // What the server rendered: hide what skip logic does not ask yet.
  Array.prototype.forEach.call(form.querySelectorAll(".question"), function (box) {
    if (box.getAttribute("data-relevant") === "false") { setAsked(box, false); }
  });
  refreshSections();
  clean = state();
  if (restore()) {
    refreshClearButtons();
    showAlert(messages.restored);
    schedule(0);
  }
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
}());
