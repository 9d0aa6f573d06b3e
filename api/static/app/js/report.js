// The pin drop (grid workers): a pin or a footprint on our own boundaries, where it will go,
// a category and a description, then the offline-tolerant outbox.
/* global L */

import { describe, requireLogin } from "./api.js";
import { basemap, drawJurisdiction, gridCells, jurisdictionAreas, makeMap } from "./basemap.js";
import { destination } from "./destination.js";
import { categories, categoryLabel, fmtTime, h, registerOffline, say, topbar } from "./ui.js";
import { onCaseEvents } from "./live.js";
import * as outbox from "./outbox.js";
import { dataUrl, describeLimits, fmtSize, photoLimits, prepare } from "./photos.js";

const user = requireLogin(["grid_worker", "community", "street", "district", "admin"]);
const $ = (id) => document.getElementById(id);

const PIN = L.divIcon({
  className: "pin",
  html: "<span></span>",
  iconSize: [28, 28],
  iconAnchor: [14, 28],
});
const KIND = { Point: "落点", Polygon: "建筑", LineString: "路段" };
const MODES = {
  point: "点击地图落点，拖动图钉微调；或用“我的位置”。",
  polygon: "依次点击建筑的各个角（至少 3 点）；“我的位置”把地图移到您身边。",
  line: "沿街道依次点击（至少 2 点）；“我的位置”把地图移到您身边。",
};

// what a browser's geolocation error codes mean, in words (its own messages are English)
const GEOLOCATION_ERRORS = { 1: "未允许本页使用位置", 2: "暂时无法获取位置", 3: "定位超时" };

const state = {
  mode: "point",
  pin: null,
  circle: null,
  vertices: [],
  shape: null,
  here: null, // where the phone is, drawn while a footprint is being drawn
  catalogue: new Map(),
  photos: [],
  photoLimits: null, // the server's, once known
  refusal: null, // why the server would refuse the report as the last preview found it
  submitting: false, // one tap, one report
};
let map;

// ---- the map -------------------------------------------------------------------------

async function drawMap() {
  map = makeMap("map");
  window.gridwhistle = { map };
  gridCells(map);
  basemap(map); // the named roads and door numbers, drawn as their tiles arrive
  map.on("click", (e) => (state.mode === "point" ? setPin(e.latlng, null) : addVertex(e.latlng)));
  try {
    const areas = await jurisdictionAreas(user.jurisdiction || "");
    drawJurisdiction(map, areas, { focus: user.jurisdiction });
  } catch (err) {
    say($("form-message"), `无法加载辖区边界：${describe(err)}`, "error");
  }
  document.body.dataset.ready = "1";
}

function setPin(latlng, accuracy) {
  if (!state.pin) {
    state.pin = L.marker(latlng, {
      icon: PIN,
      draggable: true,
      autoPan: true,
      keyboard: false,
    }).addTo(map);
    state.pin.on("dragend", () => {
      if (state.circle) state.circle.setLatLng(state.pin.getLatLng());
      preview();
    });
  } else state.pin.setLatLng(latlng);
  if (accuracy !== undefined) $("accuracy").value = accuracy ? Math.round(accuracy) : "";
  drawAccuracy();
  preview();
}

function drawAccuracy() {
  const acc = Number($("accuracy").value);
  if (state.circle) state.circle.remove();
  state.circle = null;
  if (state.pin && acc > 0) {
    state.circle = L.circle(state.pin.getLatLng(), {
      radius: acc,
      color: "#d9822b",
      weight: 1,
      fillOpacity: 0.12,
      interactive: false,
    }).addTo(map);
  }
}

function addVertex(latlng) {
  state.vertices.push(latlng);
  drawShape();
}

