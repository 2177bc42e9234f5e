// The dispatcher's flood view (三防): the warning's area on the map, its grids shaded by how
// many of their members confirmed, each member coloured by receipt, the cameras and gauges
// inside one click from their picture and reading, the progress live, a chart over time,
// the silent by village and grid with their phones, and the roll (CSV, print).
// Everything shown that a device, an import or an issuer wrote goes in as text.
import { Unauthorized, get, signInForm, token } from "./api.js";
import { el, text } from "./dom.js";
import { language, loadWords, switchLanguage } from "./report/words.js";

const POLL_MS = 2000;
const STATES = ["sent", "delivered", "read", "confirmed"];
let t = (key) => key;
let colours = {};
let map = null;
let layers = null;
let chart = null;
let gridShapes = {};

function when(iso) {
  return iso ? new Date(iso).toLocaleString(language()) : "";
}

function bearer() {
  return { headers: { Authorization: `Bearer ${token()}` } };
}

// Red (nobody confirmed) through amber to green (everyone did).
function progressColour(done, total) {
  if (!total) return "#a0aec0";
  const share = done / total;
  return share >= 1 ? "#2f855a" : share >= 0.5 ? "#d69e2e" : "#c53030";
}

function drawMap(warning) {
  layers.clearLayers();
  const grids = L.geoJSON(
    { type: "FeatureCollection", features: warning.grids.map((c) => gridShapes[c]).filter(Boolean) },
    {
      style: (f) => {
        const p = warning.grid_progress[f.id] ?? { total: 0, confirmed: 0 };
        return { className: `grid grid-${f.id}`, color: "#16324f", weight: 1,
          fillColor: progressColour(p.confirmed, p.total), fillOpacity: 0.45 };
      },
      onEachFeature: (f, layer) => {
        const p = warning.grid_progress[f.id] ?? { total: 0, confirmed: 0 };
        layer.bindTooltip(text(`${f.properties.name} · ${p.confirmed} / ${p.total}`));
      },
    },
  ).addTo(layers);
  L.geoJSON(warning.area, {
    style: { className: "area", color: colours[warning.level] ?? "#c53030", weight: 3, fill: false },
    interactive: false,
  }).addTo(layers);
  // Members have no fixed place: each is drawn inside their first grid, spread around its centre.
  const seen = {};
  for (const member of warning.members) {
    if (member.released_at || !member.grid || !gridShapes[member.grid]) continue;
    const centre = L.geoJSON(gridShapes[member.grid]).getBounds().getCenter();
    const n = (seen[member.grid] = (seen[member.grid] ?? -1) + 1);
    const at = [centre.lat + 0.0012 * Math.sin(n * 2.4), centre.lng + 0.0015 * Math.cos(n * 2.4)];
    const done = member.state === "confirmed";
    L.circleMarker(at, { radius: 7, weight: 2, fillOpacity: 1,
      className: `member member-${member.code} ${done ? "confirmed" : "pending"}` })
      .bindTooltip(text(`${member.name ?? member.code} (${member.code}) · ${t(`receipt.${member.state}`)}`))
      .addTo(layers);
  }
  for (const sensor of warning.sensors) {
    const reading = sensor.value === null ? t("page.flood.no_reading")
      : `${sensor.value} ${sensor.unit ?? ""} · ${when(sensor.ts)}`;
    L.marker([sensor.lat, sensor.lon], { title: sensor.name })
      .bindPopup(el("div", {}, el("strong", {}, sensor.name), el("br"), reading))
      .addTo(layers);
  }
  for (const camera of warning.cameras) {
    const button = el("button", { type: "button", class: "snapshot" }, t("page.flood.picture"));
    button.addEventListener("click", () => showPicture(camera.code));
    L.circleMarker([camera.lat, camera.lon], { radius: 5, className: "camera", color: "#2b6cb0" })
      .bindPopup(el("div", {}, el("strong", {}, camera.name), el("br"), button))
      .addTo(layers);
  }
  return grids;
}

async function showPicture(code) {
  const picture = document.getElementById("picture");
  const response = await fetch(`/api/v1/cameras/${encodeURIComponent(code)}/snapshot`, bearer());
  if (!response.ok) {
    picture.hidden = true;
    return;
  }
  picture.src = URL.createObjectURL(await response.blob());
  picture.alt = code;
  picture.hidden = false;
}

function showCounts(warning) {
  const r = warning.receipts;
  const progress = document.getElementById("progress");
  progress.max = Math.max(r.total, 1);
  progress.value = r.confirmed;
  document.getElementById("progress-text").textContent =
    t("page.flood.progress", { confirmed: r.confirmed, total: r.total });
  document.getElementById("counts").replaceChildren(
    ...["delivered", "read", "confirmed"].map((s) => el("li", { class: `count-${s}` },
      `${t(`receipt.${s}`)}: ${r[s]}`)));
  document.getElementById("status").textContent = t(`page.flood.status_${warning.status}`);
}

// Cumulative delivered and confirmed over time, from each member's receipt times.
function showChart(warning) {
  const series = (state) => {
    const times = warning.members.map((m) => m[`${state}_at`]).filter(Boolean)
      .map((iso) => Date.parse(iso)).sort((a, b) => a - b);
    return [{ x: Date.parse(warning.opened_at), y: 0 }, ...times.map((x, i) => ({ x, y: i + 1 }))];
  };
  const datasets = [
    { label: t("receipt.delivered"), data: series("delivered"), borderColor: "#d69e2e", stepped: true },
    { label: t("receipt.confirmed"), data: series("confirmed"), borderColor: "#2f855a", stepped: true },
  ];
  if (chart) {
    chart.data.datasets = datasets;
    chart.update("none");
    return;
  }
  chart = new Chart(document.getElementById("receipts-chart"), {
    type: "line",
    data: { datasets },
    options: {
      animation: false,
      parsing: false,
      scales: {
        x: { type: "linear", ticks: { callback: (v) => new Date(v).toLocaleTimeString(language()) } },
        y: { beginAtZero: true, suggestedMax: warning.receipts.total, ticks: { precision: 0 } },
      },
    },
  });
}

