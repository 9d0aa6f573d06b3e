// The command centre (street / community / district): the queue of new cases beside a map,
// each with its proposed routing and explanation, suggested duplicates drawn as links to
// merge; resolve locally, reject, merge, whistle; escalate, re-route, verify, evaluate.
/* global L */

import { api, describe, requireLogin } from "./api.js";
import { reviewQueue } from "./callbacks.js";
import {
  basemap,
  bboxOf,
  bboxParam,
  drawJurisdiction,
  gridCells,
  jurisdictionAreas,
  makeMap,
} from "./basemap.js";
import { lifecycleActions } from "./case-actions.js";
import { badges, caseView } from "./case-view.js";
import { drawDuplicates, duplicatesSection, loadDuplicates } from "./duplicates.js";
import { onCaseEvents } from "./live.js";
import { actions } from "./triage-actions.js";
import {
  categories,
  categoryLabel,
  departments,
  fmtTime,
  h,
  registerOffline,
  say,
  topbar,
} from "./ui.js";

const user = requireLogin(["community", "street", "district", "analyst", "admin"]);
const $ = (id) => document.getElementById(id);

const state = {
  cases: [],
  duplicates: new Map(),
  selected: null,
  catalogue: new Map(),
  depts: new Map(),
};
let map;
let caseLayer;
let nearbyLayer;
let duplicateLayer;

// ---- the queue -----------------------------------------------------------------------

// ``keepDetail``: a live refresh leaves the open case on screen even when it has left the
// filtered queue (a verified case leaving 已解决 while its evaluation form is open)
async function loadQueue(options) {
  const keepDetail = options?.keepDetail === true;
  const status = $("status-filter").value;
  const list = $("queue");
  list.replaceChildren(h("li", { class: "muted" }, "加载中…"));
  try {
    const found = await api(`/api/cases?limit=100${status ? `&status=${status}` : ""}`);
    state.cases = found.features;
    $("queue-count").textContent = `${found.total} 件`;
  } catch (err) {
    list.replaceChildren(h("li", { class: "error" }, describe(err)));
    return;
  }
  drawCases();
  renderQueue();
  const gone = !state.cases.some((f) => f.properties.id === state.selected);
  if (state.selected && gone && !keepDetail) showEmptyDetail();
  state.duplicates = await loadDuplicates(state.cases);
  drawDuplicates(duplicateLayer, state, mergeContext());
  renderQueue();
  await mapDrawn; // ready once the map has settled on the jurisdiction too
  document.body.dataset.ready = "1";
}

function renderQueue() {
  const list = $("queue");
  if (!state.cases.length) {
    list.replaceChildren(h("li", { class: "muted" }, "没有案件。"));
    return;
  }
  list.replaceChildren(
    ...state.cases.map((f) => {
      const p = f.properties;
      const streets = p.routing.streets.map((s) => s.name).join(" / ") || p.lead_street_code;
      const lead = p.routing.overall_lead;
      const twins = state.duplicates.get(p.id)?.duplicates.length || 0;
      return h(
        "li",
        {
          class: `case${p.id === state.selected ? " selected" : ""}${p.joint ? " joint" : ""}`,
          dataset: { caseId: p.id },
          tabindex: 0,
          onclick: () => select(p.id),
          onkeydown: (e) => e.key === "Enter" && select(p.id),
        },
        h(
          "div",
          { class: "line1" },
          h("strong", {}, `#${p.id} ${categoryLabel(state.catalogue, p.category)}`),
          badges(p, p.routing),
          twins ? h("span", { class: "badge duplicate" }, "疑似重复") : null,
        ),
        h("div", { class: "line2 muted" }, `${streets} · ${fmtTime(p.created_at)}`),
        p.description ? h("div", { class: "line3" }, p.description) : null,
        lead ? h("div", { class: "line2 muted" }, `建议：${lead.name} 牵头`) : null,
      );
    }),
  );
}

// ---- the map -------------------------------------------------------------------------

// the map and its outlines drawn (it fits the view to the jurisdiction once they arrive)
let mapDrawn = Promise.resolve();

async function drawMap() {
  map = makeMap("map");
  window.gridwhistle = { map };
  nearbyLayer = L.featureGroup().addTo(map);
  duplicateLayer = L.featureGroup().addTo(map);
  gridCells(map);
  basemap(map); // the named roads and door numbers, drawn as their tiles arrive
  try {
    const areas = await jurisdictionAreas(user.jurisdiction || "110");
    drawJurisdiction(map, areas, { focus: user.jurisdiction });
  } catch (err) {
    say($("detail-message"), `无法加载边界：${describe(err)}`, "error");
  }
}

function caseStyle(props) {
  const selected = props.id === state.selected;
  const colour = selected ? "#c0392b" : props.joint ? "#d9822b" : "#1f6fb2";
  return {
    color: colour,
    fillColor: colour,
    weight: selected ? 4 : 2,
    fillOpacity: 0.35,
    radius: selected ? 9 : 6,
  };
}