function drawShape() {
  if (state.shape) state.shape.remove();
  const style = { color: "#c0392b", weight: 3, fillOpacity: 0.25, interactive: false };
  const pts = state.vertices;
  state.shape = L.featureGroup(
    pts.map((p) => L.circleMarker(p, { radius: 4, color: "#c0392b", interactive: false })),
  );
  if (pts.length >= 2) {
    state.shape.addLayer(
      state.mode === "polygon" && pts.length >= 3 ? L.polygon(pts, style) : L.polyline(pts, style),
    );
  }
  state.shape.addTo(map);
  const need = state.mode === "polygon" ? 3 : 2;
  $("vertex-count").textContent =
    `已画 ${pts.length} 点${pts.length < need ? `（至少 ${need} 点）` : ""}`;
  preview();
}

function setMode(mode) {
  state.mode = mode;
  for (const b of document.querySelectorAll("[data-mode]"))
    b.classList.toggle("active", b.dataset.mode === mode);
  $("hint").textContent = MODES[mode];
  $("footprint-tools").hidden = mode === "point";
  $("accuracy-row").hidden = mode !== "point";
  // quick taps on corners must not zoom the map
  if (mode === "point") map.doubleClickZoom.enable();
  else map.doubleClickZoom.disable();
  state.vertices = [];
  if (state.here && mode === "point") {
    state.here.remove();
    state.here = null;
  }
  if (state.pin && mode !== "point") {
    state.pin.remove();
    state.pin = null;
    drawAccuracy();
  }
  drawShape();
}

function locateMe() {
  if (!navigator.geolocation) {
    say($("form-message"), "此设备不支持定位，请在地图上点击落点。", "error");
    return;
  }
  say($("form-message"), "正在定位…");
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      const latlng = L.latLng(pos.coords.latitude, pos.coords.longitude);
      const accuracy = Math.round(pos.coords.accuracy);
      if (state.mode !== "point") {
        // drawing a footprint: show where the phone is, at building zoom (roads, door
        // numbers), and leave the corners to the worker
        showHere(latlng, pos.coords.accuracy);
        map.setView(latlng, Math.max(map.getZoom(), 18));
        const next = state.mode === "polygon" ? "依次点击建筑的各个角" : "沿街道依次点击";
        say($("form-message"), `已定位，精度约 ${accuracy} 米；请在您身边${next}。`, "ok");
        return;
      }
      setPin(latlng, pos.coords.accuracy);
      map.setView(latlng, Math.max(map.getZoom(), 16));
      say($("form-message"), `已定位，精度约 ${accuracy} 米；可拖动图钉微调。`, "ok");
    },
    (err) =>
      say(
        $("form-message"),
        `${GEOLOCATION_ERRORS[err.code] || "无法获取位置"}，请在地图上点击落点。`,
        "error",
      ),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
  );
}

/** The phone's position (a dot in its accuracy circle), not a pin: nothing to send. */
function showHere(latlng, accuracy) {
  if (state.here) state.here.remove();
  const style = { color: "#2b6cb0", weight: 1, interactive: false };
  state.here = L.featureGroup([
    L.circle(latlng, { ...style, radius: accuracy, fillOpacity: 0.08 }),
    L.circleMarker(latlng, {
      ...style,
      radius: 6,
      weight: 2,
      fillColor: "#4299e1",
      fillOpacity: 1,
    }),
  ]).addTo(map);
}

// ---- what will be sent ---------------------------------------------------------------

/** The GeoJSON geometry of the pin or footprint (WGS-84), or null when incomplete. */
function geometry() {
  const ll = (p) => [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))];
  if (state.mode === "point")
    return state.pin ? { type: "Point", coordinates: ll(state.pin.getLatLng()) } : null;
  const pts = state.vertices.map(ll);
  if (state.mode === "line")
    return pts.length >= 2 ? { type: "LineString", coordinates: pts } : null;
  return pts.length >= 3 ? { type: "Polygon", coordinates: [[...pts, pts[0]]] } : null;
}

/** The sub-categories the typed text may mean: a code, a name, or part of a name, code or
 * of the words callers use for it (the catalogue's keywords). */
