// The offline-tolerant outbox: every report gets an Idempotency-Key when it is created, waits
// in localStorage and is sent (again) until the server has it. The server returns the same
// report for a repeated key, so a retry after a lost answer never makes a second report.

import { api, ApiError, NetworkError, session } from "./api.js";

const KEY = "gw.outbox";
const RETRY_MS = 30_000;
const listeners = new Set();
const inFlight = new Set();
let running = null;

/** A random UUID (crypto.randomUUID needs a secure context; fall back to getRandomValues). */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function items() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "[]");
  } catch {
    return [];
  }
}

function save(list) {
  localStorage.setItem(KEY, JSON.stringify(list));
  notify();
}

function update(key, changes) {
  save(items().map((it) => (it.key === key ? { ...it, ...changes } : it)));
}

function notify() {
  for (const fn of listeners) fn(items(), inFlight);
}

/** Call ``fn(items, inFlight)`` whenever the outbox changes (also from another tab). */
export function subscribe(fn) {
  listeners.add(fn);
  fn(items(), inFlight);
}

/** Put a report in the outbox (state "waiting") and return it. */
export function enqueue(body, summary) {
  const item = {
    key: newKey(),
    user: session.user?.username,
    body,
    summary,
    created_at: new Date().toISOString(),
    state: "waiting",
  };
  save([...items(), item]);
  return item;
}

export function remove(key) {
  save(items().filter((it) => it.key !== key));
}

/** Drop what the server already has. */
export function clearDone() {
  save(items().filter((it) => it.state === "waiting" || it.state === "failed"));
}

async function sendOne(item) {
  inFlight.add(item.key);
  notify();
  try {
    const done = await api("/api/reports", {
      method: "POST",
      body: item.body,
      headers: { "Idempotency-Key": item.key },
    });
    update(item.key, {
      state: done.attached ? "merged" : "sent",
      case_id: done.case_id,
      report_id: done.id,
      message: done.message,
      sent_at: new Date().toISOString(),
    });
    return true;
  } catch (err) {
    if (err instanceof NetworkError) return false; // stays waiting
    if (err instanceof ApiError && (err.status === 401 || err.status >= 500)) {
      update(item.key, { error: err.message }); // stays waiting: log in again / server back
      return false;
    }
    update(item.key, { state: "failed", error: err.message, status: err.status });
    return true;
  } finally {
    inFlight.delete(item.key);
    notify();
  }
}

/** Send every waiting report of the current user, oldest first; one run at a time. */
export function flush() {
  if (running) return running;
  running = (async () => {
    for (const item of items()) {
      if (item.state !== "waiting" || item.user !== session.user?.username) continue;
      if (!navigator.onLine) break;
      const reached = await sendOne(item);
      if (!reached) break;
    }
  })().finally(() => {
    running = null;
  });
  return running;
}

/** Send now, whenever the network comes back, and every 30 s while something waits. */
export function start() {
  window.addEventListener("online", () => flush());
  window.addEventListener("storage", (e) => {
    if (e.key === KEY) notify();
  });
  setInterval(() => {
    if (items().some((it) => it.state === "waiting")) flush();
  }, RETRY_MS);
  return flush();
}
