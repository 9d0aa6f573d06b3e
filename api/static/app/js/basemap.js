// Our own boundaries as the basemap (no tiles): a jurisdiction, its neighbours, grid cells.
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
 * Grid cells from the service's vector tiles (/tiles/grid/…), drawn from ``minZoom`` on.
 * Offline, or when a tile cannot be fetched, that tile stays empty: the boundaries above are
 * still drawn. Null when the tile plugin itself did not load.
 */
export function gridCells(map, { minZoom = 15 } = {}) {
  if (!map.getPane("grid")) {
    const pane = map.createPane("grid");
    pane.style.zIndex = 410; // above the area fills …
    pane.style.pointerEvents = "none"; // … but clicks go through to what lies below
  }
  if (!L.vectorGrid) return null;
  const Quiet = L.VectorGrid.Protobuf.extend({
    _getVectorTilePromise(coords, tileBounds) {
      if (!navigator.onLine) return Promise.resolve({ layers: {} });
      return L.VectorGrid.Protobuf.prototype._getVectorTilePromise
        .call(this, coords, tileBounds)
        .catch(() => ({ layers: {} }));
    },
  });
  const headers = session.token ? { Authorization: `Bearer ${session.token}` } : {};
  const layer = new Quiet("/tiles/grid/{z}/{x}/{y}.mvt", {
    pane: "grid",
    maxNativeZoom: 19,
    interactive: false,
    fetchOptions: { headers },
    vectorTileLayerStyles: { grid: STYLES.grid },
  });
  // on the map from minZoom itself (the tile layer's own minZoom compares the rounded zoom)
  const toggle = () => {
    const shown = map.getZoom() >= minZoom;
    if (shown && !map.hasLayer(layer)) layer.addTo(map);
    if (!shown && map.hasLayer(layer)) map.removeLayer(layer);
  };
  map.on("zoomend", toggle);
  toggle();
  return layer;
}