function categoryMatches() {
  const typed = $("category").value.trim();
  if (!typed) return [];
  const leaves = [...state.catalogue.values()].filter((c) => c.parent_code);
  const code = typed.split(/\s+/)[0].toUpperCase();
  const byCode = leaves.filter((c) => c.code === code);
  if (byCode.length) return byCode;
  const byName = leaves.filter((c) => c.name === typed);
  if (byName.length) return byName;
  const part = typed.toLowerCase();
  return leaves.filter(
    (c) =>
      c.name.includes(part) ||
      c.code.toLowerCase().startsWith(part) ||
      (c.keywords || []).some((k) => k.includes(part)),
  );
}

function categoryCode() {
  const found = categoryMatches();
  return found.length === 1 ? found[0].code : null;
}

function categoryRefusal() {
  const typed = $("category").value.trim();
  const found = categoryMatches();
  if (!typed) return "请选择问题类别（可输入名称、编码或常用说法搜索）。";
  if (!found.length) return `没有与“${typed}”相符的问题类别，请换个说法或从列表中选择。`;
  const names = found.slice(0, 5).map((c) => categoryLabel(state.catalogue, c.code));
  const more = found.length > 5 ? ` 等 ${found.length} 个` : "";
  return `“${typed}”可能是：${names.join("、")}${more}，请从列表中选择一个。`;
}

function accuracy() {
  const acc = Number($("accuracy").value);
  return state.mode === "point" && acc > 0 ? acc : null;
}

// ---- where it will go ----------------------------------------------------------------

let previewTimer = null;
let previewSeq = 0;

function preview() {
  saveDraft();
  clearTimeout(previewTimer);
  previewTimer = setTimeout(showDestination, 300);
}

async function showDestination() {
  const seq = ++previewSeq;
  const geom = geometry();
  const rows = geom
    ? await destination(geom, { category: categoryCode(), accuracy: accuracy(), user })
    : [h("p", { class: "muted" }, "尚未标注位置。")];
  if (seq !== previewSeq) return;
  state.refusal = rows.refusal || null;
  $("destination").replaceChildren(...rows);
}

// ---- the draft: kept until it is queued, also across a reload ----------------------------

const DRAFT_KEY = `gridwhistle.draft.${user?.username}`;

function saveDraft() {
  if (!map) return;
  const draft = {
    mode: state.mode,
    pin: state.pin ? [state.pin.getLatLng().lat, state.pin.getLatLng().lng] : null,
    vertices: state.vertices.map((p) => [p.lat, p.lng]),
    category: $("category").value,
    description: $("description").value,
    accuracy: $("accuracy").value,
    photos: state.photos,
  };
  try {
    localStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
  } catch {
    // photos beyond the storage quota: keep the rest of the draft
    localStorage.setItem(DRAFT_KEY, JSON.stringify({ ...draft, photos: [] }));
  }
}

function loadDraft() {
  try {
    return JSON.parse(localStorage.getItem(DRAFT_KEY) || "null");
  } catch {
    return null;
  }
}

/** A draft from a queued report's body (a refused one, to correct and send again). */
function draftOf(body) {
  const g = body.geometry;
  const ring = g.type === "Polygon" ? g.coordinates[0].slice(0, -1) : g.coordinates;
  const mode = { Point: "point", Polygon: "polygon", LineString: "line" }[g.type];
  return {
    mode,
    pin: g.type === "Point" ? [g.coordinates[1], g.coordinates[0]] : null,
    vertices: g.type === "Point" ? [] : ring.map(([lng, lat]) => [lat, lng]),
    category: body.category,
    description: body.description || "",
    accuracy: body.accuracy_m ? String(body.accuracy_m) : "",
    photos: (body.photos || []).map((p, i) => ({
      ...p,
      name: `照片 ${i + 1}`,
      size: Math.floor((p.data.length * 3) / 4),
    })),
  };
}

function restoreDraft(draft) {
  setMode(draft.mode || "point");
  $("category").value = draft.category || "";
  $("description").value = draft.description || "";
  $("accuracy").value = draft.accuracy || "";
  if (draft.pin) setPin(L.latLng(draft.pin[0], draft.pin[1]));
  if (draft.vertices?.length) {
    state.vertices = draft.vertices.map(([lat, lng]) => L.latLng(lat, lng));
    drawShape();
  }
  state.photos = draft.photos || [];
  renderPhotos();
  preview();
}

