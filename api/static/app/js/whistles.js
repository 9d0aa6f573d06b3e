// The whistle board: open assignments with their due times (overdue in red, provisional
// marked) and their supervision level (黄牌预警 … 市级督办, from the API); departments
// acknowledge, report on site, resolve, ask for more time or dispute; the whistling street
// decides on extension requests. A card's buttons are its ``allowed_actions`` (the API's rule,
// the one its routes refuse by). Each case says where it is (nearest road, 高德 / 百度 links,
// a small map). A card that was out of date (409) is drawn again from the server with the reason.

import { ApiError, api, describe, requireLogin } from "./api.js";
import { dropSiteMaps, siteSection } from "./case-site.js";
import { onCaseEvents } from "./live.js";
import { casePhotos, dataUrl, describeLimits, photoLimits, prepare } from "./photos.js";
import {
  ASSIGNMENT_STATUS,
  categories,
  categoryLabel,
  departments,
  fmtDue,
  fmtTime,
  h,
  registerOffline,
  say,
  topbar,
} from "./ui.js";

const user = requireLogin(["department", "street", "district", "community", "analyst", "admin"]);
const $ = (id) => document.getElementById(id);

const LIVE = ["dispatched", "acknowledged", "on_site"];
// the supervision ladder, lowest first (the API's levels)
const SUPERVISION = {
  warning: "黄牌预警",
  overdue: "超期",
  chased: "已催办",
  district: "区级督办",
  city: "市级督办",
};
const RANK = ["none", ...Object.keys(SUPERVISION)];
const OBLIGATIONS = [
  ["acknowledge", "签收", "acknowledge_due_at", "acknowledged_at"],
  ["on_site", "到场", "on_site_due_at", "on_site_at"],
  ["resolve", "办结", "resolve_due_at", "resolved_at"],
];

const state = {
  rows: [],
  pending: new Map(),
  catalogue: new Map(),
  depts: new Map(),
  notes: new Map(), // assignment id → why the last action on it was refused (409), kept on redraw
};

// ---- loading -------------------------------------------------------------------------

async function loadBoard() {
  const filter = $("status-filter").value;
  const params = new URLSearchParams({ limit: "200" });
  if ($("overdue-only").checked) params.set("overdue", "true");
  if ($("supervision-filter").value) params.set("supervision", $("supervision-filter").value);
  if (filter && filter !== "live") params.set("status", filter);
  try {
    const rows = await api(`/api/whistles?${params}`);
    const decides = rows.some((a) => may(a, "decide_extension"));
    const pending = decides ? await api("/api/extensions?status=requested") : [];
    const shown = filter === "live" ? rows.filter((a) => LIVE.includes(a.status)) : rows;
    // the highest supervision level first, then by the resolve due time (the API's order)
    const rank = (a) => RANK.indexOf(a.supervision);
    state.rows = shown.sort((a, b) => rank(b) - rank(a));
    state.pending = new Map(pending.map((x) => [x.assignment_id, x]));
  } catch (err) {
    $("board").replaceChildren(h("p", { class: "error" }, describe(err)));
    return;
  }
  render();
  document.body.dataset.ready = "1";
}

/** A case event arrived: reload the board, unless a form on it is being filled in (then
 * look again shortly, so that typed text is not lost). */
function liveRefresh() {
  const board = $("board");
  const active = document.activeElement;
  const typing =
    (active && board.contains(active) && active.matches("input, textarea, select")) ||
    [...board.querySelectorAll("form textarea, form input[type=text]")].some((el) =>
      el.value.trim(),
    );
  if (typing) setTimeout(liveRefresh, 5000);
  else loadBoard();
}

/** Whether the caller may do ``action`` to assignment ``a`` now (the API says). */
function may(a, action) {
  return a.allowed_actions.includes(action);
}

// ---- rendering -----------------------------------------------------------------------

function render() {
  const overdue = state.rows.filter((a) => a.overdue.length).length;
  $("summary").textContent = `${state.rows.length} 项任务，其中超期 ${overdue} 项`;
  const byCase = new Map(); // a case's assignments together, in the order the board lists them
  for (const a of state.rows) {
    if (!byCase.has(a.case_id)) byCase.set(a.case_id, []);
    byCase.get(a.case_id).push(a);
  }
  dropSiteMaps(); // before the cards are drawn: their small maps are watched afresh
  const items = [...byCase.values()].map((rows) => (rows.length > 1 ? group(rows) : card(rows[0])));
  $("board").replaceChildren(
    ...(items.length ? items : [h("p", { class: "muted" }, "没有任务。")]),
  );
}

/** The assignments of one case (a joint whistle summons several departments): the case once,
 * then each department's card. */
