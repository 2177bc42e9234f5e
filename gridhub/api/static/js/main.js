// The command-centre console: sign in, then the map of grids with what is happening now.
// Each panel is its own module taking the shared context (context.js).
import { Unauthorized, get, signIn, signOut, token } from "./api.js";
import { el } from "./dom.js";
import { makeContext } from "./context.js";
import { loadWords, switchLanguage } from "./i18n.js";
import { loadGrids } from "./grids.js";
import { loadAlerts } from "./alerts.js";
import { loadCameras } from "./cameras.js";
import { loadSensors } from "./sensors.js";
import { loadWorkers } from "./workers.js";
import { showGrid } from "./panel.js";
import { addThemes } from "./themes.js";
import { follow } from "./stream.js";

const dialog = document.getElementById("sign-in");
const panel = document.getElementById("panel");
const detail = document.getElementById("detail");
let t = (key) => key;

async function start() {
  const [me, config, meta] = await Promise.all([
    get("/api/v1/auth/me"), get("/api/v1/map"), get("/api/v1/meta"),
  ]);
  document.getElementById("who").textContent =
    `${me.username} (${t(`user_role.${me.role}`)})${me.scope ? ` · ${me.scope}` : ""}`;
  document.getElementById("sign-out").hidden = false;
  const map = L.map("map", { zoomSnap: 0.25 });
  if (config.tile_url) {
    L.tileLayer(config.tile_url, {
      attribution: config.tile_attribution, maxZoom: config.tile_max_zoom ?? 19,
    }).addTo(map);
  }
  L.geoJSON(config.overlays, {
    style: (f) => f.properties.kind === "centreline"
      ? { className: "overlay", color: "#2b6cb0", weight: 1, opacity: 0.6 }
      : { className: "overlay", color: "#3182ce", weight: 0, fillColor: "#63b3ed", fillOpacity: 0.8 },
    interactive: false,
  }).addTo(map);
  const ctx = makeContext({ map, t, meta, me, config, detail });
  ctx.clear();
  const layers = {};
  const grids = await loadGrids(map, (code, village) => showGrid(ctx, layers, code, village));
  ctx.renderer = grids.renderer;  // markers share the grids' renderer (SVG, or one canvas)
  const gridNames = new Map(grids.layer.getLayers().map((l) => [l.feature.properties.code, l.feature.properties.name]));
  ctx.gridName = (code) => gridNames.get(code) ?? code;
  if (grids.layer.getLayers().length) map.fitBounds(grids.layer.getBounds(), { padding: [12, 12] });
  else map.setView([29.1, 115.92], 12);
  L.control.scale({ imperial: false }).addTo(map);
  addThemes(ctx, grids);
  const [alerts, cameras, sensors, workers] = await Promise.all([
    loadAlerts(ctx, document.getElementById("alerts"), grids.villages),
    loadCameras(ctx), loadSensors(ctx), loadWorkers(ctx),
  ]);
  Object.assign(layers, { alerts, cameras, sensors, workers });
  follow((type, data) => ctx.dispatch(type, data), (status) => {
    const state = document.getElementById("live-state");
    state.textContent = t(status === "live" ? "page.map.live" : "page.map.reconnecting");
    state.dataset.state = status;
  });
  L.control.layers(null, {
    [t("page.map.layer.alerts")]: alerts.layer, [t("page.map.layer.cameras")]: cameras.layer,
    [t("page.map.layer.sensors")]: sensors.layer, [t("page.map.layer.workers")]: workers.layer,
  }, { collapsed: window.matchMedia("(max-width: 700px)").matches }).addTo(map);
  // For tests, and for views that plug in (the flood view): the map, its layers, the context.
  window.gridhub = { map, grids: grids.layer, live: { ...layers, alerts: alerts.alerts,
    cameras: new Map([...cameras.cameras].map(([k, v]) => [k, v.marker])), workers: workers.workers },
    layers, ctx };
  document.body.dataset.ready = "true";
}

function askSignIn(message = "") {
  document.getElementById("sign-in-error").textContent = message;
  if (!dialog.open) dialog.showModal();
}

document.getElementById("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    await signIn(form.get("username"), form.get("password"));
  } catch (error) {
    askSignIn(error.message);
    return;
  }
  dialog.close();
  run();
});

document.getElementById("sign-out").addEventListener("click", () => {
  signOut();
  location.reload();
});
document.getElementById("language").addEventListener("click", switchLanguage);
document.getElementById("sheet-toggle").addEventListener("click", () =>
  document.body.classList.toggle("sheet-open"));

async function run() {
  t = await loadWords();
  if (!token()) return askSignIn();
  try {
    await start();
  } catch (error) {
    if (error instanceof Unauthorized) askSignIn(t("page.map.sign_in_again"));
    else panel.replaceChildren(el("p", { role: "alert" }, t("page.map.load_failed", { error: error.message })));
  }
}

run();
