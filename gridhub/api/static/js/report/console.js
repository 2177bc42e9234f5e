// The console's reports: the operator's queue with one-click 派单 (to a member of the
// report's grid, or to a unit) and 不予受理, and the monthly figures as charts and CSV.
import { get, signInForm, token } from "../api.js";
import { el, language, loadWords, switchLanguage } from "./words.js";

let t = (key) => key;

async function send(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error((await response.json()).detail);
  return response.json();
}

async function showQueue() {
  const [queue, units] = await Promise.all([
    get(`/api/v1/reports?queue=true&locale=${language()}`),
    get(`/api/v1/reports/units?locale=${language()}`),
  ]);
  const list = document.getElementById("queue");
  list.replaceChildren();
  if (!queue.items.length) list.append(el("li", t("page.console.empty_queue")));
  for (const report of queue.items) list.append(await queueItem(report, units));
}

async function queueItem(report, units) {
  const item = el("li", "", { "data-report": String(report.id) });
  item.append(
    el("strong", `#${report.id} ${report.service_name} · ${report.village_name ?? ""} · ${report.grid}`),
    el("p", report.description),
  );
  const grid = await get(`/api/v1/grids/${report.grid}`);
  const who = el("select", "", { class: "dispatch-to" });
  for (const person of grid.members) {
    who.append(el("option", `${t("page.console.to_member")}: ${person.name} (${t(`role.${person.role}`)})`,
      { value: `member:${person.member_code}` }));
  }
  for (const unit of units) {
    who.append(el("option", `${t("page.console.to_unit")}: ${unit.name}`, { value: `unit:${unit.code}` }));
  }
  const dispatch = el("button", t("page.console.dispatch"), { type: "button", class: "dispatch" });
  const outcome = el("span", "", { role: "alert" });
  dispatch.addEventListener("click", async () => {
    const [kind, code] = who.value.split(":");
    try {
      await send(`/api/v1/reports/${report.id}/dispatch`, { [kind]: code });
      item.remove();
    } catch (error) { outcome.textContent = error.message; }
  });
  const reason = el("input", "", { placeholder: t("page.console.reason"), class: "reason" });
  const reject = el("button", t("page.console.reject"), { type: "button" });
  reject.addEventListener("click", async () => {
    try {
      await send(`/api/v1/reports/${report.id}/reject`, { reason: reason.value });
      item.remove();
    } catch (error) { outcome.textContent = error.message; }
  });
  item.append(who, dispatch, reason, reject, outcome);
  return item;
}

async function showFigures() {
  const rows = await get(`/api/v1/reports/figures?locale=${language()}`);
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const types = [...new Set(rows.map((r) => r.service_name))];
  const colours = ["#2b6cb0", "#dd6b20", "#2f855a", "#c53030", "#6b46c1", "#d69e2e", "#319795", "#718096"];
  new Chart(document.getElementById("counts-chart"), {
    type: "bar",
    data: {
      labels: months,
      datasets: types.map((name, i) => ({
        label: name, backgroundColor: colours[i % colours.length],
        data: months.map((m) => rows.filter((r) => r.month === m && r.service_name === name)
          .reduce((sum, r) => sum + r.reports, 0)),
      })),
    },
    options: { plugins: { title: { display: true, text: t("page.console.count") } },
      scales: { x: { stacked: true }, y: { stacked: true } } },
  });
  const villages = [...new Set(rows.map((r) => r.village_name ?? r.village))];
  const share = (rs) => {
    const rated = rs.reduce((s, r) => s + r.rated, 0);
    const satisfied = rs.reduce((s, r) => s + (r.satisfied_share ?? 0) * r.rated, 0);
    return rated ? Math.round((100 * satisfied) / rated) : null;
  };
  new Chart(document.getElementById("satisfied-chart"), {
    type: "bar",
    data: { labels: villages, datasets: [{ label: `${t("page.console.satisfied")} %`,
      backgroundColor: "#2f855a",
      data: villages.map((v) => share(rows.filter((r) => (r.village_name ?? r.village) === v))) }] },
    options: { scales: { y: { min: 0, max: 100 } } },
  });
  window.gridhub = { figures: rows };
}

async function downloadCsv() {
  const response = await fetch("/api/v1/reports/figures.csv",
    { headers: { Authorization: `Bearer ${token()}` } });
  const link = el("a", "", { href: URL.createObjectURL(await response.blob()),
    download: "report-figures.csv" });
  link.click();
}

async function start() {
  t = await loadWords();
  document.getElementById("language").addEventListener("click", switchLanguage);
  document.getElementById("csv").addEventListener("click", downloadCsv);
  const form = signInForm();
  if (!token()) {
    form.hidden = false;
    return;
  }
  document.getElementById("queue-section").hidden = false;
  document.getElementById("figures-section").hidden = false;
  await Promise.all([showQueue(), showFigures()]);
  document.body.dataset.ready = "true";
}

start().catch(() => { document.getElementById("sign-in").hidden = false; });
