// The scoreboard (考核排名): departments, streets or districts ranked by their average whistle
// score, with the 12345 rates, for a month or a year. The API decides who sees which rows.

import { ApiError, api, describe, requireLogin } from "./api.js";
import { h, registerOffline, say, topbar } from "./ui.js";

const user = requireLogin();
const $ = (id) => document.getElementById(id);

const RATES = [
  ["response_rate", "响应率"],
  ["resolution_rate", "解决率"],
  ["satisfaction_rate", "满意率"],
  ["closure_rate", "结案率"],
  ["on_time_closure_rate", "按期结案率"],
];
const BY = { department: "部门", street: "街道", district: "区" };

/** Today in Beijing time: {year: "2026", month: "2026-11"}. */
function today() {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
  }).formatToParts(new Date());
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return { year: p.year, month: `${p.year}-${p.month}` };
}

function chosenPeriod() {
  const now = today();
  const kind = $("period-kind").value;
  if (kind === "year") return now.year;
  if (kind === "pick" && /^\d{4}-\d{2}$/.test($("month").value)) return $("month").value;
  return now.month;
}

export function fmtScore(value) {
  return value === null || value === undefined ? "—" : value.toFixed(2);
}

export function fmtRate(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

/** Rows by average score, best first; rows without a score last; ties share a rank. */
function ranked(rows) {
  const sorted = [...rows].sort((a, b) => {
    const x = a.average_score ?? -1;
    const y = b.average_score ?? -1;
    return y - x || a.code.localeCompare(b.code);
  });
  let rank = 0;
  return sorted.map((row, i) => {
    if (row.average_score === null) return { row, rank: null };
    if (i === 0 || row.average_score !== sorted[i - 1].average_score) rank = i + 1;
    return { row, rank };
  });
}

function cells(row) {
  return [
    h("td", { class: "num score" }, fmtScore(row.average_score)),
    h(
      "td",
      {
        class: "num scored",
        title: row.provisional ? `其中暂定 ${row.provisional} 个` : null,
      },
      String(row.scored),
    ),
    ...RATES.map(([key, label]) =>
      h(
        "td",
        { class: `num rate ${key}`, dataset: { rate: key }, title: label },
        fmtRate(row[key]),
      ),
    ),
    h("td", { class: "num chases", title: "催办" }, String(row.chases)),
    h("td", { class: "num escalations", title: "区级、市级督办" }, String(row.escalations)),
  ];
}

function render(board) {
  const list = ranked(board.rows);
  $("scoreboard")
    .querySelector("tbody")
    .replaceChildren(
      ...list.map(({ row, rank }) =>
        h(
          "tr",
          { dataset: { code: row.code } },
          h("td", { class: "rank" }, rank === null ? "—" : String(rank)),
          h(
            "td",
            { class: "name" },
            row.name || row.code,
            row.name ? h("span", { class: "code muted" }, ` ${row.code}`) : null,
          ),
          cells(row),
        ),
      ),
    );
  $("scoreboard")
    .querySelector("tfoot")
    .replaceChildren(
      h(
        "tr",
        { class: "total", dataset: { code: "total" } },
        h("td", {}, ""),
        h("td", { class: "name" }, "合计"),
        cells(board.total),
      ),
    );
  $("scoreboard").hidden = false;
  $("summary").textContent =
    `${board.period} · 按${BY[board.by] || board.by} · ${board.rows.length} 个`;
  say($("scores-message"), board.rows.length ? "" : "该时段没有考核数据。");
}

async function load() {
  const params = new URLSearchParams({ period: chosenPeriod(), by: $("by").value });
  try {
    render(await api(`/api/assessment/scoreboard?${params}`));
    document.body.dataset.state = "shown";
  } catch (err) {
    $("scoreboard").hidden = true;
    $("summary").textContent = "";
    const denied = err instanceof ApiError && err.status === 403;
    say(
      $("scores-message"),
      denied ? "无权查看考核：考核排名只对部门、街道、区、分析员和管理员开放。" : describe(err),
      "error",
    );
    document.body.dataset.state = denied ? "denied" : "error";
  }
  document.body.dataset.ready = "1";
}

if (user) {
  topbar(user, "考核排名");
  registerOffline();
  $("month").value = today().month;
  $("period-kind").addEventListener("change", () => {
    $("month").hidden = $("period-kind").value !== "pick";
    load();
  });
  $("month").addEventListener("change", load);
  $("by").addEventListener("change", load);
  $("refresh").addEventListener("click", load);
  load();
}