function group(rows) {
  const c = rows[0].case;
  const late = rows.some((a) => a.overdue.length > 0);
  return h(
    "section",
    { class: `case-group${late ? " overdue" : ""}`, dataset: { caseId: rows[0].case_id } },
    h(
      "header",
      {},
      h(
        "strong",
        {},
        `案件 #${rows[0].case_id} ${c ? categoryLabel(state.catalogue, c.category) : ""}`,
      ),
      c?.joint ? h("span", { class: "badge joint" }, "联合") : null,
      h("span", { class: "muted" }, ` ${rows.length} 个部门`),
    ),
    c?.description ? h("p", { class: "description" }, c.description) : null,
    c ? h("p", { class: "muted" }, place(c)) : null,
    c ? siteSection(c) : null,
    c ? casePhotos(c.photos, { depts: state.depts }) : null,
    ...rows.map((a) => card(a, true)),
  );
}

/** One assignment; ``grouped``: inside its case's group, which shows the case once. */
function card(a, grouped = false) {
  const c = a.case;
  const dept = state.depts.get(a.department_code) || a.department_code;
  const late = a.overdue.length > 0;
  const message = h("p", { class: "message", role: "status" });
  if (state.notes.has(a.id)) say(message, state.notes.get(a.id), "error");
  const area = h("div", { class: "action-form" });
  const ext = state.pending.get(a.id);
  const pending = ext && may(a, "decide_extension") ? ext : null;
  return h(
    "article",
    { class: `card${late ? " overdue" : ""}`, dataset: { assignmentId: a.id, status: a.status } },
    h(
      "header",
      {},
      h("strong", {}, `案件 #${a.case_id} ${c ? categoryLabel(state.catalogue, c.category) : ""}`),
      h("span", { class: `badge status-${a.status}` }, ASSIGNMENT_STATUS[a.status] || a.status),
      SUPERVISION[a.supervision]
        ? h(
            "span",
            { class: `badge supervision supervision-${a.supervision}` },
            SUPERVISION[a.supervision],
          )
        : null,
      a.due_provisional
        ? h(
            "span",
            {
              class: "badge provisional",
              title:
                "所涉年份的节假日安排尚未导入，暂按周末推算；" +
                "每年11月前后国务院公布次年安排后，由管理员用 gridwhistle calendar load 导入",
            },
            "时限暂定",
          )
        : null,
    ),
    h(
      "p",
      { class: "who" },
      `${a.overall_lead ? "★ 总牵头 " : ""}${dept}（${a.role === "lead" ? "主办" : "协办"}）`,
      c?.joint && !grouped ? h("span", { class: "badge joint" }, "联合") : null,
    ),
    c?.description && !grouped ? h("p", { class: "description" }, c.description) : null,
    c && !grouped ? h("p", { class: "muted" }, place(c)) : null,
    c && !grouped ? siteSection(c) : null,
    c && !grouped ? casePhotos(c.photos, { depts: state.depts }) : null,
    dues(a),
    a.on_site_distance_m !== null
      ? h("p", { class: "muted" }, `到场位置距案件 ${Math.round(a.on_site_distance_m)} 米`)
      : null,
    a.resolution_note ? h("p", { class: "muted" }, `办结说明：${a.resolution_note}`) : null,
    a.dispute_reason ? h("p", { class: "muted" }, `异议理由：${a.dispute_reason}`) : null,
    pending ? extensionBox(pending, message) : null,
    dutyButtons(a, area, message),
    area,
    message,
  );
}

function place(c) {
  const streets = c.streets.map((s) => s.name).join(" / ");
  return `${streets}${c.grid_code ? ` · 网格 ${c.grid_code}` : ""} · 上报于 ${fmtTime(c.created_at)}`;
}

function dues(a) {
  return h(
    "table",
    { class: "dues" },
    h(
      "tbody",
      {},
      OBLIGATIONS.map(([name, label, due, done]) => {
        const late = a.overdue.includes(name);
        return h(
          "tr",
          { class: late ? "overdue" : a[done] ? "done" : "" },
          h("th", {}, label),
          h("td", {}, `时限 ${fmtDue(a[due])}${a.due_provisional ? "（暂定）" : ""}`),
          h("td", {}, a[done] ? `✓ ${fmtTime(a[done])}` : late ? "已超期" : "未完成"),
        );
      }),
    ),
  );
}

// ---- department duty -----------------------------------------------------------------

