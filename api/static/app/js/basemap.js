// Our own data as the basemap: a jurisdiction, its neighbours, grid cells, the named roads and
// the address register (vector tiles of the service), and 天地图 underneath when configured.
/* global L */

import { cachedGet, session } from "./api.js";
import { h } from "./ui.js";

export const STYLES = {
  district: { color: "#5b6b7a", weight: 2, fill: false, dashArray: "6 4" },
  neighbour: { color: "#8a96a3", weight: 1.5, fillColor: "#d9dee3", fillOpacity: 0.35 },
  street: { color: "#1f4e79", weight: 3, fillColor: "#ffffff", fillOpacity: 0.55 },
  community: { color: "#4f7cac", weight: 1, fill: false },
  grid: { color: "#9bb5cf", weight: 0.6, fill: false },
};

/** A Leaflet map without a tile layer (the page draws its own boundaries). */
export function makeMap(id) {
  const map = L.map(id, { attributionControl: false, zoomSnap: 0.5 });
  map.setView([39.9, 116.38], 12);
  const container = map.getContainer();
  const zoomClass = () => container.classList.toggle("zoom-low", map.getZoom() < 15);
  map.on("zoomend", zoomClass);
  zoomClass();
  return map;
}

/** [minlon, minlat, maxlon, maxlat] of a GeoJSON geometry or feature collection. */
export function bboxOf(geojson) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (coords) => {
    if (typeof coords[0] === "number") {
      box[0] = Math.min(box[0], coords[0]);
      box[1] = Math.min(box[1], coords[1]);
      box[2] = Math.max(box[2], coords[0]);
      box[3] = Math.max(box[3], coords[1]);
    } else coords.forEach(walk);
  };
  const geometries =
    geojson.type === "FeatureCollection"
      ? geojson.features.map((f) => f.geometry)
      : [geojson.geometry || geojson];
  for (const g of geometries) walk(g.coordinates);
  return box;
}

/** The bbox query parameter, widened by ``pad`` degrees. */
export function bboxParam(box, pad = 0) {
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [
    clamp(box[0] - pad, -180, 180),
    clamp(box[1] - pad, -90, 90),
    clamp(box[2] + pad, -180, 180),
    clamp(box[3] + pad, -90, 90),
  ]
    .map((v) => v.toFixed(6))
    .join(",");
}

/**
 * The areas around a jurisdiction code (district 6, street 9, community 12 digits):
 * {district, streets (the district's and its neighbours'), street, communities}.
 * Uses bbox queries so that only the part of the city the user works in is fetched.
 */
export async function jurisdictionAreas(code) {
  const districts =
    code.length >= 6
      ? await cachedGet(`/api/areas?level=district&simplify_m=20&code=${code.slice(0, 6)}`)
      : { features: [] };
  const district = districts.features[0];
  if (!district) return { district: null, streets: [], street: null, communities: [] };
  const streets = await cachedGet(
    `/api/areas?level=street&simplify_m=3&bbox=${bboxParam(bboxOf(district), 0.005)}`,
  );
  const street =
    code.length >= 9 ? streets.features.find((f) => f.properties.code === code.slice(0, 9)) : null;
  let communities = [];
  if (street) {
    const found = await cachedGet(
      `/api/areas?level=community&simplify_m=2&bbox=${bboxParam(bboxOf(street))}`,
    );
    communities = found.features.filter((f) => f.properties.parent_code === street.properties.code);
  }
  return { district, streets: streets.features, street, communities };
}

function labelled(feature, layer, className) {
  layer.bindTooltip(h("span", {}, feature.properties.name), {
    permanent: true,
    direction: "center",
    className: `area-label ${className}`,
  });
}

/**
 * Draw the jurisdiction (neighbouring streets faint, the user's street bold, its communities)
 * and show the area coded ``focus``: its community, else its street, else its district.
 */
export function drawJurisdiction(map, areas, { labels = true, focus = "" } = {}) {
  const group = L.featureGroup().addTo(map);
  const own = areas.street ? areas.street.properties.code : null;
  const district = areas.district && !own ? areas.district.properties.code : null;
  L.geoJSON(
    areas.streets.filter((f) => f.properties.code !== own),
    {
      // a district user's own streets look like a street, the rest like neighbours
      style: (f) =>
        f.properties.parent_code === district
          ? { ...STYLES.street, weight: 1.5 }
          : STYLES.neighbour,
      interactive: false,
      onEachFeature: labels ? (f, l) => labelled(f, l, "street-label neighbour-label") : null,
    },
  ).addTo(group);
  if (areas.district)
    L.geoJSON(areas.district, { style: STYLES.district, interactive: false }).addTo(group);
  if (areas.street) {
    L.geoJSON(areas.street, {
      style: STYLES.street,
      interactive: false,
      onEachFeature: labels ? (f, l) => labelled(f, l, "street-label") : null,
    }).addTo(group);
  }
  L.geoJSON(areas.communities, {
    style: STYLES.community,
    interactive: false,
    onEachFeature: labels ? (f, l) => labelled(f, l, "community-label") : null,
  }).addTo(group);
  const shown =
    areas.communities.find((c) => c.properties.code === focus) || areas.street || areas.district;
  // no animation: a zoom animation still running would swallow the next setView (a GPS fix)
  if (shown) map.fitBounds(L.geoJSON(shown).getBounds(), { padding: [8, 8], animate: false });
  return group;
}

