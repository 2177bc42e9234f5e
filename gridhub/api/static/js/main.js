// The dashboard: sign in, then the map of grids (and overlays) with what is happening now.
import { Unauthorized, get, signIn, signOut, token } from "./api.js";
import { el } from "./dom.js";
import { loadGrids } from "./grids.js";
import { loadLive } from "./live.js";
import { showGrid } from "./panel.js";

const dialog = document.getElementById("sign-in");
const panel = document.getElementById("panel");
const gridInfo = document.getElementById("grid-info");

async function start() {
  const me = await get("/api/v1/auth/me");
  document.getElementById("who").textContent = `${me.username} (${me.role})`;
  document.getElementById("sign-out").hidden = false;
  const config = await get("/api/v1/map");
  const map = L.map("map", { preferCanvas: false, zoomSnap: 0.25 });
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 19 }).addTo(map);
  }
  L.geoJSON(config.overlays, {
    style: (f) => f.properties.kind === "centreline"
      ? { className: "overlay", color: "#2b6cb0", weight: 1, opacity: 0.6 }
      : { className: "overlay", color: "#3182ce", weight: 0, fillColor: "#63b3ed", fillOpacity: 0.8 },
    interactive: false,
  }).addTo(map);
  const grids = await loadGrids(map, (code, village) => showGrid(gridInfo, code, village));
  map.fitBounds(grids.getBounds(), { padding: [12, 12] });
  L.control.scale({ imperial: false }).addTo(map);
  const live = await loadLive(
    map, document.getElementById("alerts"), document.getElementById("live-state"));
  window.gridhub = { map, grids, live };  // for tests and the curious
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

async function run() {
  if (!token()) return askSignIn();
  try {
    await start();
  } catch (error) {
    if (error instanceof Unauthorized) askSignIn("Please sign in again.");
    else panel.replaceChildren(el("p", { role: "alert" }, `Could not load the map: ${error.message}`));
  }
}

run();
