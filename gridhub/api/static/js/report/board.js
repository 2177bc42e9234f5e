// The public board: every report's type, village, dates, state and the handler's reply;
// never who reported or the exact place.
import { el, language, loadWords, switchLanguage } from "./words.js";

const STATES = ["received", "dispatched", "in_progress", "done", "rejected"];

async function start() {
  const t = await loadWords();
  document.getElementById("language").addEventListener("click", switchLanguage);
  const [services, place] = await Promise.all([
    fetch(`/open311/v2/services.json?locale=${language()}`).then((r) => r.json()),
    fetch("/report/api/place").then((r) => r.json()),
  ]);
  fill("village", t("page.board.all_villages"), place.villages.map((v) => [v.code, v.name]));
  fill("service", t("page.board.all_types"), services.map((s) => [s.service_code, s.service_name]));
  fill("state", t("page.board.all_states"), STATES.map((s) => [s, t(`report.state.${s}`)]));
  for (const id of ["village", "service", "state"]) {
    document.getElementById(id).addEventListener("change", () => show(t));
  }
  await show(t);
  document.body.dataset.ready = "true";
}

function fill(id, all, options) {
  const select = document.getElementById(id);
  select.append(el("option", all, { value: "" }));
  for (const [value, label] of options) select.append(el("option", label, { value }));
}

async function show(t) {
  const params = new URLSearchParams({ locale: language(), limit: "200" });
  for (const [id, name] of [["village", "village"], ["service", "service_code"], ["state", "state"]]) {
    const value = document.getElementById(id).value;
    if (value) params.set(name, value);
  }
  const board = await (await fetch(`/report/api/board?${params}`)).json();
  document.getElementById("total").textContent = t("page.board.total", { count: board.total });
  const rows = board.items.map((item) => {
    const row = el("tr", "", { "data-request": item.service_request_id });
    row.append(
      el("td", item.service_name),
      el("td", item.village_name ?? ""),
      el("td", item.requested_datetime.slice(0, 10)),
      el("td", item.updated_datetime.slice(0, 10)),
      el("td", item.state_label, { class: `state-${item.state}` }),
      el("td", item.merged_into ? t("page.report.merged", { id: item.merged_into })
        : item.public_reply ?? ""),
    );
    return row;
  });
  document.querySelector("#board tbody").replaceChildren(...rows);
  if (!rows.length) document.getElementById("total").textContent = t("page.board.none");
}

start();