/**
 * Vector tiles of the service that stay quiet offline: a tile that cannot be fetched is drawn
 * empty (the boundaries are still there). Each tile's decoded data is also kept as
 * ``lastTile`` while the tile is made, for the labels written over it.
 */
function quietTiles() {
  return L.VectorGrid.Protobuf.extend({
    _getVectorTilePromise(coords, tileBounds) {
      const found = navigator.onLine
        ? L.VectorGrid.Protobuf.prototype._getVectorTilePromise
            .call(this, coords, tileBounds)
            .catch(() => ({ layers: {} }))
        : Promise.resolve({ layers: {} });
      this.lastTile = found;
      return found;
    },
  });
}

function tileHeaders() {
  return session.token ? { Authorization: `Bearer ${session.token}` } : {};
}

function ensurePane(map, name, zIndex) {
  if (!map.getPane(name)) {
    const pane = map.createPane(name);
    pane.style.zIndex = zIndex;
    pane.style.pointerEvents = "none"; // clicks go through to the map (pins, corners)
  }
}

/** Keep ``layer`` on the map from ``minZoom`` on (a tile layer's own minZoom compares the
 * rounded zoom, and would ask for tiles the server answers empty). */
function fromZoom(map, layer, minZoom) {
  const toggle = () => {
    const shown = map.getZoom() >= minZoom;
    if (shown && !map.hasLayer(layer)) layer.addTo(map);
    if (!shown && map.hasLayer(layer)) map.removeLayer(layer);
  };
  map.on("zoomend", toggle);
  toggle();
}

/**
 * Grid cells from the service's vector tiles (/tiles/grid/…), drawn from ``minZoom`` on.
 * Offline, or when a tile cannot be fetched, that tile stays empty: the boundaries above are
 * still drawn. Null when the tile plugin itself did not load.
 */
export function gridCells(map, { minZoom = 15 } = {}) {
  ensurePane(map, "grid", 410); // above the area fills
  if (!L.vectorGrid) return null;
  const layer = new (quietTiles())("/tiles/grid/{z}/{x}/{y}.mvt", {
    pane: "grid",
    maxNativeZoom: 19,
    interactive: false,
    fetchOptions: { headers: tileHeaders() },
    vectorTileLayerStyles: { grid: STYLES.grid },
  });
  fromZoom(map, layer, minZoom);
  return layer;
}

// ---- the basemap: named roads, the address register, 天地图 ------------------------------

const SVG = "http://www.w3.org/2000/svg";

/** A road's width in pixels at zoom ``z``: about its real width from building zoom on, a thin
 * line at the district's view. */
export function roadWidth(kind, z) {
  const street = Math.max(1.5, 2 ** (z - 14.5)); // z15 1.4 → z17 5.7 → z18 11 → z19 23
  return kind === "alley" ? Math.max(1, street * 0.55) : street;
}

export const BASEMAP_STYLES = {
  // a casing under a light fill, as printed street maps draw roads
  road: (kind, z) => {
    const width = roadWidth(kind, z);
    const casing = kind === "alley" ? "#c8beac" : "#b9ae9a";
    return [
      { color: casing, weight: width + 2, opacity: 0.9, interactive: false },
      { color: kind === "alley" ? "#ffffff" : "#fffaf0", weight: width, interactive: false },
    ];
  },
  address: {
    radius: 2.5,
    weight: 1,
    color: "#7a6a55",
    fillColor: "#f3e6cf",
    fill: true,
    fillOpacity: 1,
    interactive: false,
  },
};

