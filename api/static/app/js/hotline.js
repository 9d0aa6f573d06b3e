// The 12345 call-taker: the caller's words → the address (candidates on the map to pick)
// and the complaint (category suggestions), where it goes, an open case nearby, then submit.
/* global L */

import { api, ApiError, describe, requireLogin } from "./api.js";
import { gridCells, makeMap } from "./basemap.js";
import { callbackQueue } from "./callbacks.js";
import { categories, categoryLabel, h, percent, say, topbar } from "./ui.js";

const TAKERS = ["hotline", "street", "district", "admin"];
const user = requireLogin(TAKERS);
const $ = (id) => document.getElementById(id);

const LEVELS = {
  plate: "门牌",
  compound: "小区/院",
  poi: "地点",
  road: "道路",
  community: "社区",
  street: "街道",
};
const STATUS = { matched: "已匹配", ambiguous: "有多个候选，请选择", unknown: "无法匹配" };

const state = { text: "", parsed: null, chosen: null, markers: [], catalogue: new Map() };
let map;

function marker(candidate, index) {
  const icon = L.divIcon({
    className: "pin candidate-pin",
    html: `<span>${index + 1}</span>`,
    iconSize: [28, 28],
    iconAnchor: [14, 28],
  });
  const m = L.marker([candidate.lat, candidate.lon], {
    icon,
    keyboard: false,
    title: candidate.text,
  });
  m.on("click", () => choose(index));
  return m.addTo(map);
}

function showCall(parsed) {
  const text = state.text;
  const at = parsed.found ? text.indexOf(parsed.found) : -1;
  const parts =
    at >= 0
      ? [
          text.slice(0, at),
          h("mark", { class: "found" }, parsed.found),
          text.slice(at + parsed.found.length),
        ]
      : [
          h("mark", { class: "found" }, parsed.found),
          " · ",
          h("span", { class: "complaint" }, parsed.complaint),
        ];
  $("parsed").replaceChildren(h("strong", {}, "地址："), ...parts);
}

function showCandidates(answer) {
  for (const m of state.markers) m.remove();
  state.markers = answer.candidates.map(marker);
  const items = answer.candidates.map((c, i) =>
    h(
      "li",
      {},
      h(
        "label",
        {},
        h("input", {
          type: "radio",
          name: "candidate",
          value: String(i),
          class: "candidate",
          onchange: () => choose(i),
        }),
        ` ${i + 1}. ${c.text}`,
        h(
          "span",
          { class: "muted" },
          `（${LEVELS[c.level] || c.level}，±${Math.round(c.uncertainty_m)} 米，${c.score} 分）`,
        ),
      ),
    ),
  );
  $("address").replaceChildren(
    h("h3", {}, `地址 · ${STATUS[answer.status] || answer.status}`),
    h("ul", { class: "candidates" }, items),
  );
  if (state.markers.length) {
    map.fitBounds(L.featureGroup(state.markers).getBounds().pad(0.5), { maxZoom: 17 });
  }
  if (answer.status === "matched") choose(0);
}

function showSuggestions(parsed) {
  const rows = parsed.categories.map((s) =>
    h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "suggestion link",
          "data-code": s.code,
          onclick: () => {
            $("category").value = s.code;
            preview();
          },
        },
        `${s.name}（${s.code}）`,
      ),
      h("span", { class: "muted" }, ` ${percent(s.score)} · ${s.because.join("、")}`),
    ),
  );
  $("suggestions").replaceChildren(
    h("h3", {}, parsed.uncertain ? "类别建议（不确定，请坐席选择）" : "类别建议"),
    h("ol", {}, rows),
  );
  if (!parsed.uncertain && parsed.categories.length)
    $("category").value = parsed.categories[0].code;
}

function showNearby() {
  const index = state.chosen ? state.parsed.address.candidates.indexOf(state.chosen) : -1;
  const near = state.parsed.nearby.filter((n) => index < 0 || n.candidate === index);
  $("nearby").replaceChildren(
    ...near.map((n) =>
      h(
        "p",
        { class: "warn duplicate" },
        `附近已有未结案件 ${n.id}（${categoryLabel(state.catalogue, n.category)}，` +
          `距候选 ${n.candidate + 1} 约 ${Math.round(n.distance_m)} 米）：同类问题将并入该案件。`,
      ),
    ),
  );
}

