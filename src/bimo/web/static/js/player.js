/* BiMo test player: a durable answer queue and a server-driven timer.
 *
 * Every answer change is first written to IndexedDB with the next sequence number (one
 * transaction: event + counter + answer snapshot), then sent to /test/api/antworten. Events
 * leave the queue only up to the server's "bestaetigt_bis", which the server sends after its
 * commit, so a lost request, a network cut, a browser crash or a server crash loses nothing:
 * whatever is still queued is sent again, and the server recognises re-sent sequence numbers.
 * The next number continues from max(local counter, server "letzte_seq") + 1.
 *
 * No inline script (CSP): configuration comes from data attributes of #spieler.
 */
(function () {
  "use strict";

  var root = document.getElementById("spieler");
  if (!root) {
    return;
  }
  var versuch = root.dataset.versuch;
  var csrf = root.dataset.csrf;
  var apiAntworten = root.dataset.apiAntworten;
  var apiStand = root.dataset.apiStand;
  var seite = root.dataset.seite;
  var block = Number(root.dataset.block);
  var container = document.getElementById("aufgaben");
  var sections = Array.prototype.slice.call(container.querySelectorAll("section.aufgabe"));
  var statusEl = document.getElementById("sync-status");
  var timerEl = document.getElementById("restzeit");
  var announceEl = document.getElementById("zeit-ansage");
  var pauseEl = document.getElementById("pause-hinweis");
  var form = document.getElementById("abschluss");
  var formMsg = document.getElementById("abschluss-meldung");
  var BATCH = 200;
  var TEXTS = {
    laden: "Antworten werden geladen …",
    gespeichert: "Alle Antworten gespeichert.",
    ausstehend: "Antwort auf diesem Gerät gesichert – wird gesendet …",
    offline: "Offline – Antworten sicher gespeichert. Sie werden gesendet, sobald die Verbindung wieder da ist.",
    fehler: "Verbindung gestört – Antworten sicher auf diesem Gerät gespeichert. Neuer Versuch in Kürze.",
  };

  /* ---------------------------------------------------------------- the durable queue -- */

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function done(tx) {
    return new Promise(function (resolve, reject) {
      tx.oncomplete = function () { resolve(); };
      tx.onabort = tx.onerror = function () { reject(tx.error || new Error("abgebrochen")); };
    });
  }

  // IndexedDB: "ereignisse" keyed [versuch, seq]; "meta" keyed versuch holds the counter and
  // the snapshot of this device's answers (used when the server cannot be reached on load).
  var IdbQueue = {
    db: null,
    open: function () {
      var self = this;
      return new Promise(function (resolve, reject) {
        var req = window.indexedDB.open("bimo-testspieler", 1);
        req.onupgradeneeded = function () {
          var db = req.result;
          db.createObjectStore("ereignisse", { keyPath: ["versuch", "seq"] });
          db.createObjectStore("meta", { keyPath: "versuch" });
        };
        req.onsuccess = function () { self.db = req.result; resolve(); };
        req.onerror = function () { reject(req.error); };
        req.onblocked = function () { reject(new Error("blockiert")); };
      });
    },
    range: function (upTo) {
      return IDBKeyRange.bound([versuch, 0], [versuch, upTo]);
    },
    meta: function () {
      var tx = this.db.transaction("meta", "readonly");
      return request(tx.objectStore("meta").get(versuch)).then(function (m) {
        return m || { versuch: versuch, seq: 0, antworten: {} };
      });
    },
    add: function (item, value, floor) {
      // "strict": the change is on disk (fsync) before it counts as saved, so not even a
      // power cut of the laptop loses it.
      var tx = this.db.transaction(["ereignisse", "meta"], "readwrite", { durability: "strict" });
      var metaStore = tx.objectStore("meta");
      var events = tx.objectStore("ereignisse");
      var seq = 0;
      request(metaStore.get(versuch)).then(function (m) {
        m = m || { versuch: versuch, seq: 0, antworten: {} };
        seq = Math.max(m.seq, floor) + 1;
        m.seq = seq;
        m.antworten[item] = value;
        events.put({ versuch: versuch, seq: seq, item: item, value: value });
        metaStore.put(m);
      });
      return done(tx).then(function () { return seq; });
    },
    pending: function (limit) {
      var tx = this.db.transaction("ereignisse", "readonly");
      var store = tx.objectStore("ereignisse");
      var all = this.range(Number.MAX_SAFE_INTEGER);
      return request(limit ? store.getAll(all, limit) : store.getAll(all));
    },
    // With nothing queued the server's number is the truth (a stale local counter, e.g. of a
    // database that was reset, would otherwise leave a gap the server never acknowledges).
    resetCounter: function (seq) {
      var tx = this.db.transaction("meta", "readwrite");
      var metaStore = tx.objectStore("meta");
      request(metaStore.get(versuch)).then(function (m) {
        m = m || { versuch: versuch, seq: 0, antworten: {} };
        m.seq = seq;
        metaStore.put(m);
      });
      return done(tx);
    },
    dropUpTo: function (seq) {
      var tx = this.db.transaction("ereignisse", "readwrite");
      tx.objectStore("ereignisse").delete(this.range(seq));
      return done(tx);
    },
    // After a sequence conflict: the pending events get fresh numbers above the server's,
    // in their original order (the last change of an item stays the last).
    renumber: function (floor) {
      var tx = this.db.transaction(["ereignisse", "meta"], "readwrite");
      var events = tx.objectStore("ereignisse");
      var metaStore = tx.objectStore("meta");
      var all = this.range(Number.MAX_SAFE_INTEGER);
      Promise.all([request(events.getAll(all)), request(metaStore.get(versuch))]).then(function (r) {
        var list = r[0];
        var m = r[1] || { versuch: versuch, seq: 0, antworten: {} };
        // The server acknowledges a contiguous watermark: continue right above its number.
        var seq = floor;
        events.delete(all);
        list.forEach(function (e) {
          seq += 1;
          events.put({ versuch: versuch, seq: seq, item: e.item, value: e.value });
        });
        m.seq = seq;
        metaStore.put(m);
      });
      return done(tx);
    },
  };

  // Without IndexedDB (some private modes) the queue lives in memory: still retried, but not
  // crash-safe, which the status line says.
  var MemoryQueue = {
    events: [],
    state: { versuch: versuch, seq: 0, antworten: {} },
    open: function () { return Promise.resolve(); },
    meta: function () { return Promise.resolve(this.state); },
    add: function (item, value, floor) {
      var seq = Math.max(this.state.seq, floor) + 1;
      this.state.seq = seq;
      this.state.antworten[item] = value;
      this.events.push({ versuch: versuch, seq: seq, item: item, value: value });
      return Promise.resolve(seq);
    },
    pending: function (limit) {
      return Promise.resolve(limit ? this.events.slice(0, limit) : this.events.slice());
    },
    dropUpTo: function (seq) {
      this.events = this.events.filter(function (e) { return e.seq > seq; });
      return Promise.resolve();
    },
    resetCounter: function (seq) {
      this.state.seq = seq;
      return Promise.resolve();
    },
    renumber: function (floor) {
      var seq = floor;
      this.events.forEach(function (e) { seq += 1; e.seq = seq; });
      this.state.seq = seq;
      return Promise.resolve();
    },
  };

  var queue = IdbQueue;

  /* ------------------------------------------------------------- reading the controls -- */

  function interactions(section) {
    return Array.prototype.slice.call(section.querySelectorAll("[data-antwort]"));
  }

  function readInteraction(el) {
    switch (el.dataset.art) {
      case "choice": {
        var checked = el.querySelector("input:checked");
        return checked ? checked.value : null;
      }
      case "multiple_response":
        return Array.prototype.map.call(el.querySelectorAll("input:checked"), function (i) {
          return i.value;
        });
      case "text_entry":
        return el.value;
      case "inline_choice":
        return el.value === "" ? null : el.value;
      case "extended_text":
        return el.querySelector("textarea").value;
      case "order":
        if (el.dataset.beantwortet !== "ja") {
          return null;
        }
        return Array.prototype.map.call(el.querySelectorAll("li[data-wert]"), function (li) {
          return li.dataset.wert;
        });
      case "match":
        return Array.prototype.filter
          .call(el.querySelectorAll("select[data-quelle]"), function (s) { return s.value !== ""; })
          .map(function (s) { return s.dataset.quelle + " " + s.value; });
      default:
        return null;
    }
  }

  function writeInteraction(el, value) {
    var list = Array.isArray(value) ? value : [];
    switch (el.dataset.art) {
      case "choice":
        el.querySelectorAll("input").forEach(function (i) { i.checked = i.value === value; });
        break;
      case "multiple_response":
        el.querySelectorAll("input").forEach(function (i) { i.checked = list.indexOf(i.value) >= 0; });
        break;
      case "text_entry":
        el.value = typeof value === "string" ? value : "";
        break;
      case "inline_choice":
        el.value = typeof value === "string" ? value : "";
        break;
      case "extended_text":
        el.querySelector("textarea").value = typeof value === "string" ? value : "";
        break;
      case "order": {
        var ol = el.querySelector("ol");
        if (list.length) {
          list.forEach(function (wert) {
            var li = ol.querySelector('li[data-wert="' + CSS.escape(wert) + '"]');
            if (li) { ol.appendChild(li); }
          });
          el.dataset.beantwortet = "ja";
        }
        break;
      }
      case "match":
        el.querySelectorAll("select[data-quelle]").forEach(function (s) {
          var pair = list.filter(function (p) { return p.split(" ")[0] === s.dataset.quelle; })[0];
          s.value = pair ? pair.split(" ").slice(1).join(" ") : "";
        });
        break;
      default:
        break;
    }
  }

  function readItem(section) {
    var value = {};
    interactions(section).forEach(function (el) { value[el.dataset.antwort] = readInteraction(el); });
    return value;
  }

  function writeItem(section, value) {
    if (!value || typeof value !== "object") {
      return;
    }
    interactions(section).forEach(function (el) {
      if (Object.prototype.hasOwnProperty.call(value, el.dataset.antwort)) {
        writeInteraction(el, value[el.dataset.antwort]);
      }
    });
  }

  function answered(value) {
    return Object.keys(value).some(function (k) {
      var v = value[k];
      return Array.isArray(v) ? v.length > 0 : typeof v === "string" && v.trim() !== "";
    });
  }

  /* --------------------------------------------------------------------- status line -- */

  var pendingCount = 0;
  var unqueued = 0; // changes recorded but not yet written to the queue
  var statusTimer = null;

  function showStatus(kind, text) {
    root.dataset.sync = kind;
    clearTimeout(statusTimer);
    var message = text || TEXTS[kind];
    // "Saved" is shown only once things are calm, so a screen reader is not told twice per
    // keystroke; problems are shown at once.
    var delay = kind === "gespeichert" ? 700 : 0;
    statusTimer = setTimeout(function () {
      if (statusEl.textContent !== message) {
        statusEl.textContent = message;
      }
      statusEl.classList.toggle("sync-problem", kind === "offline" || kind === "fehler" || kind === "gesperrt");
    }, delay);
  }

  function setPending(n) {
    pendingCount = n;
    root.dataset.ausstehend = String(n);
  }

  /* ------------------------------------------------------------------------- syncing -- */

  var serverSeq = 0;
  var running = null;
  var again = false;
  var retryTimer = null;
  var backoff = 1000;
  var lateNotice = "";
  var stopped = false; // the server refused the attempt (locked, handed in): stop sending

  function HttpError(status, detail) {
    this.status = status;
    this.detail = detail;
  }

  function readJson(res) {
    return res.json().catch(function () { return {}; }).then(function (body) {
      if (!res.ok) {
        throw new HttpError(res.status, typeof body.detail === "string" ? body.detail : "");
      }
      return body;
    });
  }

  function post(events) {
    return fetch(apiAntworten, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify({
        events: events.map(function (e) { return { seq: e.seq, item: e.item, value: e.value }; }),
      }),
    }).then(readJson);
  }

  function getStand() {
    return fetch(apiStand, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    }).then(readJson);
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    var wait = backoff + Math.floor(Math.random() * 500);
    backoff = Math.min(backoff * 2, 15000);
    retryTimer = setTimeout(sync, wait);
  }

  function refused(err) {
    stopped = true;
    clearTimeout(retryTimer);
    showStatus(
      "gesperrt",
      (err.detail || "Der Server nimmt keine Antworten mehr an.") +
        " Deine noch nicht übertragenen Antworten bleiben auf diesem Gerät gesichert."
    );
  }

  async function run() {
    var conflicts = 0;
    for (;;) {
      var events = await queue.pending(BATCH);
      setPending(events.length + unqueued);
      if (events.length === 0) {
        if (unqueued === 0) {
          showStatus("gespeichert", lateNotice ? TEXTS.gespeichert + " " + lateNotice : "");
        }
        return; // a change still on its way into the queue starts the next round
      }
      if (navigator.onLine === false) {
        showStatus("offline");
        return; // the "online" event resumes
      }
      showStatus("ausstehend");
      var data;
      try {
        data = await post(events);
      } catch (err) {
        if (err instanceof HttpError && err.status === 409 && conflicts < 2) {
          // A sequence number the server holds with other content: renumber above it.
          conflicts += 1;
          var stand = await getStand();
          serverSeq = Math.max(serverSeq, Number(stand.letzte_seq) || 0);
          await queue.renumber(serverSeq);
          continue;
        }
        if (err instanceof HttpError && (err.status === 401 || err.status === 403)) {
          refused(err);
          return;
        }
        showStatus(navigator.onLine === false ? "offline" : "fehler");
        scheduleRetry();
        return;
      }
      if (Array.isArray(data.abgelehnt) && data.abgelehnt.length) {
        // Refused for good (e.g. far too late for a closed block): say so, never hide it.
        lateNotice = data.abgelehnt.length + (data.abgelehnt.length === 1 ? " Antwort kam" : " Antworten kamen") +
          " zu spät beim Server an und " + (data.abgelehnt.length === 1 ? "wird" : "werden") + " nicht gewertet.";
      }
      var acked = Number(data.bestaetigt_bis) || 0;
      serverSeq = Math.max(serverSeq, acked);
      await queue.dropUpTo(acked);
      applyState(data);
      backoff = 1000;
      if (acked < events[0].seq) {
        // Nothing of this batch was confirmed: try again later rather than in a tight loop.
        showStatus("fehler");
        scheduleRetry();
        return;
      }
    }
  }

  function sync() {
    if (stopped) {
      return Promise.resolve();
    }
    if (running) {
      again = true;
      return running;
    }
    clearTimeout(retryTimer);
    running = run()
      .catch(function () {
        showStatus("fehler");
        scheduleRetry();
      })
      .then(function () {
        running = null;
        if (again) {
          again = false;
          return sync();
        }
        return undefined;
      });
    return running;
  }

  // Wait until everything is confirmed (true) or the time is up (false).
  async function flush(timeoutMs) {
    var end = Date.now() + timeoutMs;
    for (;;) {
      // Changes typed just before the hand-in may still be on their way into the queue:
      // wait for them, or they would be missed by the check below and lost.
      await chain;
      await sync();
      var rest = await queue.pending(1);
      if (rest.length === 0 && unqueued === 0) {
        return true;
      }
      if (stopped || Date.now() > end) {
        return false;
      }
      await new Promise(function (resolve) { setTimeout(resolve, 400); });
    }
  }

  /* -------------------------------------------------------------- recording changes -- */

  var lastValue = {};
  var chain = Promise.resolve();

  function markAnswered(index, value) {
    var link = document.querySelector('.aufgaben-nav a[data-ziel="' + index + '"]');
    if (!link) {
      return;
    }
    var yes = answered(value);
    link.classList.toggle("beantwortet", yes);
    link.querySelector("[data-status]").textContent = yes ? " (beantwortet)" : "";
  }

  function record(section) {
    var item = section.dataset.item;
    var value = readItem(section);
    var text = JSON.stringify(value);
    if (lastValue[item] === text) {
      return;
    }
    lastValue[item] = text;
    markAnswered(sections.indexOf(section), value);
    unqueued += 1;
    setPending(pendingCount + 1);
    showStatus("ausstehend");
    // One change after the other: sequence numbers follow the order of the changes. Only
    // the local write is chained; sending runs beside it (sync() coalesces), so fast typing
    // never waits for a network round trip per keystroke.
    chain = chain
      .then(function () { return queue.add(item, value, serverSeq); })
      .then(
        function () {
          unqueued -= 1;
          sync();
        },
        function () {
          unqueued -= 1;
          showStatus("fehler", "Die Antwort konnte auf diesem Gerät nicht gesichert werden. Bitte gib sie noch einmal ein.");
          lastValue[item] = undefined;
        }
      );
  }

  function onChange(event) {
    var section = event.target.closest("section.aufgabe");
    if (section && event.target.closest("[data-antwort]")) {
      record(section);
    }
  }

  function onMove(event) {
    var button = event.target.closest("button[data-schieben]");
    if (!button) {
      return;
    }
    var li = button.closest("li");
    var ol = li.parentElement;
    var up = button.dataset.schieben === "hoch";
    var sibling = up ? li.previousElementSibling : li.nextElementSibling;
    var group = button.closest("[data-antwort]");
    group.dataset.beantwortet = "ja";
    if (sibling) {
      ol.insertBefore(li, up ? sibling : sibling.nextElementSibling);
    }
    button.focus();
    var items = Array.prototype.slice.call(ol.children);
    group.querySelector(".qti-ansage").textContent =
      "„" + li.querySelector(".qti-eintrag").textContent + "“ ist jetzt an Stelle " +
      (items.indexOf(li) + 1) + " von " + items.length + ".";
    record(button.closest("section.aufgabe"));
  }

  /* ------------------------------------------------------------------------ the timer -- */

  var deadline = Date.now() + Number(root.dataset.restzeit) * 1000;
  var paused = root.dataset.pausiert === "ja";
  var frozen = Number(root.dataset.restzeit); // remaining seconds while paused
  var announced = {};
  var leaving = false;

  function format(seconds) {
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function setInert(on) {
    container.inert = on;
    if (form) {
      form.inert = on;
    }
  }

  function leave() {
    // Time is up, the block changed or the test ended: hand over everything, then let the
    // server show the right page. Offline, the answers stay queued and the page waits.
    if (leaving) {
      return;
    }
    leaving = true;
    setInert(true);
    flush(60000).then(function (ok) {
      if (ok) {
        window.location.assign(seite);
      } else {
        leaving = false;
        setTimeout(leave, 5000);
      }
    });
  }

  function tick() {
    if (paused) {
      deadline = Date.now() + frozen * 1000; // the clock stands still during a pause
      return;
    }
    var rest = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    timerEl.textContent = format(rest);
    [300, 60].forEach(function (mark) {
      if (rest <= mark && rest > 0 && !announced[mark]) {
        announced[mark] = true;
        announceEl.textContent =
          "Noch " + mark / 60 + (mark === 60 ? " Minute" : " Minuten") + " in diesem Teil.";
      }
    });
    if (rest === 0) {
      leave();
    }
  }

  function applyState(data) {
    if (typeof data.restzeit_s === "number") {
      deadline = Date.now() + data.restzeit_s * 1000;
      frozen = data.restzeit_s;
    }
    var status = data.status;
    var nowPaused = status === "pausiert";
    if (nowPaused !== paused) {
      paused = nowPaused;
      pauseEl.hidden = !paused;
      setInert(paused);
    }
    if ((typeof data.block === "number" && data.block !== block) || (status && status !== "laufend" && status !== "pausiert")) {
      leave();
    }
  }

  function poll() {
    if (navigator.onLine === false || stopped) {
      return;
    }
    getStand().then(applyState, function (err) {
      if (err instanceof HttpError && (err.status === 401 || err.status === 403)) {
        refused(err);
      }
    });
  }

  /* --------------------------------------------------------------------- navigation -- */

  var posKey = "bimo-test-position-" + versuch + "-" + block;
  var current = 0;
  var prev = document.getElementById("zurueck");
  var next = document.getElementById("vor");

  function showItem(index, focus) {
    current = Math.max(0, Math.min(sections.length - 1, index));
    sections.forEach(function (s, i) { s.hidden = i !== current; });
    document.querySelectorAll(".aufgaben-nav a").forEach(function (a) {
      if (Number(a.dataset.ziel) === current) {
        a.setAttribute("aria-current", "step");
      } else {
        a.removeAttribute("aria-current");
      }
    });
    prev.disabled = current === 0;
    next.disabled = current === sections.length - 1;
    try {
      window.localStorage.setItem(posKey, String(current));
    } catch (e) {
      /* storage full or disabled: the position is a convenience only */
    }
    if (focus) {
      sections[current].querySelector("h2").focus();
    }
  }

  function setupNavigation() {
    if (!sections.length) {
      return;
    }
    document.getElementById("blaettern").hidden = false;
    document.querySelectorAll(".aufgaben-nav a").forEach(function (a) {
      a.addEventListener("click", function (event) {
        event.preventDefault();
        showItem(Number(a.dataset.ziel), true);
      });
    });
    prev.addEventListener("click", function () { showItem(current - 1, true); });
    next.addEventListener("click", function () { showItem(current + 1, true); });
    var saved = 0;
    try {
      saved = Number(window.localStorage.getItem(posKey)) || 0;
    } catch (e) {
      saved = 0;
    }
    showItem(saved, false);
  }

  /* ---------------------------------------------------------------------- hand-over -- */

  function setupForm() {
    if (!form) {
      return;
    }
    form.addEventListener("submit", function (event) {
      if (form.dataset.bereit === "ja") {
        return;
      }
      event.preventDefault();
      formMsg.textContent = "Antworten werden übertragen …";
      flush(15000).then(function (ok) {
        if (ok) {
          form.dataset.bereit = "ja";
          form.submit();
        } else {
          formMsg.textContent =
            "Noch nicht alle Antworten sind beim Server angekommen. Sie sind auf diesem Gerät " +
            "gesichert. Prüfe die Verbindung und versuche es gleich noch einmal.";
        }
      });
    });
  }

  /* -------------------------------------------------------------------------- start -- */

  async function restore() {
    var stand = null;
    for (var i = 0; i < 3 && !stand; i++) {
      try {
        stand = await getStand();
      } catch (err) {
        if (err instanceof HttpError && (err.status === 401 || err.status === 403)) {
          refused(err);
          return;
        }
        await new Promise(function (resolve) { setTimeout(resolve, 700); });
      }
    }
    var meta = await queue.meta();
    var answers = {};
    if (stand) {
      serverSeq = Number(stand.letzte_seq) || 0;
      answers = stand.antworten || {};
      applyState(stand);
      // Changes of this device the server has not confirmed yet win over its state.
      var events = await queue.pending(0);
      if (events.length === 0) {
        await queue.resetCounter(serverSeq);
      }
      events.forEach(function (e) {
        if (e.seq > serverSeq) {
          answers[e.item] = e.value;
        }
      });
    } else {
      // Server unreachable right after loading: continue from this device's own record.
      answers = meta.antworten || {};
      showStatus("offline");
    }
    sections.forEach(function (section, index) {
      var item = section.dataset.item;
      if (Object.prototype.hasOwnProperty.call(answers, item)) {
        writeItem(section, answers[item]);
      }
      var value = readItem(section);
      lastValue[item] = JSON.stringify(value);
      markAnswered(index, value);
    });
  }

  async function start() {
    setInert(true);
    try {
      await queue.open();
    } catch (e) {
      queue = MemoryQueue;
    }
    try {
      await restore();
    } catch (e) {
      showStatus("fehler", "Gespeicherte Antworten konnten nicht geladen werden. Bitte lade die Seite neu.");
    }
    if (queue === MemoryQueue) {
      showStatus("fehler", "Dieser Browser kann Antworten nicht dauerhaft sichern. Schließe das Fenster nicht, bis der Test abgegeben ist.");
    }
    container.addEventListener("input", onChange);
    container.addEventListener("change", onChange);
    container.addEventListener("click", onMove);
    window.addEventListener("online", function () { backoff = 1000; sync(); poll(); });
    window.addEventListener("offline", function () { showStatus("offline"); });
    setupNavigation();
    setupForm();
    setInert(paused);
    root.dataset.bereit = "ja";
    await sync();
    setInterval(tick, 1000);
    setInterval(poll, 15000);
    tick();
  }

  start();
})();