function clearDraft() {
  localStorage.removeItem(DRAFT_KEY);
}

// ---- photos ---------------------------------------------------------------------------

async function addPhotos(input) {
  const files = [...input.files];
  input.value = ""; // the same photo may be picked again after removing it
  const msg = $("form-message");
  let limits;
  try {
    limits = await photoLimits();
  } catch (err) {
    return say(msg, `无法获取照片要求：${describe(err)}`, "error");
  }
  const room = limits.max_photos - state.photos.length;
  if (files.length > room) say(msg, `最多 ${limits.max_photos} 张照片，多出的未添加。`, "error");
  const problems = [];
  for (const file of files.slice(0, Math.max(0, room))) {
    const photo = await prepare(file, limits);
    if (photo.error) problems.push(photo.error);
    else state.photos.push(photo);
  }
  if (problems.length) say(msg, problems.join(" "), "error");
  else if (files.length <= room) say(msg, "");
  renderPhotos();
}

function renderPhotos() {
  $("photo-list").replaceChildren(
    ...state.photos.map((p, i) =>
      h(
        "li",
        { class: "thumb" },
        h("img", { src: dataUrl(p), alt: `照片 ${i + 1}：${p.name}` }),
        h("span", { class: "muted" }, fmtSize(p.size)),
        h(
          "button",
          {
            type: "button",
            class: "link",
            "aria-label": `删除照片 ${i + 1}`,
            onclick: () => {
              state.photos.splice(i, 1);
              renderPhotos();
            },
          },
          "删除",
        ),
      ),
    ),
  );
  const full = state.photoLimits !== null && state.photos.length >= state.photoLimits.max_photos;
  for (const id of ["photo-camera", "photo-pick"]) $(id).disabled = full;
}

// ---- the form and the outbox ---------------------------------------------------------

async function fillCategories() {
  try {
    state.catalogue = await categories();
  } catch (err) {
    say($("form-message"), `无法加载类别：${describe(err)}`, "error");
    return;
  }
  const leaves = [...state.catalogue.values()].filter((c) => c.parent_code);
  $("category-list").replaceChildren(
    ...leaves.map((c) =>
      h(
        "option",
        { value: `${c.code} ${c.name}` },
        [c.parent, ...(c.keywords || []).slice(0, 4)].join(" · "),
      ),
    ),
  );
}

async function submit(event) {
  event.preventDefault();
  if (state.submitting) return; // a second tap while the first is being queued
  state.submitting = true;
  $("submit").disabled = true;
  try {
    await queueReport();
  } finally {
    state.submitting = false;
    $("submit").disabled = false;
  }
}

async function queueReport() {
  const geom = geometry();
  const code = categoryCode();
  const msg = $("form-message");
  if (!geom)
    return say(
      msg,
      state.mode === "point" ? "请先在地图上落点。" : "请先画完建筑或路段。",
      "error",
    );
  if (!code) return say(msg, categoryRefusal(), "error");
  clearTimeout(previewTimer);
  await showDestination(); // where it goes now, not where the pin was 300 ms ago
  if (state.refusal) return say(msg, `${state.refusal} 草稿已保留。`, "error");
  const body = {
    geometry: geom,
    crs: "wgs84",
    category: code,
    description: $("description").value.trim(),
    source: "patrol",
  };
  const acc = accuracy();
  if (acc) body.accuracy_m = acc;
  if (state.photos.length)
    body.photos = state.photos.map((p) => ({ content_type: p.content_type, data: p.data }));
  try {
    await outbox.enqueue(body, `${categoryLabel(state.catalogue, code)} · ${KIND[geom.type]}`);
  } catch (err) {
    return say(msg, `无法保存到发送队列：${describe(err)}`, "error");
  }
  clearDraft();
  say(msg, navigator.onLine ? "已加入发送队列。" : "离线：已保存，恢复网络后自动发送。", "ok");
  $("description").value = "";
  $("category").value = "";
  state.photos = [];
  renderPhotos();
  setMode(state.mode);
  if (state.pin) {
    state.pin.remove();
    state.pin = null;
    drawAccuracy();
  }
  preview();
  outbox.flush();
}

