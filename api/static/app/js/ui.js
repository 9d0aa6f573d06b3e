// Small DOM helpers, Beijing-time formatting, the top bar and the offline service worker.

import { api, cachedGet, session } from "./api.js";
import { inboxButton } from "./inbox.js";

/** h("p", {class: "x", onclick: fn}, "text", child…) → an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const BEIJING = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

function beijing(date) {
  return Object.fromEntries(BEIJING.formatToParts(date).map((p) => [p.type, p.value]));
}

/** An ISO time as Beijing time, e.g. "05/14 17:30". */
export function fmtTime(iso) {
  if (!iso) return "—";
  const p = beijing(new Date(iso));
  return `${p.month}/${p.day} ${p.hour}:${p.minute}`;
}

/** A deadline: one that ends at midnight reads "24:00" of the last day, as the rules say. */
export function fmtDue(iso) {
  if (!iso) return "—";
  const at = new Date(iso);
  const p = beijing(at);
  if (p.hour !== "00" || p.minute !== "00") return fmtTime(iso);
  const day = beijing(new Date(at.getTime() - 1));
  return `${day.month}/${day.day} 24:00`;
}

export function percent(share) {
  return `${Math.round(share * 100)}%`;
}

export const ROLE_NAMES = {
  grid_worker: "网格员",
  community: "社区",
  street: "街道",
  district: "区",
  department: "部门",
  analyst: "分析员",
  admin: "管理员",
  chief: "街巷长",
  hotline: "12345坐席",
};

export const CASE_STATUS = {
  new: "新案件",
  whistled: "已吹哨",
  disputed: "有异议",
  resolved: "已解决",
  verified: "已核查",
  closed: "已结案",
  rejected: "已驳回",
  merged: "已合并",
};

export const ASSIGNMENT_STATUS = {
  dispatched: "待签收",
  acknowledged: "已签收",
  on_site: "已到场",
  resolved: "已办结",
  disputed: "有异议",
  cancelled: "已撤销",
};

/** The pages of the top bar: path, label, the roles that use it. */
export const TOPBAR_PAGES = [
  ["/app/report", "上报", ["grid_worker", "community", "street", "district", "admin"]],
  ["/app/mine", "我的上报", ["grid_worker"]],
  ["/app/triage", "分拨", ["community", "street", "district", "analyst", "admin"]],
  [
    "/app/whistles",
    "吹哨看板",
    ["street", "district", "department", "community", "analyst", "admin"],
  ],
  ["/app/scores", "考核", ["street", "district", "department", "analyst", "admin"]],
  ["/app/hotline", "接诉", ["hotline", "street", "district", "admin"]],
];

/** The top bar: title, the pages this role uses, the user, network state, log out. */
export function topbar(user, title) {
  const pages = TOPBAR_PAGES;
  const net = h("span", { class: "net", id: "net" });
  const showNet = () => {
    net.textContent = navigator.onLine ? "在线" : "离线";
    net.classList.toggle("offline", !navigator.onLine);
  };
  window.addEventListener("online", showNet);
  window.addEventListener("offline", showNet);
  showNet();
  const mine = pages.filter(([, , roles]) => roles.includes(user.role));
  // the hot spot map of the user's own area, as the server says the role may open it
  // (a chief's: the chief's roads)
  if (user.map_url) mine.push([user.map_url, user.role === "chief" ? "我的街巷图" : "热点图"]);
  const bar = document.getElementById("topbar");
  const parts = [
    h("strong", { class: "brand" }, title),
    mine.some(([href]) => href !== location.pathname)
      ? h(
          "nav",
          {},
          mine.map(([href, label]) =>
            h("a", { href, class: location.pathname === href ? "current" : null }, label),
          ),
        )
      : null,
    h("span", { class: "who" }, `${user.display_name}（${ROLE_NAMES[user.role] || user.role}）`),
    inboxButton(),
    net,
    h(
      "button",
      {
        type: "button",
        class: "link",
        onclick: async () => {
          try {
            // the server revokes the token and clears the login cookie
            await api("/api/auth/logout", { method: "POST" });
          } catch {
            // offline or already ended: the token is forgotten here all the same
          }
          session.clear();
          location.assign("/app/login");
        },
      },
      "退出",
    ),
  ];
  bar.replaceChildren(...parts.filter(Boolean));
  const nav = bar.querySelector("nav");
  if (nav) scrollCue(nav); // a phone's row of links scrolls sideways
  boxTables();
}

