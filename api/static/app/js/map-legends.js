// The hot spot maps' legends follow the layer control: a legend tied to a layer
// (<div class="gw-legend" data-layer="the layer's name">) shows while that layer is ticked
// and hides when it is not; the visible legends of each side stack without gaps.
// A plain script loaded with defer (after folium's inline map script has built the control).

(() => {
  const GAP_PX = 8;
  const legends = [...document.querySelectorAll(".gw-legend")];
  if (legends.length === 0) return;

  // each side's legends, lowest first, stacked up from the lowest one's place
  const sides = new Map();
  for (const legend of legends) {
    const side = legend.style.left ? "left" : "right";
    if (!sides.has(side)) sides.set(side, []);
    sides.get(side).push({ legend, bottom: Number.parseFloat(legend.style.bottom) || 0 });
  }
  for (const column of sides.values()) column.sort((a, b) => a.bottom - b.bottom);

  /** Layer name → ticked, from the layer control's overlay checkboxes. */
  function ticked() {
    const found = new Map();
    for (const label of document.querySelectorAll(".leaflet-control-layers-overlays label")) {
      const input = label.querySelector("input");
      const name = label.querySelector("span")?.textContent.trim();
      if (input && name) found.set(name, input.checked);
    }
    return found;
  }

  function update() {
    const on = ticked();
    for (const legend of legends) {
      const layer = legend.dataset.layer;
      legend.hidden = layer !== undefined && on.has(layer) && !on.get(layer);
    }
    for (const column of sides.values()) {
      let bottom = column[0].bottom;
      for (const { legend } of column) {
        if (legend.hidden) continue;
        legend.style.bottom = `${bottom}px`;
        bottom += legend.offsetHeight + GAP_PX;
      }
    }
  }

  // a tick changes an input; adding or removing a layer rebuilds the control's list
  document.addEventListener("change", (event) => {
    if (event.target.closest?.(".leaflet-control-layers")) update();
  });
  const list = document.querySelector(".leaflet-control-layers-overlays");
  if (list) new MutationObserver(update).observe(list, { childList: true, subtree: true });
  update();
})();
