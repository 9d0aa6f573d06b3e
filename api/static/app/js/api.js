// The session (bearer token kept in localStorage) and the JSON API client.

const TOKEN_KEY = "gw.token";
const USER_KEY = "gw.user";
const CACHE_PREFIX = "gw.cache:";

/** Where each role starts (a chief: the chief's own map, see homeOf). */
export const HOME = {
  grid_worker: "/app/report",
  community: "/app/triage",
  street: "/app/triage",
  district: "/app/triage",
  analyst: "/app/triage",
  admin: "/app/triage",
  department: "/app/whistles",
  hotline: "/app/hotline",
};

/** Where ``user`` starts. */
export function homeOf(user) {
  if (user.role === "chief") return `/maps/chief/${encodeURIComponent(user.jurisdiction)}`;
  return HOME[user.role] || "/app/login";
}

/** ``next`` when it is a path on this site ("/maps/…", "/app/…?q"), else null: never another
 * host ("//evil.example", "https://evil.example", "/\\evil.example") or another scheme. */
export function safeNext(next) {
  if (!next?.startsWith("/") || next.startsWith("//") || next.includes("\\")) return null;
  let url;
  try {
    url = new URL(next, location.origin);
  } catch {
    return null;
  }
  return url.origin === location.origin ? url.pathname + url.search + url.hash : null;
}

/** The API answered with an error (problem+json: status, title, detail, field, and the
 * Chinese ``message`` people read). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.message || problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

/** The request never reached the server (offline, connection refused, timed out). */
export class NetworkError extends Error {}

export const session = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  get user() {
    try {
      return JSON.parse(localStorage.getItem(USER_KEY) || "null");
    } catch {
      return null;
    }
  },
  save(token, user) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
};

/** Call the JSON API; the bearer token goes with every call. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const sent = { Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (session.token) sent.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new NetworkError(err.message);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** GET that falls back to the last good answer when offline (catalogues and boundaries). */
export async function cachedGet(path) {
  const key = CACHE_PREFIX + path;
  if (navigator.onLine) {
    try {
      const data = await api(path);
      try {
        localStorage.setItem(key, JSON.stringify(data));
      } catch {
        // storage full: the page still works online
      }
      return data;
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
    }
  }
  const saved = localStorage.getItem(key);
  if (saved === null) throw new NetworkError(`离线，且没有 ${path} 的缓存`);
  return JSON.parse(saved);
}

/** The logged-in user, or a redirect: to the login page, or to the home page of the role. */
export function requireLogin(roles) {
  const user = session.user;
  if (!session.token || !user) {
    const next = encodeURIComponent(location.pathname + location.search);
    location.replace(`/app/login?next=${next}`);
    return null;
  }
  if (roles && !roles.includes(user.role)) {
    location.replace(homeOf(user));
    return null;
  }
  if (navigator.onLine) {
    // the token may have been revoked: check it, quietly keep working when offline
    api("/api/auth/me").then(
      (me) => session.save(session.token, me),
      (err) => {
        if (err instanceof ApiError && err.status === 401) {
          session.clear();
          location.replace("/app/login");
        }
      },
    );
  }
  return user;
}

/** A message for an error: the API's Chinese message, or what went wrong on the way. */
export function describe(err) {
  if (err instanceof NetworkError) return "网络不可用，请稍后重试";
  if (err instanceof ApiError) {
    return err.problem.message || `错误 ${err.status}：${err.message}`;
  }
  return String(err?.message ? err.message : err);
}
