// Where a case is, on a whistle board card: the nearest named road and address, the streets a
// footprint spans, links that open the phone's map app at the case (高德 takes GCJ-02, 百度
// BD-09: the server converts, the page only builds the links) and a small map of the case,
// drawn from our own street outlines, named roads and door numbers (served here, never a
// remote basemap) once the card comes into view.
/* global L */

import { api, cachedGet } from "./api.js";
import { addressPoints, bboxOf, bboxParam, makeMap, roadNetwork, STYLES } from "./basemap.js";
import { h } from "./ui.js";

const CASE_STYLE = { color: "#c0392b", fillColor: "#c0392b", weight: 3, fillOpacity: 0.35 };
const SPAN_WORDS = { polygon: "建筑跨", line: "路段跨" };

const maps = new Set(); // the small maps drawn, removed when the board is drawn again
const outlines = new Map(); // bbox parameter → the streets around it (one request per place)
let observer = null;
let layers = null; // the service's own basemap layers (GET /tiles/basemap), asked once

/** The road and address in words: "界址胡同（40 米）", "界址胡同6号院1号楼东南侧约10米". */
export function siteWords(site) {
  const road = site.road ? `${site.road.name}（${Math.round(site.road.distance_m)} 米）` : null;
  return { road, address: site.address };
}

/** 高德 and 百度 marker links (their own coordinate systems, converted by the server). */
export function navLinks(site, title) {
  const name = encodeURIComponent(title);
  const amap =
    `https://uri.amap.com/marker?position=${site.gcj02.lon},${site.gcj02.lat}` +
    `&name=${name}&coordinate=gaode&callnative=1&src=gridwhistle`;
  const baidu =
    `https://api.map.baidu.com/marker?location=${site.bd09.lat},${site.bd09.lon}` +
    `&title=${name}&content=${name}&coord_type=bd09ll&output=html&src=gridwhistle`;
  return { amap, baidu };
}

/** The site of case ``c`` (the board's ``case``): words, navigation links, a small map. */
export function siteSection(c) {
  const site = c.site;
  if (!site) return null;
  const { road, address } = siteWords(site);
  const spans =
    SPAN_WORDS[site.kind] && c.streets.length > 1
      ? `${SPAN_WORDS[site.kind]} ${c.streets.map((s) => s.name).join("、")}`
      : null;
  const links = navLinks(site, `案件 #${c.id}`);
  const link = (href, cls, label) =>
    h("a", { href, class: `nav-link ${cls}`, target: "_blank", rel: "noopener noreferrer" }, label);
  const small = h("div", {
    class: "site-map",
    role: "img",
    "aria-label": `案件 #${c.id} 位置小地图`,
  });
  small.site = site;
  watch(small);
  return h(
    "section",
    { class: "site", dataset: { kind: site.kind } },
    h(
      "p",
      { class: "site-words" },
      road ? h("span", { class: "site-road" }, `最近道路：${road}`) : null,
      address ? h("span", { class: "site-address" }, `附近地址：${address}`) : null,
      spans ? h("span", { class: "site-spans" }, spans) : null,
      !road && !address ? h("span", { class: "muted" }, "附近没有登记的道路或门牌") : null,
    ),
    h(
      "p",
      { class: "nav-links" },
      "导航：",
      link(links.amap, "amap", "高德地图"),
      link(links.baidu, "baidu", "百度地图"),
    ),
    small,
  );
}

/** Forget the small maps of the board drawn before (their elements are gone). */
export function dropSiteMaps() {
  for (const map of maps) map.remove();
  maps.clear();
  observer?.disconnect();
}

/** Draw ``el``'s small map once it is (nearly) on screen. */
function watch(el) {
  if (!window.L) return; // Leaflet did not load: the words and links still help
  if (!("IntersectionObserver" in window)) {
    queueMicrotask(() => draw(el));
    return;
  }
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        draw(entry.target);
      }
    },
    { rootMargin: "200px" },
  );
  observer.observe(el);
}

function draw(el) {
  if (!el.isConnected || el.classList.contains("leaflet-container")) return;
  const site = el.site;
  const map = makeMap(el);
  map.scrollWheelZoom.disable(); // the page scrolls past the card, not the map
  maps.add(map);
  const shape = L.geoJSON(site.geometry, {
    style: CASE_STYLE,
    interactive: false,
    pointToLayer: (_, latlng) => L.circleMarker(latlng, { ...CASE_STYLE, radius: 7 }),
  }).addTo(map);
  if (site.kind === "point") map.setView([site.point.lat, site.point.lon], 17, { animate: false });
  else map.fitBounds(shape.getBounds(), { maxZoom: 18, padding: [16, 16], animate: false });
  localBasemap().then((found) => {
    if (!found || !L.vectorGrid || !maps.has(map)) return;
    if (found.roadnet) roadNetwork(map, found.roadnet);
    if (found.addresses) addressPoints(map, found.addresses);
  });
  streetsAround(site.geometry)
    .then((found) => {
      if (!maps.has(map)) return;
      L.geoJSON(found, {
        style: { ...STYLES.street, fillOpacity: 0.2, weight: 2 },
        interactive: false,
      })
        .addTo(map)
        .bringToBack();
      el.dataset.drawn = "1";
    })
    .catch(() => {
      el.dataset.drawn = "1"; // offline: the case alone is still drawn
    });
}

/** The named roads and the address register as the service serves them; 天地图, which the
 * working maps may add, is left out: the small maps load nothing from elsewhere. */
function localBasemap() {
  layers ??= cachedGet("/tiles/basemap")
    .then((config) => Object.fromEntries(config.layers.map((l) => [l.layer, l])))
    .catch(() => null);
  return layers;
}

function streetsAround(geometry) {
  const bbox = bboxParam(bboxOf(geometry), 0.004);
  if (!outlines.has(bbox)) {
    const found = api(`/api/areas?level=street&simplify_m=3&bbox=${bbox}`);
    found.catch(() => outlines.delete(bbox)); // asked again next time
    outlines.set(bbox, found);
  }
  return outlines.get(bbox);
}
