// One alert in the detail panel: its place, Frigate's snapshot and clip of it, the timeline of
// its events, its deliveries, the cameras nearest to it with their pictures, and the actions the caller may take now
// (the hub says which: its role, its scope and the alert's state decide).
import { Refused, get, picture, post } from "./api.js";
import { el } from "./dom.js";
import { nearestCameras, cameraThumb } from "./cameras.js";

const NEAREST = 3;

const MAX_NAMED = 12;  // grids named in the panel; the rest are counted
let outline = null;  // the shown alert's area (an area warning's polygon) on the map

const REFRESH_MS = 500;  // live changes to the shown alert, coalesced into one redraw
let refresh = null;

// The shown alert changed (another operator acted, a member answered, it repeated): redraw
// it as it is now, keeping the note being typed.
export function alertChanged(ctx, alert) {
  // Not shown, or shown as it is (or newer: this page's own act may have redrawn it since).
  const stale = () => {
    const shown = document.getElementById("alert-title");
    return Number(shown?.dataset.alert) === alert.id
      && Date.parse(shown.dataset.updated) < Date.parse(alert.updated_at);
  };
  if (!stale()) return;
  clearTimeout(refresh);
  refresh = setTimeout(async () => {
    if (!stale()) return;
    const typed = document.querySelector("#alert-actions textarea")?.value ?? "";
    await showAlert(ctx, alert.id, ctx.t("page.map.changed_live"));
    const note = document.querySelector("#alert-actions textarea");
    if (note) note.value = typed;
  }, REFRESH_MS);
}

export async function showAlert(ctx, id, message = null) {
  const { t } = ctx;
  const alert = await get(`/api/v1/alerts/${id}`);
  outline?.remove();
  outline = alert.area ? L.geoJSON(alert.area, {
    className: "alert-area", color: ctx.colour(alert.severity), weight: 2, fillOpacity: 0.12,
    interactive: false,
  }).addTo(ctx.map) : null;
  const names = alert.grids.slice(0, MAX_NAMED).map((code) => ctx.gridName(code));
  const more = alert.grids.length > MAX_NAMED
    ? t("page.map.more_grids", { count: alert.grids.length - MAX_NAMED }) : "";
  const place = el("p", { class: "path", id: "alert-place" }, `${names.join("、")}${more} · `,
    el("button", { type: "button", class: "link", "data-place": "" }, t("page.map.show_place")));
  place.querySelector("[data-place]").addEventListener("click", () => {
    if (outline) ctx.map.flyToBounds(outline.getBounds(), { padding: [20, 20] });
    else if (alert.lat != null) ctx.map.flyTo([alert.lat, alert.lon], Math.max(ctx.map.getZoom(), 15));
  });

  const events = alert.events.map((e) => el("li", { "data-event": e.kind },
    el("span", { class: "when" }, ctx.time(e.at)), " ",
    el("strong", {}, e.actor === "system" ? t("page.map.system") : e.actor), " ",
    e.from_status || e.to_status
      ? `${ctx.word("status", e.from_status ?? "")} → ${ctx.word("status", e.to_status ?? "")}`
      : ctx.word("event", e.kind),
    e.channel ? el("span", { class: "channel" }, ` (${e.channel})`) : null,
    e.note ? el("div", { class: "note" }, e.note) : null));
  const deliveries = alert.deliveries.map((d) => el("li", {
    "data-delivery": d.member_code ?? d.channel, "data-state": d.acked_at ? "acknowledged" : d.status,
  },
    el("strong", {}, d.member_code ?? d.target), " ",
    d.role ? `${ctx.word("role", d.role)} · ` : "",
    `${d.channel} · `,
    el("span", { class: "state" }, d.acked_at
      ? t("page.map.delivery_acked", { time: ctx.time(d.acked_at) })
      : ctx.word("delivery", d.status))));

  const cameras = el("div", { class: "thumbs" });
  const outcome = el("p", { id: "action-outcome", role: "alert" }, message ?? "");
  ctx.show(
    el("h2", { id: "alert-title", "data-alert": alert.id, "data-updated": alert.updated_at,
      class: `severity-${alert.severity}` },
      ctx.title(alert)),
    el("p", { class: "badges" },
      el("span", { class: `badge severity-${alert.severity}` }, ctx.word("severity", alert.severity)), " ",
      el("span", { class: "badge", id: "alert-status", "data-status": alert.status },
        ctx.word("status", alert.status)), " ",
      el("span", { class: "hint" }, `${ctx.word("kind", alert.kind)} · #${alert.id} · `
        + `${ctx.time(alert.opened_at)}${alert.count > 1 ? ` · ×${alert.count}` : ""}`)),
    alert.detail ? el("p", { class: "note" }, alert.detail) : null,
    place,
    actions(ctx, alert, outcome),
    outcome,
    frigateMedia(ctx, alert),
    el("h3", {}, t("page.map.timeline")),
    el("ol", { id: "alert-events", class: "timeline" }, events),
    el("h3", {}, t("page.map.deliveries")),
    el("ul", { id: "alert-deliveries" },
      deliveries.length ? deliveries : el("li", { class: "hint" }, t("page.map.none"))),
    el("h3", {}, t("page.map.nearest_cameras")),
    cameras,
  );
  if (alert.lat != null) {
    const near = nearestCameras(alert.lat, alert.lon, NEAREST);
    cameras.replaceChildren(...(near.length
      ? near.map((camera) => cameraThumb(ctx, camera))
      : [el("p", { class: "hint" }, t("page.map.none"))]));
  }
}

