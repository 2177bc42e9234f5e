// The grids layer: one polygon per grid, coloured by village, named on hover, clickable.
import { get } from "./api.js";
import { text } from "./dom.js";

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                 "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#8cd17d"];

// Beyond this many grids shapes and markers are drawn on one canvas instead of an SVG
// element each: a county's thousands of grids then pan smoothly (the demo town stays SVG).
const CANVAS_FROM = 1000;

export async function loadGrids(map, onSelect) {
  const [grids, regions] = await Promise.all([
    get("/api/v1/grids"),
    get("/api/v1/regions?level=village&limit=1000"),
  ]);
  const names = new Map(regions.items.map((v) => [v.code, v.name]));
  const parents = [...new Set(grids.features.map((f) => f.properties.parent))].sort();
  const colour = (parent) => PALETTE[parents.indexOf(parent) % PALETTE.length];
  const base = (feature) => ({
    className: "grid-shape", color: "#ffffff", weight: 1.2, opacity: 1,
    fillColor: colour(feature.properties.parent), fillOpacity: 0.45,
  });
  let selected = null;
  const renderer = grids.features.length >= CANVAS_FROM ? L.canvas({ padding: 0.1 }) : L.svg();
  const layer = L.geoJSON(grids, {
    renderer,
    style: base,
    onEachFeature(feature, shape) {
      const p = feature.properties;
      shape.bindTooltip(text(p.name, " · ", p.code), { sticky: true, className: "grid-label" });
      shape.on("mouseover", () => shape.setStyle({ weight: 3, fillOpacity: 0.65 }));
      shape.on("mouseout", () => shape !== selected && layer.resetStyle(shape));
      shape.on("click", () => {
        if (selected) layer.resetStyle(selected);
        selected = shape;
        shape.setStyle({ weight: 3, color: "#16324f", fillOpacity: 0.7 });
        onSelect(p.code, names.get(p.parent) ?? p.parent);
      });
    },
  }).addTo(map);
  villageLabels(grids, names).addTo(map);
  const villages = new Map(parents.map((code) => [code, names.get(code) ?? code]));
  // A theme recolours the grids (camera health, patrol today); null goes back to villages.
  function setTheme(theme) {
    layer.options.style = theme ? (f) => ({ ...base(f), ...theme(f) }) : base;
    layer.resetStyle();
    if (selected) selected.setStyle({ weight: 3, color: "#16324f" });
  }
  return { layer, villages, renderer, setTheme };
}

function villageLabels(grids, names) {
  const byVillage = new Map();
  for (const feature of grids.features) {
    const bounds = L.geoJSON(feature).getBounds();
    const parent = feature.properties.parent;
    byVillage.set(parent, (byVillage.get(parent) ?? L.latLngBounds([])).extend(bounds));
  }
  const labels = L.layerGroup();
  for (const [code, bounds] of byVillage) {
    const label = L.tooltip({ permanent: true, direction: "center", className: "village-label" })
      .setLatLng(bounds.getCenter()).setContent(text(names.get(code) ?? code));
    labels.addLayer(label);
  }
  return labels;
}