function dutyButtons(a, area, message) {
  const buttons = [];
  const add = (label, handler, cls = "") =>
    buttons.push(h("button", { type: "button", class: cls, onclick: handler }, label));
  if (may(a, "acknowledge"))
    add("签收", () => act(a, "acknowledge", undefined, message, "已签收。"), "primary");
  if (may(a, "arrive")) add("到场报到", () => onSite(a, message), "primary");
  if (may(a, "resolve")) add("办结", () => area.replaceChildren(resolveForm(a, message)));
  if (may(a, "extend")) add("申请延期", () => area.replaceChildren(extensionForm(a, message)));
  if (may(a, "dispute"))
    add("提出异议", () =>
      area.replaceChildren(
        textForm(
          a,
          "异议理由（为何不属本部门）",
          "提交异议",
          "dispute",
          "reason",
          message,
          "已提出异议，案件退回分拨。",
        ),
      ),
    );
  return buttons.length ? h("div", { class: "buttons" }, buttons) : null;
}

async function act(a, path, body, message, done) {
  state.notes.delete(a.id);
  say(message, "提交中…");
  try {
    await api(`/api/assignments/${a.id}/${path}`, { method: "POST", body });
  } catch (err) {
    if (stale(err)) return conflict(a.id, describe(err));
    say(message, describe(err), "error");
    return;
  }
  await loadBoard();
  say($("board-message"), `案件 #${a.case_id}：${done}`, "ok");
}

/** The card was out of date: the task or case moved on since it was drawn (409). */
function stale(err) {
  return err instanceof ApiError && err.status === 409;
}

/** Draw the board again from the server; the refused card keeps the reason in view. */
async function conflict(assignmentId, text) {
  state.notes.set(assignmentId, text);
  await loadBoard();
  if (!document.querySelector(`article.card[data-assignment-id="${assignmentId}"]`))
    say($("board-message"), text, "error"); // no longer on the board (e.g. cancelled)
}

function onSite(a, message) {
  if (!navigator.geolocation) return say(message, "此设备不支持定位，无法报到。", "error");
  say(message, "正在定位…");
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      const body = { lon: pos.coords.longitude, lat: pos.coords.latitude, crs: "wgs84" };
      act(
        a,
        "on-site",
        body,
        message,
        `已到场报到（定位精度约 ${Math.round(pos.coords.accuracy)} 米）。`,
      );
    },
    (err) => say(message, `无法获取位置（${err.message}），请允许定位后重试。`, "error"),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 },
  );
}

function textForm(a, label, button, path, field, message, done) {
  const text = h("textarea", { rows: 2, maxlength: 2000, name: field });
  return h(
    "form",
    {
      class: "form",
      onsubmit: (e) => {
        e.preventDefault();
        if (!text.value.trim()) return say(message, `请填写${label}。`, "error");
        act(a, path, { [field]: text.value.trim() }, message, done);
      },
    },
    h("label", {}, label, text),
    h("button", { type: "submit", class: "primary" }, button),
  );
}

/** The resolution: a note and the after-photos (处置后照片), required by policy for some cases. */
function resolveForm(a, message) {
  const note = h("textarea", { rows: 2, maxlength: 2000, name: "note" });
  const picked = [];
  const list = h("ul", { class: "thumbs", "aria-label": "已选处置后照片" });
  const limitsNote = h("span", { class: "muted" });
  const need = a.overall_lead ? a.case?.after_photos_required || 0 : 0;
  const render = () =>
    list.replaceChildren(
      ...picked.map((p, i) =>
        h(
          "li",
          { class: "thumb" },
          h("img", { src: dataUrl(p), alt: `处置后照片 ${i + 1}：${p.name}` }),
          h(
            "button",
            {
              type: "button",
              class: "link",
              onclick: () => {
                picked.splice(i, 1);
                render();
              },
            },
            "删除",
          ),
        ),
      ),
    );
  const addPhotos = async (input) => {
    const files = [...input.files];
    input.value = ""; // the same photo may be picked again after removing it
    let limits;
    try {
      limits = await photoLimits();
    } catch (err) {
      return say(message, `无法获取照片要求：${describe(err)}`, "error");
    }
    const room = limits.max_photos - picked.length;
    const problems = files.length > room ? [`最多 ${limits.max_photos} 张照片。`] : [];
    for (const file of files.slice(0, Math.max(0, room))) {
      const photo = await prepare(file, limits);
      if (photo.error) problems.push(photo.error);
      else picked.push(photo);
    }
    say(message, problems.join(" "), problems.length ? "error" : "");
    render();
  };
  const picker = (label, cls, extra) =>
    h(
      "label",
      { class: "file-button" },
      label,
      h("input", {
        type: "file",
        accept: "image/*",
        class: `visually-hidden ${cls}`,
        onchange: (e) => addPhotos(e.target),
        ...extra,
      }),
    );
  photoLimits()
    .then((limits) => {
      limitsNote.textContent = `（${describeLimits(limits)}）`;
    })
    .catch(() => {});
  return h(
    "form",
    {
      class: "form",
      onsubmit: (e) => {
        e.preventDefault();
        if (!note.value.trim()) return say(message, "请填写办结说明。", "error");
        const body = { note: note.value.trim() };
        if (picked.length)
          body.photos = picked.map((p) => ({ content_type: p.content_type, data: p.data }));
        act(a, "resolve", body, message, "已办结。");
      },
    },
    h("label", {}, "办结说明", note),
    h(
      "fieldset",
      { class: "photos" },
      h(
        "legend",
        {},
        "处置后照片",
        limitsNote,
        need
          ? h("span", { class: "warn" }, ` 本类案件办结须有至少 ${need} 张（协办部门所附计入）`)
          : null,
      ),
      h(
        "div",
        { class: "photo-buttons" },
        picker("拍照", "resolve-camera", { capture: "environment" }),
        picker("从相册选择", "resolve-photos", { multiple: true }),
      ),
      list,
    ),
    h("button", { type: "submit", class: "primary" }, "确认办结"),
  );
}