// Frigate's snapshot and clip, when the hub has them: both sit behind the bearer token, so
// the snapshot is fetched into an object URL and the clip only once it is asked for.
function frigateMedia(ctx, alert) {
  const { t } = ctx;
  const { snapshot, clip } = alert.links ?? {};
  if (!snapshot && !clip) return null;
  const box = el("div", { id: "frigate-media" }, el("h3", {}, t("page.map.frigate")));
  const failed = (error) => el("p", { class: "hint picture-error" }, error.message);
  if (snapshot) {
    const img = el("img", { id: "frigate-snapshot", class: "picture", alt: t("page.map.frigate_snapshot") });
    box.append(img);
    picture(snapshot).then((url) => { img.src = url; }, (error) => img.replaceWith(failed(error)));
  }
  if (clip) {
    const button = el("button", { type: "button", id: "frigate-clip" }, t("page.map.frigate_clip"));
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const link = el("a", { id: "frigate-clip-file", href: await picture(clip),
          download: `alert-${alert.id}.mp4` }, t("page.map.frigate_clip_save"));
        button.replaceWith(link);
        link.click();
      } catch (error) {
        button.replaceWith(failed(error));
      }
    });
    box.append(el("p", {}, button));
  }
  return box;
}

function actions(ctx, alert, outcome) {
  const { t } = ctx;
  if (!alert.actions.length) return el("p", { class: "hint", id: "no-actions" }, t("page.map.no_actions"));
  const note = el("textarea", { name: "note", rows: "2", maxlength: "4000", placeholder: t("page.map.note") });
  const assignee = el("select", { name: "assignee", hidden: true });
  const buttons = alert.actions.map((action) => {
    const button = el("button", { type: "button", "data-action": action, class: `action-${action}` },
      t(`page.map.action.${action}`));
    button.addEventListener("click", () => run(action, button));
    return button;
  });
  if (alert.actions.includes("assign")) fillAssignees(ctx, alert, assignee);

  async function run(action, button) {
    if (action === "assign" && assignee.hidden) {
      assignee.hidden = false;  // first click: choose whom; second: send
      button.textContent = t("page.map.assign_send");
      return;
    }
    const body = { note: note.value.trim() || null };
    if (action === "assign") body.assignee = assignee.value;
    for (const b of buttons) b.disabled = true;
    try {
      await post(`/api/v1/alerts/${alert.id}/${action}`, body);
      await showAlert(ctx, alert.id, t("page.map.action_done", { action: t(`page.map.action.${action}`) }));
    } catch (error) {
      if (error instanceof Refused && error.status === 409) {
        // Someone else acted first: say so plainly and show the alert as it is now.
        await showAlert(ctx, alert.id, t("page.map.conflict",
          { status: ctx.word("status", error.detail?.status) }));
      } else {
        outcome.textContent = error.message;
        for (const b of buttons) b.disabled = false;
      }
    }
  }
  return el("div", { class: "actions", id: "alert-actions" }, note, assignee, el("div", {}, buttons));
}

async function fillAssignees(ctx, alert, select) {
  const grid = alert.grid ?? alert.grids[0];
  if (!grid) return;
  const detail = await get(`/api/v1/grids/${encodeURIComponent(grid)}`);
  select.replaceChildren(...detail.members.map((m) => el("option", { value: m.member_code },
    `${ctx.word("role", m.role)} ${m.name}${m.on_duty ? ` · ${ctx.t("page.map.on_duty")}` : ` · ${ctx.t("page.map.off_duty")}`}`)));
}
