// Thematic views of the grids, as the 雪亮工程 audits and the patrol rota ask: the share of
// cameras online (now, over 24 hours, over 7 days) per grid and village, and the grids nobody
// has patrolled today. Chosen in the map's corner; the village figures go to the panel.
import { get } from "./api.js";
import { el } from "./dom.js";

const SHARE_COLOURS = [[0.95, "#38a169"], [0.9, "#d69e2e"], [0.8, "#dd6b20"], [0, "#c53030"]];
const NO_CAMERA = "#cbd5e0";

export function addThemes(ctx, grids) {
  const { t } = ctx;
  const choice = el("select", { id: "theme", "aria-label": t("page.map.theme") },
    ["villages", "health_now", "health_24h", "health_7d", "unpatrolled"].map((name) =>
      el("option", { value: name }, t(`page.map.theme.${name}`))));
  const Control = L.Control.extend({
    onAdd() {
      const box = el("div", { class: "leaflet-bar theme-control" }, choice);
      L.DomEvent.disableClickPropagation(box);
      return box;
    },
  });
  new Control({ position: "topleft" }).addTo(ctx.map);
  choice.addEventListener("change", () => show(choice.value));

  async function show(name) {
    document.body.dataset.theme = name;
    if (name === "villages") return grids.setTheme(null);
    if (name === "unpatrolled") return unpatrolled();
    const window_ = name.replace("health_", "share_");
    const rows = await get("/api/v1/cameras/health");
    const byCode = new Map(rows.map((r) => [r.code, r]));
    grids.setTheme((feature) => {
      const share = byCode.get(feature.properties.code)?.[window_];
      return { fillColor: share == null ? NO_CAMERA : SHARE_COLOURS.find(([min]) => share >= min)[1], fillOpacity: 0.7 };
    });
    const pct = (v) => (v == null ? "–" : `${Math.round(v * 100)}%`);
    const villages = rows.filter((r) => r.level !== "grid");
    ctx.show(
      el("h2", {}, t(`page.map.theme.${name}`)),
      el("table", { id: "health-table" },
        el("thead", {}, el("tr", {}, ["", "page.map.health.cameras", "page.map.health.now",
          "page.map.health.24h", "page.map.health.7d"].map((k) => el("th", {}, k ? t(k) : "")))),
        el("tbody", {}, villages.map((r) => el("tr", { "data-region": r.code },
          el("td", {}, r.name), el("td", {}, `${r.online}/${r.cameras}`),
          el("td", {}, pct(r.share_now)), el("td", {}, pct(r.share_24h)), el("td", {}, pct(r.share_7d)))))),
    );
  }

  async function unpatrolled() {
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    const seen = new Set();
    const since = encodeURIComponent(midnight.toISOString());
    for (let offset = 0; ; offset += 1000) {  // every check-in today, a page at a time
      const page = await get(`/api/v1/checkins?limit=1000&offset=${offset}&since=${since}`);
      for (const c of page.items) if (c.grid) seen.add(c.grid);
      if (offset + 1000 >= page.total) break;
    }
    const missing = grids.layer.getLayers().map((l) => l.feature.properties.code).filter((c) => !seen.has(c));
    grids.setTheme((feature) => seen.has(feature.properties.code)
      ? { fillColor: "#38a169", fillOpacity: 0.25 }
      : { fillColor: "#c53030", fillOpacity: 0.65 });
    ctx.show(
      el("h2", {}, t("page.map.theme.unpatrolled")),
      el("p", {}, t("page.map.unpatrolled_count", { count: missing.length, total: missing.length + seen.size })),
      el("ul", { id: "unpatrolled" }, missing.map((code) => el("li", { "data-grid": code }, code))),
    );
  }
}
