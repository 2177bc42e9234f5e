// A grid's panel: everyone responsible in escalation order (who is on duty now), its
// cameras and sensors, its open alerts, and today's patrol check-ins.
import { get } from "./api.js";
import { el } from "./dom.js";
import { showAlert } from "./alert.js";
import { showCamera } from "./cameras.js";

export async function showGrid(ctx, layers, code, village) {
  const { t } = ctx;
  ctx.show(el("p", { class: "hint" }, t("page.map.loading", { what: code })));
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const [grid, patrol] = await Promise.all([
    get(`/api/v1/grids/${encodeURIComponent(code)}`),
    get(`/api/v1/checkins?grid=${encodeURIComponent(code)}&limit=200`
      + `&since=${encodeURIComponent(midnight.toISOString())}`),
  ]);
  const people = grid.members.map((m) => el(
    "li", { class: m.on_duty ? null : "off", "data-member": m.member_code },
    el("span", { class: "role" }, ctx.word("role", m.role)), " ",
    el("strong", {}, m.name), " ", m.phone ?? "",
    m.on_duty ? null : [" ", el("em", {}, t("page.map.off_duty"))],
  ));
  const cameras = [...layers.cameras.cameras.values()].filter((c) => c.props.grid === code)
    .map((c) => {
      const item = el("li", { "data-camera": c.props.code, class: "clickable" },
        `📷 ${c.props.name} · ${ctx.word("camera_status", c.props.status)}`);
      item.addEventListener("click", () => showCamera(ctx, c.props.code));
      return item;
    });
  const sensors = [...layers.sensors.sensors.values()].filter((s) => s.sensor.grid === code)
    .map((s) => el("li", { "data-sensor": s.sensor.code },
      `${s.sensor.name} · ${s.sensor.last_value ?? "–"} ${s.sensor.unit ?? ""}`,
      s.sensor.level ? ` · ${ctx.word("severity", s.sensor.level)}` : ""));
  const alerts = [...layers.alerts.alerts.values()].map((a) => a.alert)
    .filter((a) => a.grid === code || a.grids.includes(code))
    .map((a) => {
      const item = el("li", { "data-alert": a.id, class: `clickable severity-${a.severity}` },
        `${ctx.title(a)} · ${ctx.word("status", a.status)}`);
      item.addEventListener("click", () => showAlert(ctx, a.id));
      return item;
    });
  const visits = patrol.items.map((c) => el("li", { "data-checkin": c.id },
    el("span", { class: "when" }, ctx.time(c.ts)), " ", el("strong", {}, c.worker), " ",
    ctx.word("checkin", c.kind), c.checkpoint_id ? ` · ${c.checkpoint_id}` : ""));
  const none = () => el("li", { class: "hint" }, t("page.map.none"));
  ctx.show(
    el("h2", { id: "grid-name" }, grid.properties.name),
    el("p", { class: "path" }, `${village} · ${code}`),
    el("h3", {}, t("page.map.responsible")),
    el("ol", { id: "grid-members" }, people.length ? people : el("li", {}, t("page.map.nobody"))),
    el("h3", {}, t("page.map.grid_alerts")),
    el("ul", { id: "grid-alerts" }, alerts.length ? alerts : none()),
    el("h3", {}, t("page.map.grid_cameras")),
    el("ul", { id: "grid-cameras" }, cameras.length ? cameras : none()),
    el("h3", {}, t("page.map.grid_sensors")),
    el("ul", { id: "grid-sensors" }, sensors.length ? sensors : none()),
    el("h3", {}, t("page.map.patrol_today", { count: patrol.total })),
    el("ol", { id: "grid-patrol", class: "timeline" }, visits.length ? visits : el("li", { class: "hint" }, t("page.map.not_patrolled"))),
  );
}
