// My patrol: my grids and checkpoints on the map, my position, and the big buttons. A
// check-in is kept in the outbox first and sent from there, so one made with no signal
// is sent once the network returns, with the time it was made.
import { el, text } from "/static/js/dom.js";
import * as outbox from "./outbox.js";

const PATROL_KEY = "gridhub.phone.patrol";
const POSITION_TIMEOUT_MS = 15000;
const POSITION_MAX_AGE_MS = 10000;

export function cachedPatrol() {
  try {
    return JSON.parse(localStorage.getItem(PATROL_KEY));
  } catch {
    return null;
  }
}

export function rememberPatrol(patrol) {
  localStorage.setItem(PATROL_KEY, JSON.stringify(patrol));
}

export function forgetPatrol() {
  localStorage.removeItem(PATROL_KEY);
}

function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error("no geolocation"));
      return;
    }
    navigator.geolocation.getCurrentPosition(resolve, reject, {
      enableHighAccuracy: true, timeout: POSITION_TIMEOUT_MS, maximumAge: POSITION_MAX_AGE_MS,
    });
  });
}

export class Patrol {
  constructor(t) {
    this.t = t;
    // A view from the start: my position may come before my grids do.
    this.map = L.map("map", { zoomSnap: 0.25 }).setView([30, 115], 5);
    this.grids = L.geoJSON(null, {
      style: { className: "my-grid", color: "#22543d", weight: 2, fillOpacity: 0.08 },
    }).addTo(this.map);
    this.points = L.layerGroup().addTo(this.map);
    this.me = L.circleMarker([0, 0], { radius: 8, color: "#2b6cb0", fillOpacity: 0.8 });
    this.outcome = document.getElementById("outcome");
    for (const button of document.querySelectorAll("button.checkin")) {
      button.addEventListener("click", () => this.checkIn(button.dataset.kind));
    }
  }

  show(patrol, tiles) {
    if (tiles?.tile_url && !this.tiles) {
      this.tiles = L.tileLayer(tiles.tile_url, { attribution: tiles.tile_attribution, maxZoom: 19 })
        .addTo(this.map);
    }
    this.grids.clearLayers().addData(patrol.grids);
    if (patrol.grids.features.length) this.map.fitBounds(this.grids.getBounds());
    const visited = new Set(patrol.today.filter((c) => c.kind === "checkpoint")
      .map((c) => c.checkpoint_id));
    this.points.clearLayers();
    const select = document.getElementById("checkpoint-id");
    select.replaceChildren(select.options[0]);
    for (const point of patrol.checkpoints) {
      const done = visited.has(point.id);
      L.circleMarker([point.lat, point.lon], {
        className: "checkpoint", radius: 7, weight: 2, color: done ? "#22543d" : "#718096",
        fillColor: done ? "#48bb78" : "#fff", fillOpacity: 0.9,
      }).bindTooltip(text(point.name, done ? ` ✓ ${this.t("page.phone.visited")}` : ""))
        .addTo(this.points);
      select.append(el("option", { value: point.id, class: done ? "visited" : null },
        done ? `${point.name} ✓` : point.name));
    }
    document.getElementById("today").replaceChildren(...(patrol.today.length
      ? patrol.today.map((c) => el("li", { "data-checkin": c.id },
        `${new Date(c.ts).toLocaleTimeString()} · ${this.t(`page.phone.kind.${c.kind}`)}`,
        c.grid ? ` · ${c.grid}` : "", c.late ? ` · ${this.t("page.phone.late")}` : ""))
      : [el("li", { class: "empty" }, this.t("page.phone.none_today"))]));
  }

  // Where I am now, shown on the map; the error's reason if the phone cannot say.
  async locate() {
    const where = await position();
    const { latitude: lat, longitude: lon, accuracy } = where.coords;
    this.me.setLatLng([lat, lon]).addTo(this.map);
    document.getElementById("position").textContent = this.t("page.phone.position", {
      lat: lat.toFixed(5), lon: lon.toFixed(5), accuracy: Math.round(accuracy),
    });
    return where.coords;
  }

  async checkIn(kind) {
    this.outcome.className = "";
    this.outcome.textContent = this.t("page.phone.locating");
    let coords;
    try {
      coords = await this.locate();
    } catch (error) {
      this.outcome.textContent = this.t("page.phone.no_position", { reason: error.message });
      return;
    }
    const { latitude: lat, longitude: lon, accuracy } = coords;
    const checkin = {
      id: crypto.randomUUID(), ts: new Date().toISOString(), lat, lon, crs: "wgs84",
      accuracy_m: accuracy, kind,
    };
    const point = document.getElementById("checkpoint-id").value;
    if (kind === "checkpoint" && point) checkin.checkpoint_id = point;
    const note = document.getElementById("note").value.trim();
    if (note) checkin.note = note;
    const photo = document.getElementById("photo");
    await outbox.keep(checkin, photo.files[0] ?? null);
    document.getElementById("note").value = "";
    photo.value = "";
    this.outcome.className = "ok";
    this.outcome.textContent = this.t("page.phone.kept", { kind: this.t(`page.phone.kind.${kind}`) });
    await this.onChange();
  }

  // Replaced by the app: send what waits, then redraw.
  async onChange() {}
}

export async function showOutbox(t) {
  const [queue, refused] = await Promise.all([outbox.waiting(), outbox.refused()]);
  document.getElementById("waiting").textContent =
    queue.length ? t("page.phone.waiting", { count: queue.length }) : "";
  document.getElementById("refused").replaceChildren(...refused.map((c) =>
    el("li", { class: "error" }, t("page.phone.refused", {
      time: new Date(c.checkin.ts).toLocaleString(), reason: c.reason,
    }))));
  return queue.length;
}
