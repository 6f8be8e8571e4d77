// The live workouts page: opens `/ws/live` with a short-lived live-feed token (it opens nothing
// else) from the page's own endpoint and keeps one row per person and exercise up to date
// (docs/realtime.md has the messages).
// Everything is built with textContent, never innerHTML: usernames come from users.
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
  // A count with no rep for this long is shown as idle (a device that never finished), not "working out".
  const IDLE_MS = 2 * 60 * 1000;
  let repsCounted = 0;
  let finishedCount = 0;
  let attempt = 0;

  function setStatus(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  function clock(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  }

  function dayAndTime(date) {
    return date.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function handle(username) {
    const span = document.createElement("span");
    span.className = "who-handle";
    span.textContent = "@" + username;
    return span;
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

  function refreshActive() {
    const now = Date.now();
    let working = 0;
    rows.forEach(function (row) {
      const idle = now - Number(row.dataset.lastRep) > IDLE_MS;
      row.classList.toggle("live-idle", idle);
      working += idle ? 0 : 1;
    });
    counters.active.textContent = String(working);
    activeTable.hidden = rows.size === 0;
    activeEmpty.hidden = rows.size > 0;
  }

  function activeRow(key, username, type) {
    let row = rows.get(key);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.key = key;
      const who = cell("th", "Who", "");
      who.append(handle(username));
      who.scope = "row";
      row.append(who, cell("td", "Exercise", type), cell("td", "Reps", "0", "num live-count"), cell("td", "Last rep", ""));
      rows.set(key, row);
      activeBody.prepend(row);
    }
    return row;
  }

  function showCount(row, total, lastRep) {
    row.querySelector(".live-count").textContent = String(total);
    row.dataset.lastRep = String(lastRep.getTime());
    row.lastElementChild.textContent = clock(lastRep);
  }

  function onRep(event) {
    const key = event.user_id + ":" + event.type;
    const stale = staleUpTo.get(key);
    if (stale && Date.now() < stale.until && event.total_reps <= stale.total) {
      return;
    }
    const isNew = !rows.has(key);
    const row = activeRow(key, event.username, event.type);
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
      showCount(activeRow(key, count.username, count.type), count.total_reps, new Date(count.last_rep_at));
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
    const active = rows.get(key);
    if (active) {
      active.remove();
      rows.delete(key);
      refreshActive();
    }
    const when = new Date(event.created_at);
    const time = document.createElement("time");
    time.dateTime = event.created_at;
    time.textContent = dayAndTime(when);
    const whenCell = cell("td", "When", "");
    whenCell.append(time);
    const whoCell = cell("td", "Who", "");
    whoCell.append(handle(event.username));
    const row = document.createElement("tr");
    row.className = "live-new";
    row.append(whenCell, whoCell, cell("td", "Exercise", event.type), cell("td", "Reps", String(event.total_reps), "num"));
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
    announce.textContent = event.username + " finished " + event.total_reps + " " + event.type + ".";
  }

  function retryLater() {
    // 1 s, 2 s, 4 s … up to 30 s, so a restarting server is not hammered by every open dashboard.
    const delay = Math.min(30000, 1000 * Math.pow(2, attempt));
    attempt += 1;
    setStatus("Reconnecting in " + Math.round(delay / 1000) + " s…", "offline");
    window.setTimeout(connect, delay);
  }

  async function connect() {
    setStatus("Connecting…", "connecting");
    let token;
    try {
      const response = await fetch(root.dataset.tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.redirected || response.status === 403) {
        setStatus("Your session has ended: reload the page to sign in again.", "offline");
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
      setStatus("Live", "live");
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
        setStatus("Only club staff can watch live workouts.", "offline");
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
