// One case as the command centre reads it: where it is, the proposed routing with its
// explanation (ambiguity and joint cases highlighted), the departments' duty, the photos
// (before beside after, for verification), the history.

import { casePhotos } from "./photos.js";
import { ASSIGNMENT_STATUS, CASE_STATUS, categoryLabel, fmtTime, h, percent } from "./ui.js";

export const EVENT_NAMES = {
  "case:new": "立案",
  "report:received": "收到上报",
  "report:attached": "同类上报并入",
  "case:whistled": "吹哨",
  "case:resolved": "解决",
  "case:rejected": "驳回",
  "case:merged": "合并",
  "case:merged_in": "并入重复案件",
  "case:disputed": "部门异议",
  "case:verified": "核查",
  "case:closed": "结案",
  "assignment:acknowledged": "部门签收",
  "assignment:on_site": "部门到场",
  "assignment:resolved": "部门办结",
  "assignment:disputed": "部门异议",
  "assignment:cancelled": "任务撤销",
  "extension:requested": "申请延期",
  "extension:approved": "批准延期",
  "extension:denied": "驳回延期",
  "whistle:escalated": "上报市级",
  "obligation:overdue": "时限已过",
  "supervision:warning": "黄牌预警",
  "supervision:chased": "催办",
  "supervision:district": "区级督办",
  "supervision:city": "市级督办",
  callback: "12345 回访",
  "callback:accepted": "回访不满意：街道同意重办",
  "callback:declined": "回访不满意：街道不予重办",
  comment: "备注",
};

// an open assignment's supervision level (the API's, docs/supervision.md)
const SUPERVISION = {
  warning: "黄牌预警",
  overdue: "超期",
  chased: "已催办",
  district: "区级督办",
  city: "市级督办",
};

/** Badges of a case: joint, ambiguous position, several reports, status. */
export function badges(props, routing = {}) {
  return [
    props.joint ? h("span", { class: "badge joint" }, "联合") : null,
    routing.ambiguous ? h("span", { class: "badge ambiguous" }, "位置歧义") : null,
    props.report_count > 1 ? h("span", { class: "badge" }, `${props.report_count} 人报告`) : null,
    h("span", { class: `badge status-${props.status}` }, CASE_STATUS[props.status] || props.status),
  ];
}

function streetName(c, code) {
  const s = c.routing.streets.find((x) => x.code === code);
  return s ? s.name : code;
}

/** The case's sections; ``extra`` (the actions) goes before the history. */
export function caseView(c, events, { user, catalogue, depts, extra }) {
  const r = c.routing;
  const partner = user.role === "street" && user.jurisdiction !== c.lead_street_code;
  const lead = streetName(c, c.lead_street_code);
  return [
    h(
      "div",
      { class: "detail-head" },
      h("h2", {}, `案件 #${c.id} ${categoryLabel(catalogue, c.category)}`),
      h("div", {}, badges({ ...c, joint: r.joint }, r)),
    ),
    c.description ? h("p", { class: "description" }, c.description) : null,
    h(
      "dl",
      { class: "where" },
      h("dt", {}, "上报"),
      h("dd", {}, `${fmtTime(c.created_at)}，${c.report_count} 人`),
      h("dt", {}, "地址"),
      h("dd", { class: "case-address" }, c.address || "—"),
      h("dt", {}, "网格"),
      h("dd", {}, c.grid_code || "—"),
      h("dt", {}, "主办街道"),
      h("dd", {}, lead),
    ),
    partner
      ? h(
          "p",
          { class: "note" },
          `本街道为联合方（协办），主办街道：${lead}。可查看，由主办街道分拨。`,
        )
      : null,
    routingSection(r),
    h(
      "details",
      { class: "explanation", open: true },
      h("summary", {}, "分拨依据"),
      h(
        "ol",
        {},
        r.explanation.map((line) => h("li", {}, line)),
      ),
    ),
    c.assignments.length ? assignmentsSection(c, depts) : null,
    casePhotos(c.photos, { depts, whistled: c.assignments.length > 0 }),
    extra,
    h(
      "details",
      { class: "history" },
      h("summary", {}, `处置记录（${events.length}）`),
      h("ol", {}, events.map(eventRow)),
    ),
  ].filter(Boolean);
}

function routingSection(r) {
  const streets = r.streets.map((s, i) =>
    h(
      "li",
      { class: i === 0 ? "lead" : "" },
      `${s.name} ${percent(s.share)}${i === 0 ? "（主办）" : "（联合）"}`,
    ),
  );
  const departments = r.departments.map((d) =>
    h(
      "li",
      {},
      `${d.overall_lead ? "★ " : ""}${d.name}`,
      h("span", { class: "muted" }, d.role === "lead" ? " 主办" : " 协办"),
    ),
  );
  const chief = r.chief ? ` · 街巷长：${r.chief.name}（${r.chief.street_or_alley}）` : "";
  return h(
    "section",
    { class: `routing${r.joint ? " joint" : ""}${r.ambiguous ? " is-ambiguous" : ""}` },
    h("h3", {}, r.joint ? "建议去向：跨界联合处置" : "建议去向"),
    r.ambiguous
      ? h(
          "div",
          { class: "ambiguous" },
          h("strong", {}, "位置存在歧义（精度圈跨越边界）："),
          h(
            "ul",
            {},
            r.candidates.map((x) => h("li", {}, `${x.name} ${percent(x.share)}`)),
          ),
        )
      : null,
    h("ul", { class: "streets" }, streets),
    h(
      "p",
      { class: "muted" },
      `哨型：${r.whistle_type} · 时限：${r.sla_text || r.sla_policy}${chief}`,
    ),
    h("ul", { class: "departments" }, departments),
  );
}

function assignmentsSection(c, depts) {
  const rows = c.assignments.map((a) =>
    h(
      "li",
      { class: a.overdue.length ? "overdue" : "", dataset: { supervision: a.supervision } },
      `${depts.get(a.department_code) || a.department_code}：${ASSIGNMENT_STATUS[a.status] || a.status}`,
      SUPERVISION[a.supervision]
        ? h(
            "span",
            { class: `badge supervision supervision-${a.supervision}` },
            SUPERVISION[a.supervision],
          )
        : null,
    ),
  );
  return h("section", {}, h("h3", {}, "部门报到"), h("ul", { class: "departments" }, rows));
}

function eventRow(e) {
  return h(
    "li",
    {},
    h("span", { class: "muted" }, fmtTime(e.at)),
    ` ${e.actor_name}：${EVENT_NAMES[e.kind] || e.kind}`,
    e.reason ? h("span", { class: "muted" }, `（${e.reason}）`) : null,
  );
}
