// Suggested duplicates on the command centre's map: each new case in the queue is linked to
// the open cases of the same category nearby (GET /api/cases/{id}/duplicates); a click on a
// link merges the newer new case into the older one (or a new case into a whistled one).
/* global L */

import { api, describe } from "./api.js";
import { categoryLabel, h } from "./ui.js";

/** Case id → the duplicates answer, for every new case of the queue (a few at a time). */
export async function loadDuplicates(cases) {
  const ids = cases.filter((f) => f.properties.status === "new").map((f) => f.properties.id);
  const found = new Map();
  for (let i = 0; i < ids.length; i += 6) {
    const batch = ids.slice(i, i + 6);
    const got = await Promise.all(
      batch.map((id) => api(`/api/cases/${id}/duplicates`).catch(() => null)),
    );
    for (const [j, d] of got.entries()) if (d?.duplicates.length) found.set(batch[j], d);
  }
  return found;
}

/** Which way a pair merges: the newer of two new cases into the older; else into the other. */
function direction(caseId, other) {
  if (other.status === "new" && other.id > caseId) return { from: other.id, into: caseId };
  return { from: caseId, into: other.id };
}

/** Each linked pair once: {from, into, a, b (lon/lat), distance_m, category}. */
export function pairs(duplicates) {
  const seen = new Map();
  for (const [id, found] of duplicates) {
    for (const other of found.duplicates) {
      const key = [Math.min(id, other.id), Math.max(id, other.id)].join("-");
      if (seen.has(key) || !found.position) continue;
      seen.set(key, {
        ...direction(id, other),
        a: found.position,
        b: other.position,
        distance_m: other.distance_m,
        category: other.category,
      });
    }
  }
  return [...seen.values()];
}

/** Merge a suggested duplicate: the suggestion (same category, how far apart) is the reason. */
async function merge(from, into, distance, message, ctx) {
  message.textContent = "合并中…";
  message.className = "message";
  const reason = `疑似重复：同类问题，相距 ${Math.round(distance)} 米`;
  try {
    await api(`/api/cases/${from}/merge`, { method: "POST", body: { into, reason } });
  } catch (err) {
    message.textContent = describe(err);
    message.className = "message error";
    return;
  }
  await ctx.merged(from, into);
}

/** The popup of one link: what would merge into what, and the button if the user may. */
function popup(pair, ctx) {
  const message = h("p", { class: "message", role: "status" });
  return h(
    "div",
    { class: "duplicate-popup" },
    h("strong", {}, "疑似重复"),
    h(
      "p",
      {},
      `#${pair.from} 与 #${pair.into}：${categoryLabel(ctx.catalogue, pair.category)}，` +
        `相距 ${Math.round(pair.distance_m)} 米`,
    ),
    ctx.canMerge(pair.from)
      ? h(
          "button",
          {
            type: "button",
            class: "primary",
            onclick: () => merge(pair.from, pair.into, pair.distance_m, message, ctx),
          },
          `将 #${pair.from} 并入 #${pair.into}`,
        )
      : h("p", { class: "muted" }, "由主办街道或社区合并。"),
    message,
  );
}

/** Draw every pair as a dashed line; a click opens the merge popup. */
export function drawDuplicates(layer, state, ctx) {
  layer.clearLayers();
  if (!ctx.map.getPane("duplicates")) ctx.map.createPane("duplicates").style.zIndex = 420;
  for (const pair of pairs(state.duplicates)) {
    const line = L.polyline(
      [
        [pair.a[1], pair.a[0]],
        [pair.b[1], pair.b[0]],
      ],
      {
        pane: "duplicates",
        color: "#8e44ad",
        weight: 5,
        opacity: 0.8,
        dashArray: "8 6",
        className: "duplicate-link",
      },
    ).addTo(layer);
    const el = line.getElement();
    if (el) Object.assign(el.dataset, { from: pair.from, into: pair.into });
    line.bindTooltip(h("span", {}, `疑似重复 #${pair.from} → #${pair.into}（点击合并）`), {
      sticky: true,
    });
    line.on("click", (e) => {
      L.DomEvent.stopPropagation(e);
      L.popup({ minWidth: 220 }).setLatLng(e.latlng).setContent(popup(pair, ctx)).openOn(ctx.map);
    });
  }
}

/** The selected case's suggested duplicates, each with its merge button. */
export function duplicatesSection(c, found, ctx) {
  const message = h("p", { class: "message", role: "status" });
  return h(
    "section",
    { class: "duplicates" },
    h("h3", {}, `疑似重复（${found.radius_m} 米、${found.window_hours} 小时内同类未结案件）`),
    h(
      "ul",
      {},
      found.duplicates.map((other) => {
        const { from, into } = direction(c.id, other);
        return h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "link", onclick: () => ctx.select(other.id) },
            `#${other.id}`,
          ),
          ` ${other.description || categoryLabel(ctx.catalogue, other.category)} · ` +
            `${Math.round(other.distance_m)} 米 `,
          ctx.canMerge(from)
            ? h(
                "button",
                {
                  type: "button",
                  onclick: () => merge(from, into, other.distance_m, message, ctx),
                },
                `将 #${from} 并入 #${into}`,
              )
            : null,
        );
      }),
    ),
    message,
  );
}
