// 回访: the hotline centre's queue of verified hotline cases to call back. Each shows the
// case and three answers; 不满意 asks for the caller's reason and goes to the lead street,
// 满意 and 基本满意 close the case. The API decides who may call back (the hotline role).

import { api, describe } from "./api.js";
import { categoryLabel, fmtTime, h, say } from "./ui.js";

const RESULTS = ["满意", "基本满意", "不满意"];

function item(entry, catalogue, reload) {
  const reason = h("input", {
    class: "callback-reason",
    maxlength: "500",
    placeholder: "不满意时填写来电人的理由",
    "aria-label": `案件 ${entry.case_id} 的回访理由`,
  });
  const message = h("p", { class: "message", role: "status" });
  const answer = async (result) => {
    try {
      await api(`/api/cases/${entry.case_id}/callback`, {
        method: "POST",
        body: { result, reason: reason.value },
      });
      say(message, `已记录：${result}`, "ok");
      reload();
    } catch (err) {
      say(message, describe(err), "error");
    }
  };
  return h(
    "li",
    { class: "card", dataset: { caseId: String(entry.case_id) } },
    h(
      "strong",
      {},
      `案件 #${entry.case_id} ${categoryLabel(catalogue, entry.category)}`,
      entry.verified_at
        ? h("span", { class: "muted" }, ` 核查于 ${fmtTime(entry.verified_at)}`)
        : null,
    ),
    entry.description ? h("p", {}, entry.description) : null,
    reason,
    h(
      "div",
      { class: "callback-answers" },
      RESULTS.map((result) =>
        h("button", { type: "button", dataset: { result }, onclick: () => answer(result) }, result),
      ),
    ),
    message,
  );
}

/** A 回访 section appended to ``parent``: the pending call-backs, refreshed after each. */
export function callbackQueue(parent, catalogue) {
  const list = h("ul", { class: "callbacks cards" });
  const note = h("p", { class: "muted", role: "status" });
  const section = h(
    "section",
    { id: "callbacks", class: "callbacks-section" },
    h("h3", {}, "回访"),
    note,
    list,
  );
  parent.append(section);
  const reload = async () => {
    try {
      const queue = await api("/api/callbacks?status=pending&limit=50");
      list.replaceChildren(...queue.items.map((entry) => item(entry, catalogue, reload)));
      note.textContent = queue.total ? `待回访 ${queue.total} 件` : "没有待回访的案件。";
    } catch (err) {
      note.textContent = describe(err);
    }
    section.dataset.ready = "1";
  };
  reload();
  return reload;
}

function reviewItem(entry, reload) {
  const cb = entry.callback;
  const reason = h("input", {
    class: "callback-reason",
    maxlength: "500",
    placeholder: "不予重办时说明理由",
    "aria-label": `回访 ${cb.id} 的处理理由`,
  });
  const message = h("p", { class: "message", role: "status" });
  const decide = async (accept) => {
    try {
      await api(`/api/callbacks/${cb.id}/decision`, {
        method: "POST",
        body: { accept, reason: reason.value },
      });
      say(message, accept ? "已同意重办" : "已不予重办", "ok");
      reload();
    } catch (err) {
      say(message, describe(err), "error");
    }
  };
  return h(
    "li",
    { class: "card", dataset: { caseId: String(entry.case_id), callbackId: String(cb.id) } },
    h("strong", {}, `案件 #${entry.case_id} 回访不满意`),
    h(
      "p",
      {},
      `来电人：${cb.reason || ""}`,
      h("span", { class: "muted" }, ` ${fmtTime(cb.called_at)}`),
    ),
    reason,
    h(
      "div",
      { class: "callback-answers" },
      h(
        "button",
        { type: "button", dataset: { accept: "true" }, onclick: () => decide(true) },
        "同意重办",
      ),
      h(
        "button",
        { type: "button", dataset: { accept: "false" }, onclick: () => decide(false) },
        "不予重办",
      ),
    ),
    message,
  );
}

/** For the lead street: the 不满意 call-backs awaiting its decision, appended to ``parent``
 * (shown only when there are some). */
export function reviewQueue(parent) {
  const list = h("ul", { class: "callbacks cards" });
  const section = h(
    "section",
    { id: "callback-review", class: "callbacks-section", hidden: true },
    h("h3", {}, "回访不满意，待决定"),
    list,
  );
  parent.append(section);
  const reload = async () => {
    try {
      const queue = await api("/api/callbacks?status=review&limit=50");
      list.replaceChildren(...queue.items.map((entry) => reviewItem(entry, reload)));
      section.hidden = queue.items.length === 0;
    } catch {
      section.hidden = true;
    }
    section.dataset.ready = "1";
  };
  reload();
  return reload;
}
