// Where a pin or footprint will go, before it is sent: grid, community, street (both
// candidates with shares when the accuracy circle crosses a boundary) and, once a category is
// chosen, the streets and departments the router would summon.

import { ApiError, api, describe } from "./api.js";
import { h, percent } from "./ui.js";

/**
 * The rows to show for ``geometry`` (GeoJSON, WGS-84) with ``category`` (code or null) and
 * ``accuracy`` (metres or null); ``user`` is warned when the position is outside their area.
 */
export async function destination(geometry, { category, accuracy, user }) {
  if (!navigator.onLine) return [h("p", { class: "muted" }, "离线：恢复网络后发送时定位。")];
  const rows = [h("h3", {}, "将报送至")];
  try {
    if (geometry.type === "Point") {
      const [lon, lat] = geometry.coordinates;
      const q = `lon=${lon}&lat=${lat}${accuracy ? `&accuracy_m=${accuracy}` : ""}`;
      const located = locationRows(await api(`/api/locate?${q}`), user);
      rows.push(...located);
      rows.refusal = located.refusal;
    }
    if (category) {
      const body = { geometry, category, accuracy_m: accuracy };
      const route = await api("/api/route", { method: "POST", body });
      rows.push(...routeRows(route, geometry.type !== "Point"));
    } else if (geometry.type !== "Point") {
      rows.push(h("p", { class: "muted" }, "选择类别后显示涉及的街道和部门。"));
    }
  } catch (err) {
    const refused = [h("p", { class: "warn" }, describe(err))];
    // the server would refuse this report too (not a network failure: that is retried)
    if (err instanceof ApiError && err.status === 422) refused.refusal = describe(err);
    return refused;
  }
  return rows;
}

function locationRows(found, user) {
  const rows = [
    h(
      "dl",
      { class: "where" },
      h("dt", {}, "网格"),
      h("dd", { class: "grid-code" }, found.grid ? found.grid.code : "—"),
      h("dt", {}, "社区"),
      h("dd", {}, found.community ? found.community.name : "—"),
      h("dt", {}, "街道"),
      h("dd", { class: "street-name" }, found.street ? found.street.name : "—"),
      h("dt", {}, "区"),
      h("dd", {}, found.district.name),
    ),
  ];
  if (found.ambiguous) {
    rows.push(
      h(
        "div",
        { class: "ambiguous" },
        h("strong", {}, "精度圈跨越街道边界，候选街道："),
        h(
          "ul",
          {},
          found.candidates.map((c) => h("li", {}, `${c.name} ${percent(c.share)}`)),
        ),
      ),
    );
  }
  const own = user.jurisdiction;
  const street = found.street?.code;
  if (own && street && user.role === "grid_worker" && !street.startsWith(own.slice(0, 9))) {
    rows.refusal = "此位置不在您的辖区，不能提交：请把图钉移到辖区内，或请所在街道的网格员上报。";
    rows.push(h("p", { class: "warn outside" }, rows.refusal));
  }
  return rows;
}

/** Streets (always for a footprint: locate only places points) and departments. */
function routeRows(route, footprint) {
  const rows = [];
  if (route.joint || route.streets.length > 1 || footprint) {
    const several = route.streets.length > 1;
    rows.push(
      h(
        "div",
        { class: several ? "ambiguous" : "streets" },
        h("strong", {}, route.joint ? "跨界：联合处置" : several ? "涉及多个街道" : "街道"),
        h(
          "ul",
          {},
          route.streets.map((s) => h("li", {}, `${s.name} ${percent(s.share)}`)),
        ),
      ),
    );
  }
  if (route.departments.length) {
    const names = route.departments.map(
      (d) => `${d.name}${d.role === "lead" ? "（主办）" : "（协办）"}`,
    );
    rows.push(h("p", { class: "muted" }, `如需吹哨：${names.join("、")}`));
  }
  return rows;
}