function choose(index) {
  if (!state.parsed) return;
  state.chosen = state.parsed.address.candidates[index];
  document.querySelectorAll("input.candidate").forEach((el) => {
    el.checked = el.value === String(index);
  });
  for (const [i, m] of state.markers.entries()) m.setOpacity(i === index ? 1 : 0.45);
  showNearby();
  preview();
}

function categoryCode() {
  const value = $("category").value.trim();
  if (state.catalogue.has(value)) return value;
  for (const [code, c] of state.catalogue) if (c.name === value) return code;
  return null;
}

async function preview() {
  const code = categoryCode();
  $("submit").disabled = !(state.chosen && code);
  if (!state.chosen || !code) {
    $("destination").replaceChildren(h("p", { class: "muted" }, "选定地址和类别后显示派往何处。"));
    return;
  }
  const geometry = { type: "Point", coordinates: [state.chosen.lon, state.chosen.lat] };
  try {
    const route = await api("/api/route", { method: "POST", body: { geometry, category: code } });
    const departments = route.departments.map(
      (d) => `${d.name}${d.role === "lead" ? "（主办）" : "（协办）"}`,
    );
    $("destination").replaceChildren(
      h("h3", {}, "派往"),
      h(
        "p",
        { class: "streets" },
        route.streets.map((s) => `${s.name} ${percent(s.share)}`).join("、"),
      ),
      departments.length
        ? h("p", { class: "departments" }, `如需吹哨：${departments.join("、")}`)
        : null,
    );
  } catch (err) {
    $("destination").replaceChildren(h("p", { class: "warn" }, describe(err)));
  }
}

async function parse(event) {
  event.preventDefault();
  state.text = $("call-text").value;
  state.parsed = state.chosen = null;
  for (const m of state.markers) m.remove();
  state.markers = [];
  for (const id of ["parsed", "address", "suggestions", "nearby", "destination"]) {
    $(id).replaceChildren();
  }
  $("submit").disabled = true;
  say($("form-message"), "解析中…");
  try {
    const parsed = await api("/api/hotline/parse", { method: "POST", body: { text: state.text } });
    state.parsed = parsed;
    showCall(parsed);
    showSuggestions(parsed);
    showNearby();
    showCandidates(parsed.address);
    say($("form-message"), "");
    await preview();
  } catch (err) {
    const found =
      err instanceof ApiError && err.problem.found ? `（识别到：${err.problem.found}）` : "";
    say($("form-message"), `${describe(err)}${found}`, "error");
  }
}

async function submit() {
  const code = categoryCode();
  if (!state.chosen || !code) return;
  $("submit").disabled = true;
  const body = {
    address: state.text,
    address_choice: state.chosen.text,
    category: code,
    description: state.parsed.complaint || state.text,
    source: "hotline",
  };
  try {
    const done = await api("/api/reports", { method: "POST", body });
    const link = h(
      "a",
      { href: `/app/triage#case-${done.case_id}`, class: "case-link" },
      done.message,
    );
    $("form-message").replaceChildren(link);
    $("form-message").className = "message ok";
    document.body.dataset.caseId = String(done.case_id);
  } catch (err) {
    say($("form-message"), describe(err), "error");
    $("submit").disabled = false;
  }
}

async function start() {
  topbar(user, "12345 接诉");
  map = makeMap("map");
  window.gridwhistle = { map };
  gridCells(map);
  try {
    state.catalogue = await categories();
    $("category-list").replaceChildren(
      ...[...state.catalogue.values()]
        .filter((c) => c.parent_code)
        .map((c) => h("option", { value: c.code }, categoryLabel(state.catalogue, c.code))),
    );
  } catch (err) {
    say($("form-message"), `无法加载类别：${describe(err)}`, "error");
  }
  $("call-form").addEventListener("submit", parse);
  $("category").addEventListener("change", preview);
  $("submit").addEventListener("click", submit);
  if (user.role === "hotline" || user.role === "admin") {
    callbackQueue(document.querySelector(".panel"), state.catalogue);
  }
  document.body.dataset.ready = "1";
}

if (user) start();