function svgText(text, x, y, { size, angle = 0, anchor = "middle", dx = 0 }) {
  const el = document.createElementNS(SVG, "text");
  el.textContent = text;
  const attrs = {
    x: x + dx,
    y,
    "font-size": size,
    "text-anchor": anchor,
    "dominant-baseline": "central",
    fill: "#3b3327",
    stroke: "#ffffff",
    "stroke-width": 3,
    "paint-order": "stroke",
    "stroke-linejoin": "round",
  };
  if (angle) attrs.transform = `rotate(${angle.toFixed(1)} ${x} ${y})`;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Where a road's name goes in a tile: the middle of its longest segment inside the tile,
 * turned along it (never upside down); null when no segment is long enough for the name. */
function roadLabelAt(feature, scale, size) {
  let best = null;
  for (const part of feature.geometry) {
    for (let i = 1; i < part.length; i++) {
      const a = part[i - 1];
      const b = part[i];
      const mx = ((a.x + b.x) / 2) * scale;
      const my = ((a.y + b.y) / 2) * scale;
      const length = Math.hypot(b.x - a.x, b.y - a.y) * scale;
      const inside = mx >= 0 && my >= 0 && mx < size.x && my < size.y;
      if (inside && (!best || length > best.length)) {
        let angle = (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
        if (angle > 90) angle -= 180;
        if (angle <= -90) angle += 180;
        best = { x: mx, y: my, angle, length };
      }
    }
  }
  return best && best.length >= 12 * feature.properties.name.length * 0.8 ? best : null;
}

/** A tile layer of the basemap that writes labels (SVG text) over its tiles from
 * ``labelZoom`` on: ``write(svg, data, tileSize)`` is given the tile's decoded layer. */
function labelledTiles(url, name, labelZoom, options, write) {
  const Base = quietTiles();
  const Labelled = Base.extend({
    createTile(coords, done) {
      const tile = Base.prototype.createTile.call(this, coords, done);
      const pending = this.lastTile; // the data this tile is drawn from (fetched once)
      if (coords.z >= labelZoom) {
        pending.then((data) => {
          const found = data.layers[name];
          if (!found) return;
          tile.style.overflow = "visible"; // a name may run past the tile's edge
          write(tile, found, this.getTileSize());
        });
      }
      return tile;
    },
  });
  return new Labelled(url, {
    ...options,
    maxNativeZoom: 19,
    interactive: false,
    rendererFactory: L.svg.tile,
    fetchOptions: { headers: tileHeaders() },
  });
}

/** The named streets and alleys (/tiles/roadnet/…), their names along them from ``labelZoom``. */
export function roadNetwork(map, { url, min_zoom: minZoom, label_zoom: labelZoom }) {
  ensurePane(map, "roads", 405); // above the area fills, under the grid and the pins
  const layer = labelledTiles(
    url,
    "roadnet",
    labelZoom,
    {
      pane: "roads",
      vectorTileLayerStyles: {
        roadnet: (p, z) => BASEMAP_STYLES.road(p.kind, z),
      },
    },
    (svg, found, size) => {
      const scale = size.x / found.extent;
      const placed = new Map(); // one label per name and tile: its longest stretch
      for (const feature of found.features) {
        const name = feature.properties.name;
        const at = name ? roadLabelAt(feature, scale, size) : null;
        if (at && !(placed.get(name)?.length >= at.length)) placed.set(name, at);
      }
      for (const [name, at] of placed) {
        const label = svgText(name, at.x, at.y, { size: 12, angle: at.angle });
        label.classList.add("road-label");
        svg.appendChild(label);
      }
    },
  );
  fromZoom(map, layer, minZoom);
  return layer;
}

/** The address register's entries (/tiles/addresses/…) as dots, their door numbers, buildings
 * and names from ``labelZoom``. */
export function addressPoints(map, { url, min_zoom: minZoom, label_zoom: labelZoom }) {
  ensurePane(map, "addresses", 415);
  const layer = labelledTiles(
    url,
    "addresses",
    labelZoom,
    { pane: "addresses", vectorTileLayerStyles: { addresses: BASEMAP_STYLES.address } },
    (svg, found, size) => {
      const scale = size.x / found.extent;
      for (const feature of found.features) {
        const [[p]] = feature.geometry;
        const x = p.x * scale;
        const y = p.y * scale;
        if (!feature.properties.label || x < 0 || y < 0 || x >= size.x || y >= size.y) continue;
        const label = svgText(feature.properties.label, x, y, { size: 10, anchor: "start", dx: 4 });
        label.classList.add("address-label");
        svg.appendChild(label);
      }
    },
  );
  fromZoom(map, layer, minZoom);
  return layer;
}

/** 天地图's vector map and annotations under everything, when the installation has a key
 * (it needs the network: offline its tiles stay blank and our own layers are drawn). */
export function tianditu(map, { urls, subdomains, attribution }) {
  for (const url of urls) {
    L.tileLayer(url, { subdomains, maxZoom: 20, maxNativeZoom: 18, attribution }).addTo(map);
  }
  L.control.attribution({ prefix: false }).addTo(map);
}

/**
 * The working maps' basemap as the service describes it (GET /tiles/basemap, kept for
 * offline use): 天地图 when configured, the named roads and the address register. Failures
 * leave the map with its boundaries, never an error.
 */
export async function basemap(map) {
  let config;
  try {
    config = await cachedGet("/tiles/basemap");
  } catch {
    return null;
  }
  if (config.tianditu) tianditu(map, config.tianditu);
  if (!L.vectorGrid) return null;
  const layers = Object.fromEntries(config.layers.map((l) => [l.layer, l]));
  return {
    roads: layers.roadnet ? roadNetwork(map, layers.roadnet) : null,
    addresses: layers.addresses ? addressPoints(map, layers.addresses) : null,
  };
}
