// The phone page: pick the type and the place (a tap on the map, or the phone's position),
// say what is wrong, add photos, send; then the tracking code, and following a report.
import { answerChallenge } from "./challenge.js";
import { showReport } from "./follow.js";
import { el, language, loadWords, switchLanguage } from "./words.js";

const form = document.getElementById("report-form");
const outcome = document.getElementById("outcome");
let chosen = null;

async function start() {
  const t = await loadWords();
  document.getElementById("language").addEventListener("click", switchLanguage);
  const [services, place] = await Promise.all([
    fetch(`/open311/v2/services.json?locale=${language()}`).then((r) => r.json()),
    fetch("/report/api/place").then((r) => r.json()),
  ]);
  const select = document.getElementById("service");
  for (const service of services) {
    select.append(el("option", service.service_name, { value: service.service_code }));
  }
  document.getElementById("photos-label").textContent = t("page.report.photos", {
    count: place.max_photos, size: Math.round(place.max_photo_bytes / 1048576),
  });
  const map = L.map("map", { zoomSnap: 0.25 });
  if (place.tile_url) {
    L.tileLayer(place.tile_url, { attribution: place.tile_attribution, maxZoom: 19 }).addTo(map);
  }
  const grids = L.geoJSON(place.grids, {
    style: { className: "report-grid", color: "#2b6cb0", weight: 1, fillOpacity: 0.05 },
  }).addTo(map);
  if (place.grids.features.length) map.fitBounds(grids.getBounds());
  const marker = L.marker([0, 0]);
  const choose = (lat, lon) => {
    chosen = { lat, lon };
    marker.setLatLng([lat, lon]).addTo(map);
    document.getElementById("place").textContent =
      t("page.report.located", { lat: lat.toFixed(5), lon: lon.toFixed(5) });
  };
  map.on("click", (event) => choose(event.latlng.lat, event.latlng.lng));
  grids.on("click", (event) => choose(event.latlng.lat, event.latlng.lng));
  document.getElementById("locate").addEventListener("click", () => {
    navigator.geolocation.getCurrentPosition(
      (position) => {
        choose(position.coords.latitude, position.coords.longitude);
        map.setView([position.coords.latitude, position.coords.longitude], 16);
      },
      (error) => { outcome.textContent = t("page.report.no_position", { reason: error.message }); },
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); send(t); });
  document.getElementById("lookup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showReport(t, document.getElementById("lookup-token").value.trim());
  });
  window.gridhub = { map, choose };  // for tests and the curious
  document.body.dataset.ready = "true";
}

async function send(t) {
  outcome.textContent = "";
  if (!chosen) {
    outcome.textContent = t("page.report.need_place");
    return;
  }
  const button = document.getElementById("submit");
  button.disabled = true;
  button.textContent = t("page.report.working");
  try {
    const body = new FormData(form);  // type, description, photos (media), name, phone
    body.set("lat", chosen.lat);
    body.set("long", chosen.lon);
    body.set("channel", "page");
    body.set("altcha", await answerChallenge());
    if (!document.getElementById("photos").files.length) body.delete("media");
    const response = await fetch(`/open311/v2/requests.json?locale=${language()}`,
      { method: "POST", body });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer[0]?.description || response.status);
    document.getElementById("token").textContent = answer[0].token;
    document.getElementById("tracking").hidden = false;
    document.getElementById("lookup-token").value = answer[0].token;
    form.reset();
  } catch (error) {
    outcome.textContent = t("page.report.failed", { reason: error.message });
  } finally {
    button.disabled = false;
    button.textContent = t("page.report.submit");
  }
}

start();
