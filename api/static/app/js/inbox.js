// The inbox in the top bar: the unread count as a badge, and the latest notifications in a
// drop-down (GET /api/notifications, POST /api/notifications/{id}/read, /read-all).

import { api, describe } from "./api.js";
import { onCaseEvents } from "./live.js";
import { fmtTime, h } from "./ui.js";

const POLL_MS = 60_000;

/** The top bar's 通知 button with its unread badge and drop-down list. */
export function inboxButton() {
  const badge = h("span", { class: "badge unread", id: "inbox-count", hidden: true });
  const list = h("ul", { class: "inbox-list" });
  const panel = h(
    "div",
    { class: "inbox-panel", id: "inbox-panel", hidden: true },
    h(
      "div",
      { class: "inbox-head" },
      h("strong", {}, "通知"),
      h("button", { type: "button", class: "link", onclick: readAll }, "全部已读"),
    ),
    list,
  );
  const button = h(
    "button",
    { type: "button", class: "link inbox", id: "inbox-button", "aria-expanded": "false" },
    "通知",
    badge,
  );
  button.addEventListener("click", () => (panel.hidden ? open() : close()));

  function show(unread) {
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.hidden = unread === 0;
    button.title = unread ? `${unread} 条未读通知` : "没有未读通知";
  }

  async function count() {
    if (!navigator.onLine) return; // asked again when the network is back
    try {
      show((await api("/api/notifications?unread=true&limit=1")).unread);
    } catch {
      // offline or logged out: keep the last count
    }
  }

  async function open() {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    list.replaceChildren(h("li", { class: "muted" }, "加载中…"));
    try {
      const found = await api("/api/notifications?limit=20");
      show(found.unread);
      list.replaceChildren(
        ...(found.notifications.length
          ? found.notifications.map(item)
          : [h("li", { class: "muted" }, "没有通知")]),
      );
    } catch (err) {
      list.replaceChildren(h("li", { class: "error" }, describe(err)));
    }
  }

  function close() {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
  }

  function item(n) {
    const li = h(
      "li",
      { class: n.read ? "read" : "unread", dataset: { id: n.id, case: n.case_id } },
      h("span", { class: "text" }, n.text),
      h("span", { class: "muted" }, fmtTime(n.at)),
    );
    if (!n.read)
      li.addEventListener("click", async () => {
        await api(`/api/notifications/${n.id}/read`, { method: "POST" }).catch(() => null);
        li.className = "read";
        count();
      });
    return li;
  }

  async function readAll() {
    await api("/api/notifications/read-all", { method: "POST" }).catch(() => null);
    for (const li of list.querySelectorAll("li.unread")) li.className = "read";
    show(0);
  }

  count();
  setInterval(count, POLL_MS);
  window.addEventListener("online", count);
  // the fan-out writes notifications just after the event: ask a little later
  onCaseEvents(count, { quietMs: 2000 });
  return h("span", { class: "inbox-wrap" }, button, panel);
}
