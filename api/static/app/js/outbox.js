// The offline-tolerant outbox: every report gets an Idempotency-Key when it is created, waits
// in IndexedDB (with its photos, base64, exactly as they will be sent) and is sent (again)
// until the server has it. The server returns the same report for a repeated key, so a retry
// after a lost answer never makes a second report. Reports queued by an older version in
// localStorage move to IndexedDB the first time the page opens.

import { api, ApiError, NetworkError, session } from "./api.js";

const LEGACY_KEY = "gw.outbox";
const DB_NAME = "gridwhistle";
const STORE = "outbox";
const RETRY_MS = 30_000;
const listeners = new Set();
const inFlight = new Set();
const channel = "BroadcastChannel" in window ? new BroadcastChannel("gw.outbox") : null;
let cache = [];
let db = null;
let running = null;
let retrying = null;

/** A random UUID (crypto.randomUUID needs a secure context; fall back to getRandomValues). */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---- IndexedDB -----------------------------------------------------------------------

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDb() {
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => {
    if (!req.result.objectStoreNames.contains(STORE))
      req.result.createObjectStore(STORE, { keyPath: "key" });
  };
  return request(req);
}

/** Run ``fn(store)`` in one transaction; resolves when the transaction has committed. */
function write(fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, "readwrite");
    fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("事务中止"));
  });
}

async function reload() {
  const all = await request(db.transaction(STORE).objectStore(STORE).getAll());
  cache = all.sort((a, b) => a.created_at.localeCompare(b.created_at));
  notify();
}

/** Reports an older version queued in localStorage: into IndexedDB, then out of localStorage. */
async function migrate() {
  let legacy;
  try {
    legacy = JSON.parse(localStorage.getItem(LEGACY_KEY) || "[]");
  } catch {
    legacy = [];
  }
  if (!Array.isArray(legacy) || !legacy.length) {
    localStorage.removeItem(LEGACY_KEY);
    return;
  }
  await write((store) => {
    for (const item of legacy) if (item?.key) store.put(item);
  });
  localStorage.removeItem(LEGACY_KEY);
}

let opening = null;

/** Open the queue (and migrate the old one) once; later calls wait for the same opening. */
export function ready() {
  opening ??= (async () => {
    db = await openDb();
    await migrate();
    await reload();
  })();
  return opening;
}

// ---- the queue -----------------------------------------------------------------------

export function items() {
  return cache;
}

function notify() {
  for (const fn of listeners) fn(cache, inFlight);
}

async function changed() {
  await reload();
  if (channel) channel.postMessage("changed");
}

async function update(key, changes) {
  const item = cache.find((it) => it.key === key);
  if (!item) return;
  await write((store) => store.put({ ...item, ...changes }));
  await changed();
}

/** Call ``fn(items, inFlight)`` whenever the outbox changes (also from another tab). */
export function subscribe(fn) {
  listeners.add(fn);
  fn(cache, inFlight);
}

/** Put a report (its photos inside ``body``) in the outbox as "waiting"; return it. */
export async function enqueue(body, summary) {
  await ready();
  const item = {
    key: newKey(),
    user: session.user?.username,
    body,
    summary,
    photos: (body.photos || []).length,
    created_at: new Date().toISOString(),
    state: "waiting",
  };
  await write((store) => store.add(item));
  await changed();
  return item;
}

export async function remove(key) {
  await write((store) => store.delete(key));
  await changed();
}

/** Drop what the server already has. */
export async function clearDone() {
  const done = cache.filter((it) => it.state === "sent" || it.state === "merged");
  await write((store) => {
    for (const it of done) store.delete(it.key);
  });
  await changed();
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
    await update(item.key, {
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
      await update(item.key, { error: err.message }); // stays waiting: log in again / server back
      if (err.status === 503) retryIn(err.problem.retry_after); // its database is back soon
      return false;
    }
    await update(item.key, { state: "failed", error: err.message, status: err.status });
    return true;
  } finally {
    inFlight.delete(item.key);
    notify();
  }
}

/** Send again in ``seconds`` (the 503's Retry-After) unless a retry is already due; without
 * it, the 30 s round sends again. */
function retryIn(seconds) {
  if (retrying || !(seconds > 0)) return;
  retrying = setTimeout(
    () => {
      retrying = null;
      flush();
    },
    Math.min(seconds * 1000, RETRY_MS),
  );
}

/** Send every waiting report of the current user, oldest first; one run at a time. Then
 * ask where the sent ones stand. */
export function flush() {
  if (running) return running;
  running = (async () => {
    await ready();
    let sent = false;
    for (const item of [...cache]) {
      if (item.state !== "waiting" || item.user !== session.user?.username) continue;
      if (!navigator.onLine) break;
      const reached = await sendOne(item);
      if (!reached) break;
      sent = true;
    }
    if (sent) await refreshStatus();
  })().finally(() => {
    running = null;
  });
  return running;
}

/** Where the current user's sent reports stand now (GET /api/reports/mine: the case each
 * is in, merges followed, and its status), kept with each item as ``live``; nothing when
 * offline or when the server does not answer (the item keeps what it knew). */
export async function refreshStatus() {
  await ready();
  const mine = cache.filter(
    (it) => it.user === session.user?.username && it.report_id && it.state !== "failed",
  );
  if (!mine.length || !navigator.onLine) return;
  let page;
  try {
    page = await api("/api/reports/mine?limit=100");
  } catch {
    return;
  }
  const byId = new Map(page.reports.map((r) => [r.id, r]));
  const changes = [];
  for (const it of mine) {
    const r = byId.get(it.report_id);
    if (!r) continue;
    const live = {
      case_id: r.case.id,
      merged_into: r.merged_into,
      status: r.case.status,
      status_name: r.case.status_name,
    };
    if (JSON.stringify(live) !== JSON.stringify(it.live)) changes.push({ ...it, live });
  }
  if (!changes.length) return;
  await write((store) => {
    for (const it of changes) store.put(it);
  });
  await changed();
}

/** Send now, whenever the network comes back, and every 30 s while something waits; ask
 * where the sent reports stand when the page opens and when the network comes back. */
export async function start() {
  await ready();
  window.addEventListener("online", () => flush().then(refreshStatus));
  if (channel) channel.onmessage = () => reload();
  setInterval(() => {
    if (cache.some((it) => it.state === "waiting")) flush();
  }, RETRY_MS);
  return flush().then(refreshStatus);
}
