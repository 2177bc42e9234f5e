// What is happening now, drawn over the grids: open alerts, cameras by status, and the
// grid workers' last check-ins, kept current by the live event stream.
import { get } from "./api.js";
import { el, text } from "./dom.js";
import { follow } from "./stream.js";

const SEVERITY = { red: "#c53030", orange: "#dd6b20", yellow: "#d69e2e", blue: "#3182ce" };
const CAMERA = { online: "#38a169", degraded: "#dd6b20", offline: "#c53030", unknown: "#718096" };
const SEVERITY_ORDER = ["red", "orange", "yellow", "blue"];

export async function loadLive(map, list, state) {
  const alerts = new Map();  // id → {alert, marker}
  const cameras = new Map();  // code → marker
  const workers = new Map();  // worker code → marker
  const alertLayer = L.layerGroup().addTo(map);
  const cameraLayer = L.layerGroup().addTo(map);
  const workerLayer = L.layerGroup().addTo(map);

  function showAlert(alert) {
    const old = alerts.get(alert.id);
    if (old) alertLayer.removeLayer(old.marker);
    if (!["new", "dispatched", "acknowledged", "in_progress"].includes(alert.status)) {
      alerts.delete(alert.id);
    } else {
      const marker = alert.lat == null ? L.layerGroup() : L.circleMarker([alert.lat, alert.lon], {
        className: `alert-marker severity-${alert.severity}`, radius: 10, weight: 3,
        color: SEVERITY[alert.severity], fillColor: SEVERITY[alert.severity], fillOpacity: 0.35,
      }).bindTooltip(text(alert.title, " · ", alert.status));
      alerts.set(alert.id, { alert, marker: marker.addTo(alertLayer) });
    }
    renderList();
  }

  function renderList() {
    const open = [...alerts.values()].map((a) => a.alert).sort((a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || b.id - a.id);
    const items = open.map((a) => el("li", { "data-alert": a.id, class: `severity-${a.severity}` },
      el("strong", {}, a.title), " ",
      el("span", { class: "path" }, `${a.grid ?? a.region_path} · ${a.status}`)));
    list.replaceChildren(
      el("h3", {}, `Open alerts (${open.length})`),
      el("ul", { id: "alert-list" }, items.length ? items : el("li", {}, "none")));
  }

  function showCamera(code, status, latlng, name) {
    let marker = cameras.get(code);
    if (!marker) {
      if (!latlng) return;
      marker = L.circleMarker(latlng, {
        className: "camera-marker", radius: 5, weight: 1, color: "#1a202c", fillOpacity: 0.9,
      }).addTo(cameraLayer);
      cameras.set(code, marker);
    }
    marker.setStyle({ fillColor: CAMERA[status] ?? CAMERA.unknown });
    marker.getElement()?.setAttribute("data-camera", code);
    marker.getElement()?.setAttribute("data-status", status);
    marker.bindTooltip(text("📷 ", name ?? code, " · ", status));
  }

  function showCheckin(item) {
    if (item.lat == null) return;
    const marker = workers.get(item.worker) ?? L.circleMarker([item.lat, item.lon], {
      className: "worker-marker", radius: 4, weight: 2, color: "#ffffff", fillColor: "#2c5282",
      fillOpacity: 1,
    }).addTo(workerLayer);
    marker.setLatLng([item.lat, item.lon]).bindTooltip(text(item.worker, " · ", item.kind));
    workers.set(item.worker, marker);
  }

  const [open, feeds] = await Promise.all([
    get("/api/v1/alerts?status=open&limit=500"),
    get("/api/v1/cameras"),
  ]);
  for (const feature of feeds.features) {
    const p = feature.properties;
    const latlng = feature.geometry && [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
    showCamera(p.code, p.status, latlng, p.name);
  }
  for (const alert of open.items) showAlert(alert);
  renderList();

  follow((type, data) => {
    if (type.startsWith("alert.")) showAlert(data.after);
    else if (type === "camera.status") showCamera(data.code, data.status, null, data.name);
    else if (type === "checkins") data.items.forEach(showCheckin);
  }, (status) => { state.textContent = status === "live" ? "● live" : "○ reconnecting…"; });

  L.control.layers(null, {
    "Alerts · 告警": alertLayer, "Cameras · 视频": cameraLayer, "Workers · 网格员": workerLayer,
  }, { collapsed: false }).addTo(map);
  return { alerts, cameras, workers };
}
