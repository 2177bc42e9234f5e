// Cameras by status on the map. A click shows the camera's picture, then its live view
// (MJPEG read with the bearer token), and the PTZ buttons for a PTZ camera.
import { get, picture, post, token } from "./api.js";
import { el, text } from "./dom.js";

const STATUS = { online: "#38a169", degraded: "#dd6b20", offline: "#c53030", unknown: "#718096" };
const PTZ_SPEED = 0.5;
const PTZ_PULSE_MS = 400;
const cameras = new Map();  // code → {props, latlng, marker, flight}
let stopLive = () => {};

export async function loadCameras(ctx) {
  const layer = L.layerGroup().addTo(ctx.map);
  const [feeds, flights] = await Promise.all([get("/api/v1/cameras"), get("/api/v1/drones")]);
  for (const feature of feeds.features) {
    const p = feature.properties;
    const latlng = feature.geometry && [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
    put(ctx, layer, p, latlng);
  }
  for (const flight of flights) fly(ctx, flight);
  ctx.on((type, data) => {
    if (type === "drones") {
      for (const item of data.items) fly(ctx, item);
      return;
    }
    if (type !== "camera.status") return;
    const known = cameras.get(data.code);
    if (known) put(ctx, layer, { ...known.props, status: data.status, status_reason: data.reason }, null);
  });
  return { cameras, layer };
}

function put(ctx, layer, props, latlng) {
  let entry = cameras.get(props.code);
  if (!entry) {
    if (!latlng) return;
    const marker = L.circleMarker(latlng, { renderer: ctx.renderer,
      className: "camera-marker", radius: 5, weight: 1, color: "#1a202c", fillOpacity: 0.9,
    }).addTo(layer);
    marker.on("click", () => showCamera(ctx, props.code));
    entry = { props, latlng, marker };
    cameras.set(props.code, entry);
  }
  entry.props = props;
  entry.marker.setStyle({ fillColor: STATUS[props.status] ?? STATUS.unknown });
  entry.marker.getElement()?.setAttribute("data-camera", props.code);
  entry.marker.getElement()?.setAttribute("data-status", props.status);
  tooltip(ctx, entry);
}

// A drone's telemetry (from /api/v1/drones, then live): it moves, and its tooltip says how
// it flies. A live item carries no dock: the last one known is kept.
function fly(ctx, flight) {
  const drone = cameras.get(flight.code);
  if (!drone) return;
  drone.flight = { ...drone.flight, ...flight };
  if (flight.lat != null && flight.lon != null) {
    drone.latlng = [flight.lat, flight.lon];
    drone.marker.setLatLng(drone.latlng);
  }
  drone.marker.getElement()?.setAttribute("data-mode", flight.mode_code ?? "");
  tooltip(ctx, drone);
}

function tooltip(ctx, { props, flight, marker }) {
  const parts = [props.name ?? props.code, ctx.word("camera_status", props.status)];
  if (flight) {
    const dock = flight.dock;
    if (flight.mode_code != null) parts.push(ctx.word("drone_mode", flight.mode_code));
    if (flight.battery_pct != null) parts.push(ctx.t("page.drone.battery", { battery: Math.round(flight.battery_pct) }));
    if (flight.alt_m != null) parts.push(ctx.t("page.drone.altitude", { alt: Math.round(flight.alt_m) }));
    if (dock?.drone_in_dock) parts.push(ctx.t(dock.drone_charging ? "page.drone.charging" : "page.drone.in_dock"));
  }
  marker.bindTooltip(text(flight ? "🛩 " : "📷 ", parts.join(" · ")));
}

export function nearestCameras(lat, lon, count) {
  const here = L.latLng(lat, lon);
  return [...cameras.values()]
    .map((c) => ({ ...c, distance: here.distanceTo(c.latlng) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, count);
}

// A camera's picture in a small frame (for an alert's nearest cameras); a click opens it.
export function cameraThumb(ctx, camera) {
  const img = el("img", { class: "thumb", alt: camera.props.name, "data-camera": camera.props.code });
  const figure = el("figure", { class: "camera-thumb" }, img,
    el("figcaption", {}, `${camera.props.name} · ${Math.round(camera.distance)} m`));
  figure.addEventListener("click", () => showCamera(ctx, camera.props.code));
  load(img, camera.props.code, figure);
  return figure;
}

async function load(img, code, where) {
  try {
    img.src = await picture(`/api/v1/cameras/${encodeURIComponent(code)}/snapshot`);
  } catch (error) {
    img.remove();
    where.prepend(el("p", { class: "hint picture-error" }, error.message));
  }
}

export async function showCamera(ctx, code) {
  const { t } = ctx;
  stopLive();
  const entry = cameras.get(code);
  if (!entry) return;
  const p = entry.props;
  const img = el("img", { id: "camera-picture", alt: p.name });
  const frame = el("div", { class: "picture" }, img);
  const liveButton = el("button", { type: "button", id: "camera-live" }, t("page.map.camera_live"));
  liveButton.addEventListener("click", () => {
    if (liveButton.dataset.on) {
      stopLive();
      return;
    }
    liveButton.dataset.on = "1";
    liveButton.textContent = t("page.map.camera_stop");
    stopLive = live(img, code, () => {
      delete liveButton.dataset.on;
      liveButton.textContent = t("page.map.camera_live");
    }, frame);
  });
  ctx.show(
    el("h2", { id: "camera-name", "data-camera": code }, p.name),
    el("p", { class: "path" }, `${code} · ${p.grid ?? ""} · `,
      el("span", { "data-status": p.status }, ctx.word("camera_status", p.status)),
      p.status_reason ? ` · ${p.status_reason}` : ""),
    frame,
    el("p", {}, liveButton),
    p.ptz ? ptzPad(ctx, code) : null,
  );
  load(img, code, frame);
}

// The live view: the hub's multipart/x-mixed-replace stream parsed part by part (each with
// its Content-Length), every JPEG shown as it arrives. Returns what stops it.
function live(img, code, onEnd, where) {
  const controller = new AbortController();
  (async () => {
    try {
      const response = await fetch(`/api/v1/cameras/${encodeURIComponent(code)}/live`, {
        headers: { Authorization: `Bearer ${token()}` }, signal: controller.signal,
      });
      if (!response.ok) throw new Error((await response.json().catch(() => ({}))).detail ?? response.status);
      const reader = response.body.getReader();
      let buffer = new Uint8Array(0);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = concat(buffer, value);
        let part;
        while ((part = nextPart(buffer))) {
          buffer = buffer.slice(part.end);
          const previous = img.src;
          img.src = URL.createObjectURL(new Blob([part.jpeg], { type: "image/jpeg" }));
          img.dataset.frames = String(Number(img.dataset.frames ?? 0) + 1);
          if (previous.startsWith("blob:")) URL.revokeObjectURL(previous);
        }
      }
    } catch (error) {
      if (error.name !== "AbortError") where.append(el("p", { class: "hint picture-error" }, String(error.message)));
    }
    onEnd();
  })();
  return () => controller.abort();
}

const HEADER_END = [13, 10, 13, 10];

function nextPart(buffer) {
  const at = indexOf(buffer, HEADER_END);
  if (at < 0) return null;
  const headers = new TextDecoder().decode(buffer.slice(0, at));
  const length = Number(/content-length:\s*(\d+)/i.exec(headers)?.[1]);
  if (!length) return null;
  const start = at + HEADER_END.length;
  if (buffer.length < start + length) return null;
  return { jpeg: buffer.slice(start, start + length), end: start + length };
}

function indexOf(buffer, pattern) {
  outer: for (let i = 0; i + pattern.length <= buffer.length; i++) {
    for (let j = 0; j < pattern.length; j++) if (buffer[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a, b) {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

function ptzPad(ctx, code) {
  const moves = {
    up: [0, PTZ_SPEED, 0], down: [0, -PTZ_SPEED, 0], left: [-PTZ_SPEED, 0, 0],
    right: [PTZ_SPEED, 0, 0], zoom_in: [0, 0, PTZ_SPEED], zoom_out: [0, 0, -PTZ_SPEED],
  };
  const outcome = el("span", { role: "alert" });
  const path = `/api/v1/cameras/${encodeURIComponent(code)}/ptz`;
  const buttons = Object.entries(moves).map(([name, [pan, tilt, zoom]]) => {
    const button = el("button", { type: "button", "data-ptz": name }, ctx.t(`page.map.ptz.${name}`));
    button.addEventListener("click", async () => {
      try {
        outcome.textContent = "";
        await post(path, { action: "move", pan, tilt, zoom });
        setTimeout(() => post(path, { action: "stop" }).catch(() => {}), PTZ_PULSE_MS);
      } catch (error) {
        outcome.textContent = error.message;
      }
    });
    return button;
  });
  return el("div", { class: "ptz", id: "camera-ptz" }, buttons, outcome);
}