/** Show a message in an element; kind is "ok", "error" or "". A message said after a tap
 * lower down (below the fold on a phone) is scrolled into sight. */
export function say(el, text, kind = "") {
  el.textContent = text;
  el.className = `message ${kind}`;
  if (text) el.scrollIntoView({ block: "nearest" });
}

/** Mark a box that scrolls sideways with where more is hidden (more-left, more-right: the
 * page fades that edge), and ``wrap`` with "scrollable" while its content is wider. */
export function scrollCue(box, wrap = box) {
  const update = () => {
    const hidden = box.scrollWidth - box.clientWidth;
    wrap.classList.toggle("scrollable", hidden > 1);
    box.classList.toggle("more-left", box.scrollLeft > 1);
    box.classList.toggle("more-right", box.scrollLeft < hidden - 1);
  };
  box.addEventListener("scroll", update, { passive: true });
  // the box or its content (a table filled or shown later) changing size
  for (const el of [box, box.firstElementChild].filter(Boolean)) {
    onResize.set(el, update);
    resized.observe(el);
  }
  update();
}

const onResize = new WeakMap();
const resized = new ResizeObserver((entries) => {
  for (const entry of entries) onResize.get(entry.target)?.();
});

const HINT = "← 左右滑动 →";

/** Put each table (those in the page now and those drawn later) in a box that scrolls
 * sideways with a cue, so that a wide table never widens the page on a phone. */
function boxTables() {
  const box = (table) => {
    if (table.parentElement?.classList.contains("table-scroll")) return;
    const scroller = h("div", { class: "table-scroll" });
    const wrap = h(
      "div",
      { class: "table-wrap" },
      h("p", { class: "scroll-hint", "aria-hidden": "true" }, HINT),
    );
    table.replaceWith(wrap);
    scroller.append(table);
    wrap.append(scroller);
    scrollCue(scroller, wrap);
  };
  const within = (node) => {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.tagName === "TABLE") box(node);
    else for (const table of [...node.getElementsByTagName("table")]) box(table);
  };
  within(document.body);
  new MutationObserver((changes) => {
    for (const change of changes) for (const node of change.addedNodes) within(node);
  }).observe(document.body, { childList: true, subtree: true });
}

const CATEGORY_KINDS = { event: "事件", component: "部件" };

/** Category code → {code, name, parent, keywords}; cached for offline use. ``parent`` says
 * which top-level category and whether an event or a component (市容环境 is both). */
export async function categories() {
  const rows = await cachedGet("/api/categories");
  const byCode = new Map(rows.map((c) => [c.code, c]));
  for (const c of rows) {
    const top = c.parent_code ? byCode.get(c.parent_code) : null;
    c.parent = top ? `${top.name}·${CATEGORY_KINDS[top.kind] || top.kind}` : null;
  }
  return byCode;
}

export function categoryLabel(byCode, code) {
  const c = byCode.get(code);
  if (!c) return code;
  return c.parent ? `${c.name}（${c.parent}）` : c.name;
}

/** Department code → name. */
export async function departments() {
  const rows = await cachedGet("/api/departments");
  return new Map(rows.map((d) => [d.code, d.name]));
}

/** Register the service worker that keeps the pages usable offline. */
export function registerOffline() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {
      // not a secure context: the pages still work online
    });
    if (location.pathname !== "/app/login") {
      // a worker installed before the login could cache only the login page: now that this
      // browser is logged in, have it cache the pages
      navigator.serviceWorker.ready.then(async (registration) => {
        if (!(await caches.match(location.pathname)))
          registration.active?.postMessage("cache-shell");
      });
    }
  }
}
