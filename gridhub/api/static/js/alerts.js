// Open alerts: ringed on the map in their severity's colour and listed beside it, with
// filters (severity, status, kind, village, a search); a new red or orange one raises a
// banner, a tone (unless muted) and pans the map to it. A click opens its detail.
import { get } from "./api.js";
import { el, text } from "./dom.js";
import { alertChanged, showAlert } from "./alert.js";

const MUTED_KEY = "gridhub.muted";
const LOUD_FROM = "orange";  // this severity and above ask for attention
const BANNER_S = 20;

export async function loadAlerts(ctx, root, villages) {
  const { t } = ctx;
  const alerts = new Map();  // id → {alert, marker}
  const layer = L.layerGroup().addTo(ctx.map);
  const filters = {
    severity: select("severity", t("page.map.all_severities"),
      ctx.meta.severities.map((s) => [s.name, ctx.word("severity", s.name)]).reverse()),
    status: select("status", t("page.map.all_open"),
      ctx.meta.alert_states.filter((s) => s.open).map((s) => [s.name, ctx.word("status", s.name)])),
    kind: select("kind", t("page.map.all_kinds"), []),
    village: select("village", t("page.map.all_villages"),
      [...villages].map(([code, name]) => [code, name])),
    search: el("input", { type: "search", name: "search", placeholder: t("page.map.search") }),
  };
  const heading = el("h3", {});
  const list = el("ul", { id: "alert-list" });
  root.replaceChildren(heading, el("div", { class: "filters" }, Object.values(filters)), list);
  for (const input of Object.values(filters)) input.addEventListener("input", render);

  function select(name, all, options) {
    return el("select", { name, "aria-label": all },
      el("option", { value: "" }, all), options.map(([value, label]) => el("option", { value }, label)));
  }

  function matches(alert) {
    const f = Object.fromEntries(Object.entries(filters).map(([k, input]) => [k, input.value]));
    if (f.severity && alert.severity !== f.severity) return false;
    if (f.status && alert.status !== f.status) return false;
    if (f.kind && alert.kind !== f.kind) return false;
    if (f.village && !(alert.region_path ?? "").includes(`/${f.village}/`)) return false;
    const query = f.search.trim().toLowerCase();
    if (query) {
      const haystack = [ctx.title(alert), alert.title, alert.grid, alert.source_id, ...alert.grids]
        .join(" ").toLowerCase();
      if (!haystack.includes(query)) return false;
    }
    return true;
  }

  // Where an alert is, as people call it: the grid's name, or how many grids an area covers.
  function placeOf(alert) {
    if (alert.grids.length > 1) return t("page.map.grids_count", { count: alert.grids.length });
    return ctx.gridName(alert.grid ?? alert.grids[0] ?? "");
  }

  function render() {
    const open = [...alerts.values()].map((a) => a.alert);
    const kinds = [...new Set(open.map((a) => a.kind))].sort();
    const chosen = filters.kind.value;
    filters.kind.replaceChildren(el("option", { value: "" }, t("page.map.all_kinds")),
      kinds.map((k) => el("option", { value: k }, ctx.word("kind", k))));
    filters.kind.value = kinds.includes(chosen) ? chosen : "";
    const shown = open.filter(matches).sort((a, b) =>
      ctx.rank(b.severity) - ctx.rank(a.severity) || b.id - a.id);
    heading.textContent = t("page.map.open_alerts", { count: shown.length, total: open.length });
    const items = shown.map((a) => el("li", {
      "data-alert": a.id, "data-status": a.status, class: `severity-${a.severity}`, tabindex: "0",
    },
      el("strong", {}, ctx.title(a)), " ",
      el("span", { class: "path" },
        `${ctx.word("severity", a.severity)} · ${ctx.word("status", a.status)} · `
        + `${placeOf(a)} · ${ctx.time(a.opened_at)}`)));
    for (const item of items) {
      item.addEventListener("click", () => open_(Number(item.dataset.alert)));
      item.addEventListener("keydown", (e) => e.key === "Enter" && open_(Number(item.dataset.alert)));
    }
    list.replaceChildren(...(items.length ? items : [el("li", { class: "hint" }, t("page.map.none"))]));
  }

  function open_(id) {
    const entry = alerts.get(id);
    if (entry?.alert.lat != null) ctx.map.panTo([entry.alert.lat, entry.alert.lon]);
    showAlert(ctx, id);
  }

  function put(alert) {
    const old = alerts.get(alert.id);
    if (old) layer.removeLayer(old.marker);
    if (!ctx.isOpen(alert.status)) {
      alerts.delete(alert.id);
      return;
    }
    const colour = ctx.colour(alert.severity);
    const marker = alert.lat == null ? L.layerGroup() : L.circleMarker([alert.lat, alert.lon], { renderer: ctx.renderer,
      className: `alert-marker severity-${alert.severity}`, radius: 10, weight: 3,
      color: colour, fillColor: colour, fillOpacity: 0.35,
    }).bindTooltip(text(ctx.title(alert), " · ", ctx.word("status", alert.status)));
    marker.on?.("click", () => showAlert(ctx, alert.id));
    alerts.set(alert.id, { alert, marker: marker.addTo(layer) });
  }

  const banner = document.getElementById("banner");
  const mute = document.getElementById("mute");
  const muted = () => localStorage.getItem(MUTED_KEY) === "1";
  const showMute = () => { mute.textContent = t(muted() ? "page.map.unmute" : "page.map.mute"); };
  mute.addEventListener("click", () => {
    localStorage.setItem(MUTED_KEY, muted() ? "0" : "1");
    showMute();
  });
  showMute();
  let bannerTimer = null;

  function attention(alert) {
    if (ctx.rank(alert.severity) < ctx.rank(LOUD_FROM)) return;
    banner.replaceChildren(
      el("strong", {}, `${ctx.word("severity", alert.severity)} · ${ctx.title(alert)}`), " ",
      el("span", {}, placeOf(alert)));
    banner.className = `severity-${alert.severity}`;
    banner.dataset.alert = alert.id;
    banner.hidden = false;
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(() => { banner.hidden = true; }, BANNER_S * 1000);
    if (alert.lat != null) ctx.map.panTo([alert.lat, alert.lon]);
    if (!muted()) tone(alert.severity === "red" ? 880 : 660);
  }
  banner.addEventListener("click", () => {
    banner.hidden = true;
    if (banner.dataset.alert) showAlert(ctx, Number(banner.dataset.alert));
  });

  const open = await get("/api/v1/alerts?status=open&limit=500");
  for (const alert of open.items) put(alert);
  render();
  ctx.on((type, data) => {
    if (!type.startsWith("alert.")) return;
    put(data.after);
    render();
    alertChanged(ctx, data.after);
    if (type === "alert.new") attention(data.after);
    document.dispatchEvent(new CustomEvent("gridhub:alert", { detail: data.after }));
  });
  return { alerts, layer };
}

// A short tone from the Web Audio API: no sound file to ship, nothing fetched.
let audio = null;
function tone(frequency) {
  try {
    audio ??= new AudioContext();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.6);
  } catch (error) {
    console.warn("no sound:", error.message);
  }
}
