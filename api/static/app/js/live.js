// Live case events (Server-Sent Events, GET /api/events/stream): the pages refresh
// themselves when something in the caller's scope changes. One stream per page, authorised
// by the login cookie; the browser reconnects by itself and sends the last event id.

const listeners = [];
let source = null;

/** Call ``refresh`` after case events arrive, at most once per ``quietMs`` (the events of
 * one act come together), and after a reconnection (events may have been missed). */
export function onCaseEvents(refresh, { quietMs = 1000 } = {}) {
  let timer = null;
  listeners.push(() => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      refresh();
    }, quietMs);
  });
  connect();
}

function notify() {
  for (const listener of listeners) listener();
}

let watching = false;

function connect() {
  if (!watching) {
    watching = true;
    // offline, the browser would retry the stream every few seconds, in vain: close it, and
    // open it again (and refresh: events may have been missed) when the network is back
    window.addEventListener("offline", () => {
      source?.close();
      source = null;
    });
    window.addEventListener("online", () => {
      connect();
      notify();
    });
    window.addEventListener("pagehide", () => source?.close());
  }
  if (source || !("EventSource" in window) || !navigator.onLine) return;
  source = new EventSource("/api/events/stream");
  let opened = false;
  source.addEventListener("case", notify);
  source.addEventListener("open", () => {
    if (opened) notify();
    opened = true;
    document.body.dataset.live = "1";
  });
}
