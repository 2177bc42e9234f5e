// Sensors (water level, rain, smoke) at their places, coloured by their current level; a
// warning raised from a sensor sets its level at once. A click shows the last 24 hours of
// readings as a sparkline (Chart.js) beside the thresholds.
import { get } from "./api.js";
import { el, text } from "./dom.js";

const DAY_MS = 24 * 3600 * 1000;
const NO_LEVEL = "#2f855a";
let chart = null;

export async function loadSensors(ctx) {
  const layer = L.layerGroup().addTo(ctx.map);
  const sensors = new Map();  // code → {sensor, marker}
  const page = await get("/api/v1/sensors?limit=1000");
  for (const sensor of page.items) put(sensor);

  function put(sensor) {
    let entry = sensors.get(sensor.code);
    if (!entry) {
      if (sensor.lat == null) return;
      const marker = L.circleMarker([sensor.lat, sensor.lon], { renderer: ctx.renderer,
        className: "sensor-marker", radius: 6, weight: 2, color: "#ffffff", fillOpacity: 1,
      }).addTo(layer);
      marker.on("click", () => showSensor(ctx, sensors.get(sensor.code).sensor));
      entry = { sensor, marker };
      sensors.set(sensor.code, entry);
    }
    entry.sensor = sensor;
    entry.marker.setStyle({ fillColor: sensor.level ? ctx.colour(sensor.level) : NO_LEVEL });
    entry.marker.getElement()?.setAttribute("data-sensor", sensor.code);
    entry.marker.getElement()?.setAttribute("data-level", sensor.level ?? "none");
    const value = sensor.last_value == null ? "" : ` · ${sensor.last_value} ${sensor.unit ?? ""}`;
    entry.marker.bindTooltip(text(sensor.name, " · ", ctx.word("kind", sensor.kind),
      sensor.level ? ` · ${ctx.word("severity", sensor.level)}` : "", value));
  }

  ctx.on((type, data) => {
    const alert = data?.after;
    if (!type.startsWith("alert.") || alert?.source_type !== "sensor") return;
    const entry = sensors.get(alert.source_id);
    if (!entry) return;
    const level = ctx.isOpen(alert.status) ? alert.severity : null;
    put({ ...entry.sensor, level, last_value: alert.last_value ?? entry.sensor.last_value });
  });
  return { sensors, layer };
}

async function showSensor(ctx, sensor) {
  const { t } = ctx;
  const canvas = el("canvas", { id: "sensor-chart", height: "120" });
  const thresholds = ctx.meta.severities
    .filter((s) => sensor.thresholds[s.name] != null)
    .map((s) => el("span", { class: `badge severity-${s.name}` },
      `${ctx.word("severity", s.name)} ${sensor.thresholds[s.name]}`));
  ctx.show(
    el("h2", { id: "sensor-name", "data-sensor": sensor.code }, sensor.name),
    el("p", { class: "path" }, `${sensor.code} · ${sensor.grid ?? ""} · ${ctx.word("kind", sensor.kind)}`),
    el("p", {}, sensor.last_value == null ? t("page.map.no_reading")
      : t("page.map.last_reading", { value: sensor.last_value, unit: sensor.unit ?? "",
          time: ctx.time(sensor.last_ts) })),
    el("p", { class: "badges" }, thresholds),
    el("h3", {}, t("page.map.readings_24h")),
    canvas,
  );
  const since = new Date(Date.now() - DAY_MS).toISOString();
  const readings = await get(`/api/v1/sensors/${encodeURIComponent(sensor.code)}/readings`
    + `?limit=1000&since=${encodeURIComponent(since)}`);
  const points = readings.items.slice().reverse();
  canvas.dataset.points = String(points.length);
  chart?.destroy();
  chart = new Chart(canvas, {
    type: "line",
    data: {
      labels: points.map((r) => ctx.time(r.ts)),
      datasets: [{ data: points.map((r) => r.value), borderColor: "#2b6cb0", pointRadius: 0, borderWidth: 1.5 }],
    },
    options: {
      animation: false, responsive: true,
      plugins: { legend: { display: false } },
      scales: { x: { display: false } },
    },
  });
}
