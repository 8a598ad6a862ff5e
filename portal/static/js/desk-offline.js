/* The circulation desk offline: when the server cannot be reached, a scan is kept in localStorage with its
   original time and an id made here, and the saved scans are posted to /staff/desk/sync as one batch when
   the server answers again. The server applies them in original-time order (circulation/offline.py); a
   resend of the same id changes nothing, so a batch cut off halfway is simply sent again. Without this
   script the desk works online as before. */
(function () {
  "use strict";
  var KEY = "grenselos-desk-offline";
  var box = document.getElementById("desk-offline");
  if (!box || !window.localStorage || !window.fetch || !window.JSON) { return; }
  var sending = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function store(queue) { localStorage.setItem(KEY, JSON.stringify(queue)); }
  function say(template, n) {
    box.textContent = template.replace("%(n)s", String(n));
    box.className = "desk-message ok";
    box.hidden = false;
  }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }
  function timeout(ms) {
    if (!window.AbortController) { return {}; }
    var control = new AbortController();
    setTimeout(function () { control.abort(); }, ms);
    return {signal: control.signal};
  }
  function reachable() {
    if (navigator.onLine === false) { return Promise.resolve(false); }
    var options = timeout(10000);            // a busy server is slow, not gone: queue only when it is silent
    options.cache = "no-store";
    options.credentials = "same-origin";
    options.headers = {"Accept": "application/json"};
    return fetch(box.dataset.sync, options).then(function (r) { return r.ok; }, function () { return false; });
  }
  function keep(form, kind) {
    var field = form.querySelector("[name=barcode]");
    var card = form.querySelector("[name=card]");
    var queue = load();
    queue.push({id: newId(), kind: kind, barcode: field.value.trim(), card: card ? card.value : "",
                at: new Date().toISOString()});
    store(queue);
    say(box.dataset.queued, queue.length);
    field.value = "";
    field.focus();
  }
  function offlineCheckout(cardForm) {
    var card = cardForm.querySelector("[name=card]").value.trim();
    var form = document.getElementById("desk-offline-checkout");
    if (!form || !card) { return; }
    form.querySelector("[name=card]").value = card;
    form.hidden = false;
    cardForm.hidden = true;
    form.querySelector("[name=barcode]").focus();
  }
  function flush() {
    var queue = load();
    if (sending || !queue.length) { return Promise.resolve(); }
    sending = true;
    return fetch(box.dataset.sync, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": box.dataset.csrf},
      body: JSON.stringify({transactions: queue})
    }).then(function (r) {
      if (!r.ok) { throw new Error("sync " + r.status); }
      return r.json();
    }).then(function (answer) {
      var done = {};
      answer.results.forEach(function (r) { done[r.id] = true; });
      store(load().filter(function (t) { return !done[t.id]; }));
      say(box.dataset.sent, answer.results.length);
      if (answer.conflicts) {
        box.textContent += " " + box.dataset.conflicts.replace("%(n)s", String(answer.conflicts));
      }
      box.dataset.state = "sent";
    }, function () { /* still unreachable: the scans stay saved */ }).then(function () { sending = false; });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-offline]"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      reachable().then(function (up) {
        if (up) {
          flush().then(function () { form.submit(); });
        } else if (form.dataset.offline === "card") {
          offlineCheckout(form);
        } else {
          keep(form, form.dataset.offline);
        }
      });
    });
  });
  window.addEventListener("online", flush);
  setInterval(function () {                       // a server back without an "online" event (a bus's router)
    if (load().length && !sending) { reachable().then(function (up) { if (up) { flush(); } }); }
  }, 15000);
  if (load().length) { reachable().then(function (up) { if (up) { flush(); } else { say(box.dataset.queued, load().length); } }); }
}());
