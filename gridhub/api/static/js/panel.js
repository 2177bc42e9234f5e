// The side panel: a grid and everyone responsible for it, in escalation order.
import { get } from "./api.js";
import { el } from "./dom.js";

const ROLES = {
  grid_worker: "网格员", grid_leader: "网格长", village_cadre: "村干部",
  town_operator: "镇指挥中心", police: "民警", legal_adviser: "法律顾问",
};

export async function showGrid(panel, code, village) {
  panel.replaceChildren(el("p", { class: "hint" }, `Loading ${code}…`));
  const grid = await get(`/api/v1/grids/${encodeURIComponent(code)}`);
  const people = grid.members.map((m) => el(
    "li", { class: m.on_duty ? null : "off", "data-member": m.member_code },
    el("span", { class: "role" }, ROLES[m.role] ?? m.role), " ",
    el("strong", {}, m.name), " ", m.phone ?? "",
    m.on_duty ? null : [" ", el("em", {}, "(off duty)")],
  ));
  panel.replaceChildren(
    el("h2", { id: "grid-name" }, grid.properties.name),
    el("p", { class: "path" }, `${village} · ${code}`),
    el("h3", {}, "Responsible, in escalation order"),
    el("ol", { id: "grid-members" }, people.length ? people : el("li", {}, "nobody assigned")),
  );
}