const UNIT_WORDS = { wd: " 个工作日", d: " 天", h: " 小时" };

/** An extension's amount in words: "3wd" → "3 个工作日". */
function amountWords(amount) {
  const found = /^(\d+(?:\.\d+)?)(wd|d|h)$/.exec(amount || "");
  return found ? `${found[1]}${UNIT_WORDS[found[2]]}` : amount;
}

function extensionForm(a, message) {
  // how many, and of what: people choose words, the API takes "3wd", "5d", "12h"
  const amount = h("input", { name: "amount", type: "number", min: 1, max: 999, value: 3 });
  const unit = h(
    "select",
    { name: "unit" },
    h("option", { value: "wd" }, "个工作日"),
    h("option", { value: "d" }, "天"),
    h("option", { value: "h" }, "小时"),
  );
  const reason = h("textarea", { rows: 2, maxlength: 2000, name: "reason" });
  return h(
    "form",
    {
      class: "form",
      onsubmit: (e) => {
        e.preventDefault();
        const n = Number(amount.value);
        if (!Number.isInteger(n) || n < 1 || n > 999)
          return say(message, "请填写延期多久（1 到 999 的整数）。", "error");
        if (!reason.value.trim()) return say(message, "请填写延期理由。", "error");
        act(
          a,
          "extensions",
          { amount: `${n}${unit.value}`, reason: reason.value.trim() },
          message,
          "已申请延期，等待街道批准。",
        );
      },
    },
    h("label", { class: "inline" }, "延期 ", amount, " ", unit),
    h("label", {}, "理由", reason),
    h("button", { type: "submit", class: "primary" }, "提交申请"),
  );
}

// ---- the whistling street decides on extensions --------------------------------------

function extensionBox(ext, message) {
  const decide = async (approve) => {
    state.notes.delete(ext.assignment_id);
    say(message, "提交中…");
    try {
      await api(`/api/extensions/${ext.id}/decision`, {
        method: "POST",
        body: { approve },
      });
    } catch (err) {
      if (stale(err)) return conflict(ext.assignment_id, describe(err));
      say(message, describe(err), "error");
      return;
    }
    await loadBoard();
    say($("board-message"), approve ? "已批准延期。" : "已驳回延期申请。", "ok");
  };
  return h(
    "div",
    { class: "extension" },
    h("strong", {}, `申请延期 ${amountWords(ext.amount)}`),
    ` 原时限 ${fmtDue(ext.old_due_at)}，`,
    `延至 ${fmtDue(ext.new_due_at)}：${ext.reason || ""} `,
    h("button", { type: "button", class: "primary", onclick: () => decide(true) }, "批准"),
    h("button", { type: "button", onclick: () => decide(false) }, "不批准"),
  );
}

// ---- start ---------------------------------------------------------------------------

if (user) {
  registerOffline();
  topbar(user, "吹哨看板");
  $("status-filter").addEventListener("change", loadBoard);
  $("overdue-only").addEventListener("change", loadBoard);
  $("supervision-filter").append(
    ...Object.entries(SUPERVISION).map(([value, label]) => h("option", { value }, label)),
  );
  $("supervision-filter").addEventListener("change", loadBoard);
  $("refresh").addEventListener("click", loadBoard);
  onCaseEvents(liveRefresh); // an assignment or case in scope changed
  Promise.all([categories(), departments()])
    .then(([cats, depts]) => {
      state.catalogue = cats;
      state.depts = depts;
    })
    .catch(() => {})
    .finally(loadBoard);
}
