// The live workouts page: opens `/ws/live` with a short-lived live-feed token (it opens nothing
// else) from the page's own endpoint and keeps one row per person and exercise up to date
// (docs/realtime.md has the messages).
// Everything is built with textContent, never innerHTML: names and usernames come from users.
// Each event names its member (name, username, client_url), so a row is complete from its first rep;
// staff can end a workout in progress (POST data-end-url), and rows with no rep for
// WORKOUT_IDLE_MINUTES move to the "Idle" table.
(function () {
  "use strict";
  const root = document.querySelector("[data-live]");
  if (!root) {
    return;
  }
  const MAX_FINISHED_ROWS = 20;
  const status = root.querySelector("[data-live-status]");
  const activeBody = root.querySelector("[data-live-active]");
  const activeTable = root.querySelector("[data-live-active-table]");
  const activeEmpty = root.querySelector("[data-live-active-empty]");
  const finishedBody = root.querySelector("[data-live-finished]");
  const finishedTable = root.querySelector("[data-live-finished-table]");
  const finishedEmpty = root.querySelector("[data-live-finished-empty]");
  const idleSection = root.querySelector("[data-live-idle-section]");
  const idleBody = root.querySelector("[data-live-idle]");
  const announce = root.querySelector("[data-live-announce]");
  const counters = {
    active: root.querySelector("[data-live-active-count]"),
    reps: root.querySelector("[data-live-rep-count]"),
    finished: root.querySelector("[data-live-finished-count]"),
  };
  const rows = new Map(); // "user_id:type" → <tr>
  // "user_id:type" → {total, until}: until then, a rep event not above `total` is old news. Reps are
  // published in 50 ms batches and a finish right away, so the last reps of a workout can arrive
  // after its finish (they are not a new workout); and reps counted just before the socket opened can
  // arrive after the snapshot that already holds them.
  const staleUpTo = new Map();
  const LATE_REP_MS = 2000;
  // A count with no rep for this long (WORKOUT_IDLE_MINUTES) is shown apart as idle (a device that
  // never finished), not "working out"; staff can end it.
  const IDLE_MS = Number(root.dataset.idleMinutes || "10") * 60 * 1000;
  let repsCounted = 0;
  let finishedCount = 0;
  let attempt = 0;
  // The page's language (JavaScriptCatalog at /jsi18n/ is loaded before this script); English without it.
  const gettext = window.gettext || function (text) { return text; };
  const pgettext = window.pgettext || function (context, text) { return text; };
  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
  }
  const language = document.documentElement.lang || undefined;

  function setStatus(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  function clock(date) {
    return date.toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  }

  function dayAndTime(date) {
    return date.toLocaleString(language, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function note(text) {
    const span = document.createElement("span");
    span.className = "who-handle";
    span.textContent = text;
    return span;
  }

  // The member's name, linked to the client page when there is one, and the username under it.
  function who(event, tag) {
    const cellElement = cell(tag, gettext("Who"), "");
    if (tag === "th") {
      cellElement.scope = "row";
    }
    const name = event.name || event.username;
    if (event.client_url) {
      const link = document.createElement("a");
      link.href = event.client_url;
      link.textContent = name;
      cellElement.append(link);
    } else {
      cellElement.append(document.createTextNode(name));
    }
    cellElement.append(note("@" + event.username));
    return cellElement;
  }

  function cell(tag, label, text, className) {
    const element = document.createElement(tag);
    element.dataset.label = label;
    element.textContent = text;
    if (className) {
      element.className = className;
    }
    return element;
  }

  // Rows with no rep for IDLE_MS move to the "Idle" table, and back with their next rep; the
  // newest rep stays on top in both.
  function refreshActive() {
    const now = Date.now();
    let working = 0;
    let idleCount = 0;
    const ordered = Array.from(rows.values()).sort(function (a, b) {
      return Number(b.dataset.lastRep) - Number(a.dataset.lastRep);
    });
    ordered.forEach(function (row) {
      const idle = now - Number(row.dataset.lastRep) > IDLE_MS;
      row.classList.toggle("live-idle", idle);
      const body = idle ? idleBody : activeBody;
      if (row.parentNode !== body) {
        body.append(row);
      }
      working += idle ? 0 : 1;
      idleCount += idle ? 1 : 0;
    });
    // Keep each table in last-rep order after moves (appending an element already there moves it).
    ordered.forEach(function (row) {
      row.parentNode.append(row);
    });
    counters.active.textContent = String(working);
    activeTable.hidden = working === 0;
    activeEmpty.hidden = working > 0;
    idleSection.hidden = idleCount === 0;
  }

  async function endWorkout(button, row) {
    button.disabled = true;
    button.textContent = gettext("Ending…");
    const body = new URLSearchParams({ user_id: row.dataset.userId, type: row.dataset.type });
    try {
      const response = await fetch(root.dataset.endUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": root.dataset.csrfToken },
        body: body,
      });
      const answer = await response.json().catch(function () { return {}; });
      if (!response.ok) {
        throw new Error(answer.detail || format(gettext("The workout was not ended (%(status)s)."), { status: response.status }));
      }
      // The saved workout also arrives as a workout_finished event, which moves the row; this makes
      // the click visible at once even if the feed is reconnecting.
      removeRow(row.dataset.key);
      announce.textContent = format(gettext("Ended: %(reps)s %(type)s saved."), { reps: answer.total_reps, type: answer.type });
    } catch (error) {
      button.disabled = false;
      button.textContent = gettext("End workout");
      announce.textContent = error.message;
      window.alert(error.message);
    }
  }

  function removeRow(key) {
    const row = rows.get(key);
    if (row) {
      row.remove();
      rows.delete(key);
      refreshActive();
    }
  }

  function activeRow(key, event) {
    let row = rows.get(key);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.key = key;
      row.dataset.userId = String(event.user_id);
      row.dataset.type = event.type;
      const action = cell("td", "", "", "live-action");
      delete action.dataset.label; // no "Action:" caption on a phone, the button says it
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button-secondary live-end";
      button.textContent = gettext("End workout");
      button.setAttribute("aria-label", format(gettext("End workout: %(type)s of %(name)s"), { type: event.type, name: event.name || event.username }));
      button.addEventListener("click", function () {
        endWorkout(button, row);
      });
      action.append(button);
      const lastRep = cell("td", gettext("Last rep"), "", "live-last");
      row.append(who(event, "th"), cell("td", gettext("Exercise"), event.type), cell("td", gettext("Reps"), "0", "num live-count"), lastRep, action);
      rows.set(key, row);
      activeBody.prepend(row);
    }
    return row;
  }

  function showCount(row, total, lastRep) {
    row.querySelector(".live-count").textContent = String(total);
    row.dataset.lastRep = String(lastRep.getTime());
    row.querySelector(".live-last").textContent = clock(lastRep);
  }

  function onRep(event) {
    const key = event.user_id + ":" + event.type;
    const stale = staleUpTo.get(key);
    if (stale && Date.now() < stale.until && event.total_reps <= stale.total) {
      return;
    }
    const isNew = !rows.has(key);
    const row = activeRow(key, event);
    showCount(row, event.total_reps, new Date());
    row.classList.remove("live-bump");
    void row.offsetWidth; // restart the highlight animation
    row.classList.add("live-bump");
    repsCounted += 1;
    counters.reps.textContent = String(repsCounted);
    if (isNew || row.classList.contains("live-idle")) {
      refreshActive();
    }
  }

  // The workouts in progress when the socket opened, oldest rep last. They replace what the page
  // showed: after a reconnect, finishes and reps of the gap would otherwise be missing.
  function onSnapshot(event) {
    const current = new Set();
    const until = Date.now() + LATE_REP_MS;
    event.counts.slice().reverse().forEach(function (count) {
      const key = count.user_id + ":" + count.type;
      current.add(key);
      showCount(activeRow(key, count), count.total_reps, new Date(count.last_rep_at));
      staleUpTo.set(key, { total: count.total_reps, until: until });
    });
    rows.forEach(function (row, key) {
      if (!current.has(key)) {
        row.remove();
        rows.delete(key);
      }
    });
    refreshActive();
  }

  function onFinish(event) {
    const key = event.user_id + ":" + event.type;
    staleUpTo.set(key, { total: event.total_reps, until: Date.now() + LATE_REP_MS });
    removeRow(key);
    const when = new Date(event.created_at);
    const time = document.createElement("time");
    time.dateTime = event.created_at;
    time.textContent = dayAndTime(when);
    const whenCell = cell("td", gettext("When"), "");
    whenCell.append(time);
    const whoCell = who(event, "td");
    if (event.ended_by) {
      whoCell.append(note(format(gettext("ended by @%(username)s"), { username: event.ended_by })));
    }
    const row = document.createElement("tr");
    row.className = "live-new";
    row.append(whenCell, whoCell, cell("td", gettext("Exercise"), event.type), cell("td", gettext("Reps"), String(event.total_reps), "num"));
    finishedBody.prepend(row);
    while (finishedBody.rows.length > MAX_FINISHED_ROWS) {
      finishedBody.lastElementChild.remove();
    }
    finishedTable.hidden = false;
    if (finishedEmpty) {
      finishedEmpty.hidden = true;
    }
    finishedCount += 1;
    counters.finished.textContent = String(finishedCount);
    announce.textContent = format(gettext("%(name)s finished %(reps)s %(type)s."), { name: event.name || event.username, reps: event.total_reps, type: event.type });
  }

  function retryLater() {
    // 1 s, 2 s, 4 s … up to 30 s, so a restarting server is not hammered by every open dashboard.
    const delay = Math.min(30000, 1000 * Math.pow(2, attempt));
    attempt += 1;
    setStatus(format(gettext("Reconnecting in %(seconds)s s…"), { seconds: Math.round(delay / 1000) }), "offline");
    window.setTimeout(connect, delay);
  }

  async function connect() {
    setStatus(gettext("Connecting…"), "connecting");
    let token;
    try {
      const response = await fetch(root.dataset.tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.redirected || response.status === 403) {
        setStatus(gettext("Your session has ended: reload the page to sign in again."), "offline");
        return;
      }
      if (!response.ok) {
        throw new Error("token endpoint answered " + response.status);
      }
      token = (await response.json()).token;
    } catch (error) {
      retryLater();
      return;
    }
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(scheme + "//" + window.location.host + root.dataset.socketPath + "?token=" + encodeURIComponent(token));
    socket.addEventListener("open", function () {
      attempt = 0;
      setStatus(pgettext("live workouts", "Live"), "live");
    });
    socket.addEventListener("message", function (message) {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (event.event === "rep_update") {
        onRep(event);
      } else if (event.event === "live_snapshot") {
        onSnapshot(event);
      } else if (event.event === "workout_finished") {
        onFinish(event);
      }
    });
    socket.addEventListener("close", function (closed) {
      if (closed.code === 4403) {
        setStatus(gettext("Only club staff can watch live workouts."), "offline");
        return;
      }
      retryLater();
    });
  }

  // The saved workouts the server listed are shown in this browser's time zone too.
  finishedBody.querySelectorAll("time[datetime]").forEach(function (time) {
    time.textContent = dayAndTime(new Date(time.dateTime));
  });
  refreshActive();
  window.setInterval(refreshActive, 15000);
  connect();
})();
