// Triage actions: resolve locally, reject, merge, blow a (joint) whistle. A button shows when
// its action is among the case's ``allowed_actions`` (the API's rule, the one its routes
// refuse by). ``ctx`` carries the catalogues, the queue and ``done(caseId, message)`` to
// refresh the page.

import { ApiError, api, describe } from "./api.js";
import { categoryLabel, fmtTime, h, say } from "./ui.js";

const WHISTLE_TYPES = ["综合执法哨", "重点工作哨", "应急处置哨"];

/** The buttons of the triage actions the caller may take and the form of the chosen one
 * (null when it may take none). */
export function actions(c, nearby, ctx) {
  const may = (action) => c.allowed_actions.includes(action);
  if (!["resolve", "reject", "merge", "whistle"].some(may)) return null;
  const area = h("div", { class: "action-form" });
  const message = h("p", { class: "message", role: "status" });
  const open = (build) => () => {
    area.replaceChildren(build());
    say(message, "");
    area.scrollIntoView({ block: "nearest" });
  };
  const send = (path, body, done) => post(c, path, body, message, () => ctx.done(c.id, done));
  const button = (label, build, cls) =>
    h("button", { type: "button", class: cls, onclick: open(build) }, label);
  return h(
    "section",
    { class: "actions" },
    h("h3", {}, "分拨"),
    h(
      "div",
      { class: "buttons" },
      may("resolve")
        ? button("就地解决", () =>
            textForm("处置说明", "确认就地解决", "resolve", "note", "已就地解决。", send, message),
          )
        : null,
      may("reject")
        ? button("驳回", () =>
            textForm("驳回理由", "确认驳回", "reject", "reason", "已驳回。", send, message),
          )
        : null,
      may("merge") ? button("合并", () => mergeForm(c, ctx, send, message)) : null,
      may("whistle")
        ? button("吹哨", () => whistleForm(c, nearby, ctx, send, message, false), "whistle")
        : null,
      may("whistle")
        ? button("联合吹哨", () => whistleForm(c, nearby, ctx, send, message, true), "whistle")
        : null,
    ),
    area,
    message,
  );
}

export async function post(c, path, body, message, then) {
  say(message, "提交中…");
  try {
    await api(`/api/cases/${c.id}/${path}`, { method: "POST", body });
  } catch (err) {
    say(message, describe(err), "error");
    // the case moved on since it was drawn (409): the page draws it again from the server
    // and says why (``case:stale`` on the document, handled by the page)
    if (err instanceof ApiError && err.status === 409) {
      const detail = { id: c.id, message: describe(err) };
      document.dispatchEvent(new CustomEvent("case:stale", { detail }));
    }
    return;
  }
  await then();
}

export function textForm(label, button, path, field, done, send, message) {
  const text = h("textarea", { rows: 3, maxlength: 2000, name: field });
  const submit = (e) => {
    e.preventDefault();
    if (!text.value.trim()) return say(message, `请填写${label}。`, "error");
    send(path, { [field]: text.value.trim() }, done);
  };
  return h(
    "form",
    { class: "form", onsubmit: submit },
    h("label", {}, label, text),
    h("button", { type: "submit", class: "primary" }, button),
  );
}

/** One side of the merge comparison: category, description, reporters, when. */
function caseCard(title, k, ctx) {
  return h(
    "div",
    { class: "merge-side" },
    h("h4", {}, title),
    h("p", { class: "merge-category" }, categoryLabel(ctx.catalogue, k.category)),
    h("p", {}, k.description || "（无描述）"),
    h(
      "p",
      { class: "muted" },
      `${k.report_count ?? 1} 人上报 · ${k.created_at ? fmtTime(k.created_at) : ""}`,
    ),
  );
}

function mergeForm(c, ctx, send, message) {
  const into = h("input", {
    type: "number",
    min: 1,
    list: "merge-targets",
    placeholder: "案件编号",
    name: "into",
  });
  const reason = h("textarea", { rows: 2, maxlength: 2000, name: "reason" });
  const compare = h("div", { class: "merge-compare" });
  let target = null; // the case to merge into, once shown
  const others = ctx.cases.filter((f) => f.properties.id !== c.id).map((f) => f.properties);
  const show = async () => {
    const id = Number(into.value);
    if (target && target.id === id) return; // shown already (``change`` follows ``input``)
    target = null;
    if (!id || id === c.id) return compare.replaceChildren();
    try {
      target = await api(`/api/cases/${id}`);
    } catch (err) {
      return compare.replaceChildren(h("p", { class: "warn" }, describe(err)));
    }
    const differ = target.category !== c.category;
    compare.replaceChildren(
      h(
        "div",
        { class: "merge-sides" },
        caseCard(`本案 #${c.id}`, c, ctx),
        caseCard(`并入 #${target.id}`, target, ctx),
      ),
      differ
        ? h("p", { class: "warn merge-warning" }, "两案问题类别不同：确认是同一问题再合并。")
        : null,
    );
  };
  into.addEventListener("change", show);
  into.addEventListener("input", show);
  const submit = (e) => {
    e.preventDefault();
    const id = Number(into.value);
    if (!id || id === c.id) return say(message, "请填写另一个案件的编号。", "error");
    if (!target || target.id !== id) return say(message, "请先核对要并入的案件。", "error");
    if (!reason.value.trim()) return say(message, "请填写合并理由。", "error");
    send("merge", { into: id, reason: reason.value.trim() }, `已并入案件 ${id}。`);
  };
  return h(
    "form",
    { class: "form merge-form", onsubmit: submit },
    h("label", {}, "并入案件", into),
    h(
      "datalist",
      { id: "merge-targets" },
      others.map((p) => h("option", { value: p.id }, categoryLabel(ctx.catalogue, p.category))),
    ),
    compare,
    h("label", {}, "合并理由", reason),
    h("button", { type: "submit", class: "primary" }, "确认合并"),
  );
}

