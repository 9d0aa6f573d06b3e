// 我的上报: the reporter's own reports, newest first, each with where its case stands now
// (merges followed to the case it is in), the rating, the history of every case it was in,
// and the 1–5 star evaluation when the server says the reporter may give it (``actions``).

import { api, cachedGet, describe, NetworkError, requireLogin } from "./api.js";
import { evaluateForm } from "./case-actions.js";
import { EVENT_NAMES } from "./case-view.js";
import { onCaseEvents } from "./live.js";
import { categories, categoryLabel, fmtTime, h, registerOffline, say, topbar } from "./ui.js";

const user = requireLogin([
  "grid_worker",
  "community",
  "street",
  "district",
  "chief",
  "hotline",
  "admin",
]);
const $ = (id) => document.getElementById(id);
const PAGE = 20;
const STARS = (n) => "★".repeat(n) + "☆".repeat(5 - n);
const RATED_BY = { reporter: "", resident: "", callback: "（12345 回访）" };

const state = { offset: 0, catalogue: new Map(), queue: Promise.resolve(), shown: false };

/** 案件 4 · 已合并到案件 1 · 已吹哨: the case the report was filed in, the cases it was
 * merged into since, and the status of the one it is in now. */
function caseLine(r) {
  const parts = [r.attached ? `已并入案件 ${r.case_id}` : `案件 ${r.case_id}`];
  for (const into of r.merged_into) parts.push(`已合并到案件 ${into}`);
  return parts;
}

function rating(c) {
  if (!c.rating) return null;
  const { stars, comment, source } = c.rating;
  const by = source in RATED_BY ? RATED_BY[source] : "（非本人评价）";
  return h(
    "p",
    { class: "rating" },
    h("span", { class: "stars-shown", "aria-label": `${stars} 星` }, STARS(stars)),
    ` ${stars} 星${by}`,
    comment ? h("span", { class: "muted" }, ` · ${comment}`) : null,
  );
}

function historyOf(r) {
  const several = new Set(r.events.map((e) => e.case_id)).size > 1;
  return h(
    "details",
    { class: "history" },
    h("summary", {}, `处置记录（${r.events.length}）`),
    h(
      "ol",
      {},
      r.events.map((e) =>
        h(
          "li",
          {},
          h("span", { class: "muted" }, fmtTime(e.at)),
          several ? ` 案件 ${e.case_id}` : "",
          ` ${e.actor_name}：${EVENT_NAMES[e.kind] || e.kind}`,
          e.reason ? h("span", { class: "muted" }, `（${e.reason}）`) : null,
        ),
      ),
    ),
  );
}

function evaluation(r) {
  if (!r.actions.includes("evaluate")) return null;
  const message = h("p", { class: "message", role: "status" });
  const send = async (path, body, done) => {
    try {
      await api(`/api/cases/${r.case.id}/${path}`, { method: "POST", body });
    } catch (err) {
      return say(message, describe(err), "error");
    }
    await load({ force: true });
    say($("message"), `案件 ${r.case.id}：${done}`, "ok");
  };
  const form = evaluateForm(send, message);
  // a refresh must not wipe out stars picked or words typed
  for (const kind of ["input", "change"])
    form.addEventListener(kind, () => form.classList.add("dirty"));
  return h(
    "section",
    { class: "evaluation" },
    h("h3", {}, "满意度评价"),
    h("p", { class: "muted" }, "问题已处理并经核查，请评价处置结果（评价后结案）。"),
    form,
    message,
  );
}

function reportItem(r) {
  const c = r.case;
  return h(
    "li",
    {
      class: `card my-report status-${c.status}`,
      id: `report-${r.id}`,
      dataset: { reportId: r.id, caseId: c.id, status: c.status },
    },
    h(
      "header",
      {},
      h("strong", {}, categoryLabel(state.catalogue, r.category)),
      h("span", { class: "muted" }, fmtTime(r.created_at)),
    ),
    r.description ? h("p", { class: "description" }, r.description) : null,
    h(
      "p",
      { class: "case-line" },
      caseLine(r).join(" · "),
      " · ",
      h("span", { class: `badge status-${c.status}` }, c.status_name),
    ),
    c.status === "rejected" && c.reject_reason
      ? h("p", { class: "muted" }, `驳回理由：${c.reject_reason}`)
      : null,
    rating(c),
    evaluation(r),
    historyOf(r),
  );
}

function render(page) {
  const { reports, total, offset } = page;
  $("summary").textContent = total ? `共 ${total} 条上报，新的在前。` : "";
  $("reports").replaceChildren(
    ...(reports.length
      ? reports.map(reportItem)
      : [h("li", { class: "muted" }, "还没有上报。去“上报”页落点上报。")]),
  );
  $("newer").hidden = offset === 0;
  $("older").hidden = offset + reports.length >= total;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  $("page-at").textContent = pages > 1 ? `第 ${Math.floor(offset / PAGE) + 1} / ${pages} 页` : "";
  const wanted = !state.shown && location.hash.match(/^#report-(\d+)$/);
  state.shown = true;
  const target = wanted && document.getElementById(`report-${wanted[1]}`);
  if (target) {
    target.classList.add("wanted");
    target.querySelector("details.history").open = true;
    target.scrollIntoView({ block: "start" });
  }
}

/** Load the current page again; calls queue up, so that each one reads what was there when
 * it was made (after an evaluation, not the answer of a load already under way). Unless
 * ``force``d, a page with an evaluation being filled in is left as it is. */
function load({ force = false } = {}) {
  const next = () => show(force);
  state.queue = state.queue.then(next, next);
  return state.queue;
}

async function show(force) {
  if (!force && document.querySelector(".evaluate-form.dirty")) return;
  try {
    const path = `/api/reports/mine?limit=${PAGE}&offset=${state.offset}`;
    render(await cachedGet(path)); // offline: the last answer
    if (!navigator.onLine) say($("message"), "离线：显示的是上次联网时的状态。");
    else if ($("message").classList.contains("error")) say($("message"), "");
  } catch (err) {
    const offline = err instanceof NetworkError;
    say($("message"), offline ? "离线，且没有保存过上报列表。" : describe(err), "error");
  } finally {
    document.body.dataset.ready = "1";
  }
}

function turn(by) {
  state.offset = Math.max(0, state.offset + by);
  history.replaceState(null, "", location.pathname);
  load({ force: true }).then(() => window.scrollTo(0, 0));
}

if (user) {
  registerOffline();
  topbar(user, "我的上报");
  $("newer").addEventListener("click", () => turn(-PAGE));
  $("older").addEventListener("click", () => turn(PAGE));
  categories()
    .then((byCode) => {
      state.catalogue = byCode;
    })
    .catch(() => {}) // the codes stand in for the names
    .finally(() => load());
  window.addEventListener("online", () => load());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") load();
  });
  onCaseEvents(() => load());
}
