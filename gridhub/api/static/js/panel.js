// The side panel: a grid and everyone responsible for it, in escalation order.
import { get } from "./api.js";

const ROLES = {
  grid_worker: "网格员", grid_leader: "网格长", village_cadre: "村干部",
  town_operator: "镇指挥中心", police: "民警", legal_adviser: "法律顾问",
};

const escape = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function showGrid(panel, code, village) {
  panel.innerHTML = `<p class="hint">Loading ${escape(code)}…</p>`;
  const grid = await get(`/api/v1/grids/${encodeURIComponent(code)}`);
  const people = grid.members.map((m) => `
    <li class="${m.on_duty ? "" : "off"}" data-member="${escape(m.member_code)}">
      <span class="role">${escape(ROLES[m.role] ?? m.role)}</span>
      <strong>${escape(m.name)}</strong> ${escape(m.phone ?? "")}
      ${m.on_duty ? "" : "<em>(off duty)</em>"}
    </li>`).join("");
  panel.innerHTML = `
    <h2 id="grid-name">${escape(grid.properties.name)}</h2>
    <p class="path">${escape(village)} · ${escape(code)}</p>
    <h3>Responsible, in escalation order</h3>
    <ol id="grid-members">${people || "<li>nobody assigned</li>"}</ol>`;
}
