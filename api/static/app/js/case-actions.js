// The rest of a case's lifecycle on the command centre page: escalate to the city (districts),
// re-route after a dispute, verify (confirm or reopen) and evaluate (1–5 stars). A button shows
// when its action is among the case's ``allowed_actions``: the API's rule, the one its routes
// refuse by.

import { departmentTable, post, textForm, whistleBody } from "./triage-actions.js";
import { h, say } from "./ui.js";

const STAR_WORDS = ["", "很不满意", "不满意", "一般", "基本满意", "非常满意"];
const HEADINGS = { disputed: "异议处理", resolved: "核查", verified: "结案评价" };

/** What the caller may do next on case ``c``: a list of [label, build form, class]. */
function choices(c, ctx, send, message) {
  const list = [];
  const may = (action) => c.allowed_actions.includes(action);
  if (may("escalate")) list.push(["上报市级", () => escalateForm(send, message), "whistle"]);
  if (may("reroute")) list.push(["改派部门", () => rerouteForm(c, ctx, send, message), "whistle"]);
  if (may("verify")) {
    list.push(["核查通过", () => confirmForm(send), "primary"]);
    list.push([
      "退回重办",
      () =>
        textForm(
          "退回理由",
          "确认退回",
          "verify",
          "reason",
          "已退回重办。",
          (path, body, done) => send(path, { confirmed: false, reason: body.reason }, done),
          message,
        ),
    ]);
  }
  if (may("evaluate")) list.push(["满意度评价", () => evaluateForm(send, message), "primary"]);
  return list;
}

/** The buttons of the next lifecycle steps and the form of the chosen one (or null). */
export function lifecycleActions(c, ctx) {
  const area = h("div", { class: "action-form" });
  const message = h("p", { class: "message", role: "status" });
  const send = (path, body, done) => post(c, path, body, message, () => ctx.done(c.id, done));
  const list = choices(c, ctx, send, message);
  if (!list.length) return null;
  const open = (build) => () => {
    area.replaceChildren(build());
    say(message, "");
    area.scrollIntoView({ block: "nearest" });
  };
  return h(
    "section",
    { class: "actions lifecycle" },
    h("h3", {}, HEADINGS[c.status] || "办理"),
    disputes(c, ctx),
    h(
      "div",
      { class: "buttons" },
      list.map(([label, build, cls]) =>
        h("button", { type: "button", class: cls, onclick: open(build) }, label),
      ),
    ),
    area,
    message,
  );
}

function disputes(c, ctx) {
  const open = c.assignments.filter((a) => a.status === "disputed" && a.dispute_reason);
  if (c.status !== "disputed" || !open.length) return null;
  return h(
    "ul",
    { class: "disputes" },
    open.map((a) =>
      h("li", {}, `${ctx.depts.get(a.department_code) || a.department_code}：${a.dispute_reason}`),
    ),
  );
}

function escalateForm(send, message) {
  const note = h("textarea", { rows: 2, maxlength: 2000, name: "note" });
  return h(
    "form",
    {
      class: "form",
      onsubmit: (e) => {
        e.preventDefault();
        say(message, "");
        send("escalate", { note: note.value.trim() }, "已上报市级，市级部门报到。");
      },
    },
    h("p", { class: "muted" }, "按市级职责清单召集市级部门，区级部门任务撤销。"),
    h("label", {}, "说明", note),
    h("button", { type: "submit", class: "primary whistle" }, "确认上报市级"),
  );
}

/** Re-route after a dispute: the proposal again, without the departments that disputed. */
function rerouteForm(c, ctx, send, message) {
  const disputed = new Set(
    c.assignments.filter((a) => a.status === "disputed").map((a) => a.department_code),
  );
  const note = h("textarea", { rows: 2, maxlength: 2000, name: "note" });
  const form = h(
    "form",
    { class: "form reroute-form" },
    departmentTable(c, ctx, disputed),
    h("label", {}, "说明", note),
    h("button", { type: "submit", class: "primary whistle" }, "确认改派"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = whistleBody(form, message);
    if (!body) return;
    const names = body.departments.map((d) => ctx.depts.get(d.code) || d.code).join("、");
    send(
      "reroute",
      { departments: body.departments, note: note.value.trim() },
      `已改派：${names}。`,
    );
  });
  return form;
}

function confirmForm(send) {
  const note = h("textarea", { rows: 2, maxlength: 2000, name: "reason" });
  return h(
    "form",
    {
      class: "form",
      onsubmit: (e) => {
        e.preventDefault();
        send("verify", { confirmed: true, reason: note.value.trim() }, "已核查通过。");
      },
    },
    h("label", {}, "核查意见（可选）", note),
    h("button", { type: "submit", class: "primary" }, "确认核查通过"),
  );
}

export function evaluateForm(send, message) {
  let stars = 0;
  const labels = [];
  const word = h("span", { class: "muted" }, "请选择 1–5 星");
  const paint = (n) => {
    for (const [i, l] of labels.entries()) l.classList.toggle("on", i < n);
  };
  const group = h(
    "fieldset",
    { class: "stars", onmouseleave: () => paint(stars) },
    h("legend", { class: "visually-hidden" }, "满意度"),
    [1, 2, 3, 4, 5].map((n) => {
      const label = h(
        "label",
        { title: STAR_WORDS[n], onmouseenter: () => paint(n) },
        h("input", {
          type: "radio",
          name: "stars",
          value: n,
          class: "visually-hidden",
          "aria-label": `${n} 星 ${STAR_WORDS[n]}`,
          onchange: () => {
            stars = n;
            paint(n);
            word.textContent = `${n} 星 · ${STAR_WORDS[n]}`;
          },
        }),
        "★",
      );
      labels.push(label);
      return label;
    }),
  );
  const comment = h("textarea", { rows: 2, maxlength: 2000, name: "comment" });
  return h(
    "form",
    {
      class: "form evaluate-form",
      onsubmit: (e) => {
        e.preventDefault();
        if (!stars) return say(message, "请先选择星级。", "error");
        send(
          "evaluate",
          { stars, comment: comment.value.trim() },
          `已评价 ${stars} 星，案件结案。`,
        );
      },
    },
    h("div", { class: "inline" }, group, word),
    h("label", {}, "评价（可选）", comment),
    h("button", { type: "submit", class: "primary" }, "提交评价"),
  );
}
