// Grid workers at their last known positions (the check-ins of the last hours, from the
// start), moved by the live stream; a click shows the worker's trail for those hours.
import { get } from "./api.js";
import { el, text } from "./dom.js";

const HOURS = 12;
const PAGE = 1000;

export async function loadWorkers(ctx) {
  const layer = L.layerGroup().addTo(ctx.map);
  const workers = new Map();  // worker code → marker
  let trail = null;

  function put(item) {
    if (item.lat == null) return;
    let marker = workers.get(item.worker);
    if (!marker) {
      marker = L.circleMarker([item.lat, item.lon], { renderer: ctx.renderer,
        className: "worker-marker", radius: 4, weight: 2, color: "#ffffff", fillColor: "#2c5282",
        fillOpacity: 1,
      }).addTo(layer);
      marker.on("click", () => showTrail(item.worker));
      workers.set(item.worker, marker);
    }
    marker.setLatLng([item.lat, item.lon])
      .bindTooltip(text(item.worker, " · ", ctx.word("checkin", item.kind), " · ", ctx.time(item.ts)));
  }

  async function showTrail(worker) {
    const since = new Date(Date.now() - HOURS * 3600 * 1000).toISOString();
    const page = await get(`/api/v1/checkins?worker=${encodeURIComponent(worker)}&limit=${PAGE}`
      + `&since=${encodeURIComponent(since)}`);
    const points = page.items.slice().reverse().map((c) => [c.lat, c.lon]);
    trail?.remove();
    trail = L.polyline(points, { className: "worker-trail", color: "#2c5282", weight: 3, dashArray: "4 4" })
      .addTo(ctx.map);
    ctx.show(
      el("h2", { id: "worker-name", "data-worker": worker }, worker),
      el("p", { class: "path" }, ctx.t("page.map.trail", { hours: HOURS, count: points.length })),
      el("ol", { class: "timeline" }, page.items.map((c) => el("li", {},
        el("span", { class: "when" }, ctx.time(c.ts)), " ", ctx.word("checkin", c.kind), " · ", c.grid ?? "")))
    );
  }

  const since = new Date(Date.now() - HOURS * 3600 * 1000).toISOString();
  const recent = await get(`/api/v1/checkins?limit=${PAGE}&since=${encodeURIComponent(since)}`);
  for (const item of recent.items.slice().reverse()) put(item);  // oldest first: the last wins
  ctx.on((type, data) => { if (type === "checkins") data.items.forEach(put); });
  return { workers, layer };
}
