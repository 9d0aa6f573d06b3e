// The scoreboard (考核排名): departments, streets or districts ranked by the average of their
// final whistle scores (the API's rank; provisional scores are shown apart, not ranked), with
// the 12345 rates, for a month or a year. A click on a row lists its whistle scores with the
// itemised deductions. The API decides who sees which rows.

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
const DIMENSIONS = { acknowledge: "按时签收", handling: "及时响应办理", satisfaction: "满意度" };

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

/** Rows in the API's rank order (final scores only); unranked rows last, by code. */
function ranked(rows) {
  const order = (row) => row.rank ?? Number.POSITIVE_INFINITY;
  return [...rows].sort((a, b) => order(a) - order(b) || a.code.localeCompare(b.code));
}

function cells(row) {
  return [
    h("td", { class: "num score" }, fmtScore(row.final_average_score)),
    h("td", { class: "num scored", title: `已定 ${row.final} 个` }, String(row.scored)),
    h(
      "td",
      {
        class: "num provisional",
        title: row.provisional ? "暂定分数不参与排名，随案件进展变化" : null,
      },
      row.provisional ? `${row.provisional} 个 · ${fmtScore(row.provisional_average_score)}` : "—",
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

/** The deductions of one whistle score, or why a dimension is not counted. */
function explained(item) {
  const lines = item.deductions.map((d) =>
    h("li", { dataset: { code: d.code } }, `${d.reason}：−${d.points.toFixed(2)}`),
  );
  for (const dim of item.dimensions) {
    if (!dim.counted && dim.note) {
      lines.push(
        h("li", { class: "muted" }, `${DIMENSIONS[dim.name] || dim.name}不计：${dim.note}`),
      );
    }
  }
  return lines.length ? h("ul", {}, lines) : h("span", { class: "muted" }, "无扣分");
}

function detailBox() {
  let box = $("row-detail");
  if (!box) {
    box = h("section", { id: "row-detail", class: "score-wrap", "aria-live": "polite" });
    $("scoreboard").closest(".score-wrap").after(box);
  }
  return box;
}

/** A click on a row: its whistle scores, lowest first, each with its deductions. */
async function showRow(board, row) {
  const box = detailBox();
  const name = row.name || row.code;
  box.replaceChildren(h("p", { class: "muted" }, `正在读取 ${name} 的各哨得分……`));
  const params = new URLSearchParams({ period: board.period, by: board.by, code: row.code });
  params.set("as_of", board.as_of);
  try {
    const found = await api(`/api/assessment/scores?${params}`);
    box.replaceChildren(
      h("h3", {}, `${name} · 各哨得分与扣分明细（${found.scores.length} 个）`),
      h(
        "table",
        { class: "scoreboard row-scores" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "案件"),
            h("th", {}, "部门"),
            h("th", { class: "num" }, "得分"),
            h("th", {}, "扣分"),
          ),
        ),
        h(
          "tbody",
          {},
          found.scores.map((item) =>
            h(
              "tr",
              {
                dataset: {
                  whistle: String(item.whistle_id),
                  assignment: String(item.assignment_id),
                },
              },
              h("td", {}, `#${item.case_id}（哨 ${item.whistle_id}）`),
              h("td", {}, item.department_name || item.department_code),
              h("td", { class: "num score" }, fmtScore(item.score), item.final ? "" : "（暂定）"),
              h("td", { class: "deductions" }, explained(item)),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    box.replaceChildren(h("p", { class: "message error" }, describe(err)));
  }
}

function render(board) {
  const list = ranked(board.rows);
  $("row-detail")?.replaceChildren();
  $("scoreboard")
    .querySelector("tbody")
    .replaceChildren(
      ...list.map((row) =>
        h(
          "tr",
          {
            dataset: { code: row.code },
            class: "clickable",
            tabindex: "0",
            title: "点击查看各哨扣分明细",
            onclick: () => showRow(board, row),
            onkeydown: (event) => {
              if (event.key === "Enter") showRow(board, row);
            },
          },
          h("td", { class: "rank" }, row.rank === null ? "—" : String(row.rank)),
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