function byPlace(a, b) {
  return (a.village ?? "").localeCompare(b.village ?? "") ||
    (a.grid ?? "").localeCompare(b.grid ?? "") || a.code.localeCompare(b.code);
}

function showSilent(warning) {
  const silent = warning.members.filter((m) => !m.released_at && m.state !== "confirmed").sort(byPlace);
  const list = document.getElementById("silent");
  list.replaceChildren();
  if (!silent.length) list.append(el("li", {}, t("page.flood.all_confirmed")));
  let village = null;
  for (const m of silent) {
    if (m.village !== village) {
      village = m.village;
      list.append(el("li", { class: "village" }, village ?? "—"));
    }
    list.append(el("li", { class: `silent-${m.code}` },
      `${m.grid_name ?? m.grid ?? ""} · ${m.name ?? m.code} (${m.code}) · ${m.phone ?? ""}` +
      (m.reminded_at ? ` · ${t("page.flood.reminded")}` : "")));
  }
}

function showRoll(warning) {
  const body = document.querySelector("#roll tbody");
  body.replaceChildren(...warning.members.filter((m) => !m.released_at).sort(byPlace).map((m) => {
    const last = STATES.slice().reverse().find((s) => m[`${s}_at`]);
    return el("tr", { class: m.state, "data-member": m.code },
      el("td", {}, m.village ?? ""), el("td", {}, m.grid_name ?? m.grid ?? ""),
      el("td", {}, `${m.name ?? ""} (${m.code})`), el("td", {}, m.phone ?? ""),
      el("td", {}, t(`receipt.${m.state}`)), el("td", {}, when(last ? m[`${last}_at`] : null)));
  }));
}

function showInside(warning) {
  document.getElementById("inside").replaceChildren(
    ...warning.sensors.map((s) => el("li", {}, `${s.name}: ${s.value ?? "—"} ${s.unit ?? ""}`)),
    ...warning.cameras.map((c) => {
      const button = el("button", { type: "button" }, t("page.flood.picture"));
      button.addEventListener("click", () => showPicture(c.code));
      return el("li", {}, `${c.name} `, button);
    }),
  );
}

function showAll(warning, fit) {
  const grids = drawMap(warning);
  if (fit) map.fitBounds(L.geoJSON(warning.area).getBounds().extend(grids.getBounds()), { padding: [16, 16] });
  showCounts(warning);
  showChart(warning);
  showSilent(warning);
  showRoll(warning);
  window.gridhub = { warning, map };  // for tests and the curious
}

async function downloadCsv(id) {
  const response = await fetch(`/api/v1/warnings/${id}/receipts.csv`, bearer());
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `warning-${id}.csv` });
  link.click();
}

async function show() {
  const meta = await get("/api/v1/meta");
  colours = Object.fromEntries(meta.severities.map((s) => [s.name, s.colour]));
  const list = await get("/api/v1/warnings");
  if (!list.items.length) {
    document.getElementById("no-warning").hidden = false;
    document.body.dataset.ready = "true";
    return;
  }
  const wanted = Number(new URLSearchParams(location.search).get("id")) || list.items[0].id;
  const choice = document.getElementById("warning-choice");
  for (const w of list.items) {
    choice.append(el("option", { value: String(w.id), selected: w.id === wanted ? "selected" : null },
      `#${w.id} ${w.headline ?? t(`severity.${w.level}`)} (${t(`page.flood.status_${w.status}`)})`));
  }
  choice.addEventListener("change", () => { location.search = `?id=${choice.value}`; });
  document.getElementById("view").hidden = false;
  map = L.map("flood-map", { zoomSnap: 0.25 });
  const config = await get("/api/v1/map");
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 19 }).addTo(map);
  }
  L.geoJSON(config.overlays, { style: { className: "overlay", color: "#3182ce", weight: 1 },
    interactive: false }).addTo(map);
  const grids = await get("/api/v1/grids");
  gridShapes = Object.fromEntries(grids.features.map((f) => [f.id, f]));
  layers = L.layerGroup().addTo(map);
  const warning = await get(`/api/v1/warnings/${wanted}`);
  document.getElementById("headline").textContent = warning.headline ?? t(`severity.${warning.level}`);
  const level = document.getElementById("level");
  level.textContent = t(`severity.${warning.level}`);
  level.classList.add(`severity-${warning.level}`);
  document.getElementById("instruction").textContent = warning.instruction ?? "";
  document.getElementById("valid-until").textContent =
    warning.valid_until ? t("page.flood.valid_until", { time: when(warning.valid_until) }) : "";
  document.getElementById("csv").addEventListener("click", () => downloadCsv(wanted));
  document.getElementById("print").addEventListener("click", () => window.print());
  showInside(warning);
  showAll(warning, true);
  document.body.dataset.ready = "true";
  setInterval(async () => {
    try {
      showAll(await get(`/api/v1/warnings/${wanted}`), false);
    } catch (error) {
      document.getElementById("progress-text").textContent = error.message;
    }
  }, POLL_MS);
}

async function start() {
  t = await loadWords();
  document.getElementById("language").addEventListener("click", switchLanguage);
  const form = signInForm();
  if (!token()) {
    form.hidden = false;
    return;
  }
  try {
    await show();
  } catch (error) {
    if (!(error instanceof Unauthorized)) throw error;
    form.hidden = false;
  }
}

start();
