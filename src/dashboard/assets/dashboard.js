// hotelcare's status page: the monitor from the service's event stream, and the links, rooms
// and queue refreshed when something finished. Ours, small, no framework: every value is put
// in as text, never as markup.
"use strict";
(() => {
  const monitor = document.getElementById("monitor");
  const connection = document.getElementById("connection");
  const roomFilter = document.getElementById("filter-room");
  const sourceFilter = document.getElementById("filter-source");
  const KEEP = 2000;

  const shown = (line) => {
    const room = roomFilter.value.trim();
    const source = sourceFilter.value.trim().toLowerCase();
    return (!room || line.dataset.room.split("->").some((r) => r.startsWith(room)))
      && (!source || line.dataset.source.toLowerCase().includes(source));
  };
  const filter = () => {
    for (const line of monitor.children) line.hidden = !shown(line);
  };
  roomFilter.addEventListener("input", filter);
  sourceFilter.addEventListener("input", filter);
  roomFilter.form.addEventListener("submit", (event) => event.preventDefault());

  const outcomes = { done: "done", failed: "failed", not_done: "failed", queued: "queued", behind: "queued" };
  const add = (event) => {
    const atEnd = monitor.scrollTop + monitor.clientHeight >= monitor.scrollHeight - 8;
    for (const text of event.lines || []) {
      const line = document.createElement("li");
      line.textContent = text;
      line.dataset.room = event.room || "";
      line.dataset.source = event.source || "";
      line.dataset.kind = event.type || "";
      line.dataset.outcome = outcomes[event.outcome] || "";
      line.hidden = !shown(line);
      monitor.append(line);
    }
    while (monitor.children.length > KEEP) monitor.firstElementChild.remove();
    if (atEnd) monitor.scrollTop = monitor.scrollHeight;
  };

  // The parts are fetched again after something finished (at most every half second), and
  // every 5 s for the links; a part that has the keyboard's focus is left as it is.
  let timer = null;
  const refresh = () => {
    if (timer !== null) return;
    timer = setTimeout(async () => {
      timer = null;
      for (const name of ["links", "rooms", "queue"]) {
        const part = document.getElementById(name);
        if (part.contains(document.activeElement)) continue;
        try {
          const answer = await fetch(`/part/${name}`, { credentials: "same-origin" });
          if (answer.status === 401) { location.reload(); return; }
          if (answer.ok) part.innerHTML = await answer.text();
        } catch (_) { /* the stream says the service is gone */ }
      }
    }, 500);
  };
  setInterval(refresh, 5000);

  const stream = new EventSource(`/events?after=${encodeURIComponent(monitor.dataset.lastId)}`);
  stream.onopen = () => { connection.textContent = "Live updates: on"; };
  stream.onerror = () => {
    if (stream.readyState === EventSource.CLOSED) {
      // Refused (the session ended, or the service was replaced): the page says why.
      connection.textContent = "Live updates: OFF — reloading";
      setTimeout(() => location.reload(), 5000);
    } else {
      connection.textContent = "Live updates: OFF — the service does not answer; trying again";
    }
  };
  stream.onmessage = (message) => {
    const event = JSON.parse(message.data);
    add(event);
    if (event.type !== "step") refresh();
  };
  stream.addEventListener("lagged", (message) => {
    add({ lines: [`(${message.data} events were too many to show)`], type: "notice" });
    refresh();
  });
  monitor.scrollTop = monitor.scrollHeight;
})();