function drawCases() {
  if (caseLayer) caseLayer.remove();
  caseLayer = L.geoJSON(
    { type: "FeatureCollection", features: state.cases },
    {
      style: (f) => caseStyle(f.properties),
      pointToLayer: (f, latlng) => L.circleMarker(latlng, caseStyle(f.properties)),
      onEachFeature: (f, layer) => {
        layer.bindTooltip(
          h(
            "span",
            {},
            `#${f.properties.id} ${categoryLabel(state.catalogue, f.properties.category)}`,
          ),
        );
        layer.on("click", () => select(f.properties.id));
      },
    },
  ).addTo(map);
}

/** Streets around the selected case: drawn on the map and offered as partners. */
async function nearbyStreets(geometry) {
  nearbyLayer.clearLayers();
  const found = await api(
    `/api/areas?level=street&simplify_m=3&bbox=${bboxParam(bboxOf(geometry), 0.004)}`,
  );
  L.geoJSON(found, {
    style: { color: "#7d3c98", weight: 2, dashArray: "4 4", fill: false },
    interactive: false,
  }).addTo(nearbyLayer);
  return found.features.map((f) => f.properties);
}

// ---- one case ------------------------------------------------------------------------

function showEmptyDetail() {
  state.selected = null;
  $("detail-body").replaceChildren(h("p", { class: "muted" }, "从案件队列或地图上选择一个案件。"));
}

/** On a phone the panes are stacked (queue, map, detail): the chosen case's detail comes up
 * to the top of the screen instead of waiting below the map. */
function bringUpDetail() {
  const pane = document.querySelector(".detail-pane");
  const { top } = pane.getBoundingClientRect();
  if (top < 0 || top > innerHeight / 2) pane.scrollIntoView({ block: "start" });
}

/** ↑ 回到案件队列 (on a phone): back to the chosen case in the queue. */
function backToQueue() {
  ($("queue").querySelector("li.selected") || $("queue")).scrollIntoView({ block: "center" });
}

/** Merging along a suggested duplicate: who may, and what to do afterwards. */
function mergeContext() {
  return {
    map,
    catalogue: state.catalogue,
    canMerge: (id) => {
      const f = state.cases.find((x) => x.properties.id === id);
      return Boolean(f?.properties.allowed_actions.includes("merge"));
    },
    merged: async (from, into) => {
      map.closePopup();
      await loadQueue();
      await select(into);
      say($("detail-message"), `案件 #${from} 已并入案件 #${into}。`, "ok");
    },
    select: (id) => select(id),
  };
}

async function select(id) {
  if (state.selected !== id) say($("detail-message"), "");
  state.selected = id;
  renderQueue();
  drawCases();
  const body = $("detail-body");
  body.replaceChildren(h("p", { class: "muted" }, "加载中…"));
  bringUpDetail();
  try {
    const [detail, events] = await Promise.all([
      api(`/api/cases/${id}`),
      api(`/api/cases/${id}/events`),
    ]);
    if (state.selected !== id) return;
    if (detail.geometry)
      map.fitBounds(L.geoJSON(detail.geometry).getBounds(), { maxZoom: 16, padding: [40, 40] });
    const nearby = detail.geometry ? await nearbyStreets(detail.geometry) : [];
    if (state.selected !== id) return;
    renderDetail(detail, events, nearby);
    bringUpDetail();
  } catch (err) {
    body.replaceChildren(h("p", { class: "error" }, describe(err)));
  }
}

function renderDetail(c, events, nearby) {
  const ctx = {
    cases: state.cases,
    catalogue: state.catalogue,
    depts: state.depts,
    done: async (id, text) => {
      await loadQueue();
      await select(id);
      say($("detail-message"), text, "ok");
    },
  };
  const twins = state.duplicates.get(c.id);
  const extra = h(
    "div",
    { class: "case-actions" },
    twins ? duplicatesSection(c, twins, mergeContext()) : null,
    actions(c, nearby, ctx),
    lifecycleActions(c, ctx),
  );
  const view = caseView(c, events, { user, catalogue: state.catalogue, depts: state.depts, extra });
  $("detail-body").replaceChildren(...view);
}

/** An action was refused because the case had moved on (409): show the case as it is now,
 * with the reason. */
async function refreshStale({ id, message }) {
  await loadQueue();
  await select(id);
  say($("detail-message"), message, "error");
}

// ---- start ---------------------------------------------------------------------------

if (user) {
  registerOffline();
  topbar(user, "分拨指挥");
  $("status-filter").addEventListener("change", loadQueue);
  $("refresh").addEventListener("click", loadQueue);
  // a case in scope changed: the queue refreshes itself, the open case stays
  onCaseEvents(() => loadQueue({ keepDetail: true }));
  document.addEventListener("case:stale", (e) => refreshStale(e.detail));
  if (user.role === "street" || user.role === "admin") {
    const reloadReview = reviewQueue(document.querySelector(".queue-pane"));
    onCaseEvents(reloadReview);
  }
  showEmptyDetail();
  document
    .querySelector(".detail-pane")
    .prepend(
      h(
        "button",
        { type: "button", class: "link to-queue", onclick: backToQueue },
        "↑ 回到案件队列",
      ),
    );
  mapDrawn = drawMap();
  Promise.all([categories(), departments()])
    .then(([cats, depts]) => {
      state.catalogue = cats;
      state.depts = depts;
    })
    .catch(() => {})
    .finally(loadQueue);
}