// ---- the whistle ---------------------------------------------------------------------

/** One department row: send it?, its name, lead or support, overall lead. */
function departmentRow(d, checked) {
  const role = h(
    "select",
    { name: `role-${d.code}`, "aria-label": "职责" },
    h("option", { value: "lead", selected: d.role === "lead" }, "主办"),
    h("option", { value: "support", selected: d.role !== "lead" }, "协办"),
  );
  return h(
    "tr",
    { dataset: { code: d.code } },
    h(
      "td",
      {},
      h("input", { type: "checkbox", name: "dept", value: d.code, checked, "aria-label": d.name }),
    ),
    h("td", {}, d.name),
    h("td", {}, role),
    h(
      "td",
      {},
      h("input", {
        type: "radio",
        name: "overall",
        value: d.code,
        checked: Boolean(d.overall_lead),
        "aria-label": "总牵头",
      }),
    ),
  );
}

/**
 * Departments: the router's proposal pre-checked (except those in ``skip``, e.g. a department
 * that disputed), others of the case's districts addable.
 */
export function departmentTable(c, ctx, skip = new Set()) {
  const rows = h("tbody", {});
  const add = (d) =>
    rows.querySelector(`[data-code="${d.code}"]`) ||
    rows.append(departmentRow(d, !skip.has(d.code)));
  c.routing.departments.forEach(add);
  const districts = new Set(c.routing.streets.map((s) => s.district_code));
  const extra = h(
    "select",
    { "aria-label": "添加部门" },
    h("option", { value: "" }, "＋ 添加部门…"),
  );
  for (const [code, name] of ctx.depts) {
    if (districts.has(code.split("-")[0])) extra.append(h("option", { value: code }, name));
  }
  extra.addEventListener("change", () => {
    if (extra.value) add({ code: extra.value, name: ctx.depts.get(extra.value), role: "support" });
    extra.value = "";
  });
  const head = h(
    "tr",
    {},
    ["派", "部门", "职责", "总牵头"].map((t) => h("th", {}, t)),
  );
  return [h("table", { class: "dept-table" }, h("thead", {}, head), rows), extra];
}

/** Partner streets: those already party to the case, and (joint whistle) the neighbours. */
function partnerBox(c, nearby, joint) {
  const parties = c.routing.streets.slice(1).map((s) => ({ ...s, party: true }));
  const known = new Set([c.lead_street_code, ...parties.map((p) => p.code)]);
  const neighbours = joint ? nearby.filter((s) => !known.has(s.code)) : [];
  const choices = [...parties, ...neighbours];
  return h(
    "fieldset",
    { class: `partners${joint ? " open" : ""}` },
    h("legend", {}, "联合街道"),
    choices.length
      ? choices.map((s) =>
          h(
            "label",
            { class: "inline" },
            h("input", {
              type: "checkbox",
              name: "partner",
              value: s.code,
              checked: Boolean(s.party),
            }),
            ` ${s.name}${s.party ? "（已为联合方）" : ""}`,
          ),
        )
      : h(
          "p",
          { class: "muted" },
          joint ? "附近没有其他街道。" : "无。需要邻近街道参与时用“联合吹哨”。",
        ),
  );
}

/** The whistle: type and departments pre-filled from the router's proposal, all editable. */
function whistleForm(c, nearby, ctx, send, message, joint) {
  const type = h(
    "select",
    { name: "whistle_type" },
    WHISTLE_TYPES.map((t) => h("option", { value: t, selected: t === c.routing.whistle_type }, t)),
  );
  const partners = partnerBox(c, nearby, joint);
  const note = h("textarea", { rows: 2, name: "note", maxlength: 2000 });
  const submit = h("button", { type: "submit", class: "primary whistle" });
  const relabel = () => {
    const any = partners.querySelector("input[name=partner]:checked");
    submit.textContent = any ? "确认联合吹哨" : "确认吹哨";
  };
  partners.addEventListener("change", relabel);
  relabel();
  const form = h(
    "form",
    { class: "form whistle-form" },
    h("label", {}, "哨型", type),
    departmentTable(c, ctx),
    partners,
    h("label", {}, "说明", note),
    submit,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = whistleBody(form, message);
    if (!body) return;
    body.whistle_type = type.value;
    body.note = note.value.trim();
    const names = body.departments.map((d) => ctx.depts.get(d.code) || d.code).join("、");
    const what = body.partner_streets.length ? "已联合吹哨" : "已吹哨";
    send("whistle", body, `${what}：${names} 报到。`);
  });
  return form;
}

/** The checked departments (one lead, one overall lead) and partner streets; null if invalid. */
export function whistleBody(form, message) {
  const fail = (text) => {
    say(message, text, "error");
    return null;
  };
  const departments = [...form.querySelectorAll("input[name=dept]:checked")].map((box) => ({
    code: box.value,
    role: form.querySelector(`select[name="role-${box.value}"]`).value,
    overall_lead: Boolean(form.querySelector(`input[name=overall][value="${box.value}"]:checked`)),
  }));
  if (!departments.length) return fail("请至少选择一个部门。");
  const leads = departments.filter((d) => d.role === "lead");
  if (!leads.length) return fail("须有一个主办部门（一门主责）。");
  const overall = departments.find((d) => d.overall_lead);
  if (overall && overall.role !== "lead") return fail("总牵头部门须为主办部门。");
  if (!overall) leads[0].overall_lead = true;
  const partner_streets = [...form.querySelectorAll("input[name=partner]:checked")].map(
    (b) => b.value,
  );
  return { departments, partner_streets };
}