/** Where a sent report stands now, as the server last said: " · 已合并到案件 1 · 已吹哨". */
function liveText(it) {
  if (!it.live) return "";
  const merges = it.live.merged_into.map((id) => ` · 已合并到案件 ${id}`).join("");
  return `${merges} · ${it.live.status_name}`;
}

const STATE_TEXT = {
  waiting: () => "等待发送",
  sent: (it) => `已发送：案件 ${it.case_id}${liveText(it)}`,
  merged: (it) => `已并入案件 ${it.case_id}${liveText(it)}`,
  failed: (it) => `发送失败：${it.error}`,
};

function renderOutbox(list, inFlight) {
  const mine = list.filter((it) => it.user === user.username).reverse();
  $("outbox").replaceChildren(
    ...(mine.length
      ? mine.map((it) =>
          h(
            "li",
            { class: `item ${it.state}`, dataset: { key: it.key, state: it.state } },
            h("span", { class: "what" }, it.summary),
            it.photos ? h("span", { class: "photos-count" }, `${it.photos} 张照片`) : null,
            h("span", { class: "when" }, fmtTime(it.created_at)),
            h(
              "span",
              { class: "state" },
              inFlight.has(it.key) ? "发送中…" : STATE_TEXT[it.state](it),
            ),
            it.report_id && it.state !== "failed"
              ? h("a", { class: "progress", href: `/app/mine#report-${it.report_id}` }, "查看进度")
              : null,
            it.state === "failed"
              ? h(
                  "button",
                  {
                    type: "button",
                    class: "link",
                    onclick: () => {
                      restoreDraft(draftOf(it.body));
                      outbox.remove(it.key);
                      say($("form-message"), "已放回表单：修改后再提交。", "ok");
                    },
                  },
                  "修改重发",
                )
              : null,
            it.state === "failed"
              ? h(
                  "button",
                  { type: "button", class: "link", onclick: () => outbox.remove(it.key) },
                  "删除",
                )
              : null,
          ),
        )
      : [h("li", { class: "muted" }, "还没有上报。")]),
  );
  $("clear-done").hidden = !mine.some((it) => it.state === "sent" || it.state === "merged");
}

if (user) {
  registerOffline();
  topbar(user, "网格上报");
  for (const b of document.querySelectorAll("[data-mode]"))
    b.addEventListener("click", () => setMode(b.dataset.mode));
  $("gps").addEventListener("click", locateMe);
  $("undo").addEventListener("click", () => {
    state.vertices.pop();
    drawShape();
  });
  $("clear").addEventListener("click", () => {
    state.vertices = [];
    drawShape();
  });
  $("accuracy").addEventListener("change", () => {
    drawAccuracy();
    preview();
  });
  $("category").addEventListener("input", preview);
  $("description").addEventListener("input", saveDraft);
  $("report-form").addEventListener("submit", submit);
  for (const id of ["photo-camera", "photo-pick"])
    $(id).addEventListener("change", (e) => addPhotos(e.target));
  $("clear-done").addEventListener("click", outbox.clearDone);
  window.addEventListener("online", preview);
  outbox.subscribe(renderOutbox);
  // where the sent reports stand: when a case event of this user's arrives, and when the
  // page is shown again (a phone brings it back from the background)
  onCaseEvents(outbox.refreshStatus);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") outbox.refreshStatus();
  });
  outbox
    .start()
    .catch((err) => say($("form-message"), `发送队列不可用：${describe(err)}`, "error"));
  fillCategories();
  photoLimits()
    .then((limits) => {
      state.photoLimits = limits;
      $("photo-limits").textContent = `（${describeLimits(limits)}）`;
      renderPhotos();
    })
    .catch(() => {}); // asked again when a photo is picked
  const draft = loadDraft(); // before anything saves over it
  drawMap();
  setMode("point");
  if (draft) restoreDraft(draft);
}
