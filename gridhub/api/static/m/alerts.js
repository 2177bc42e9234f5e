// My alerts and the area warnings addressed to me, newest first, each answered from here:
// I have it, I am on it, done, with a note. New ones arrive on the live stream and vibrate
// the phone where the browser allows it.
import { get, token } from "/static/js/api.js";
import { el } from "/static/js/dom.js";

const ANSWERS = ["acknowledged", "in_progress", "resolved"];
const OPEN = new Set(["new", "dispatched", "acknowledged", "in_progress"]);
const NEXT = {  // which answers make sense in each state (the hub decides; 409 otherwise)
  new: ANSWERS, dispatched: ANSWERS, acknowledged: ["in_progress", "resolved"],
  in_progress: ["resolved"],
};
const BUZZ = [300, 100, 300];

export class Alerts {
  constructor(t) {
    this.t = t;
    this.known = null;  // ids seen so far; null until the first list
  }

  async refresh() {
    const alerts = await get("/api/v1/me/alerts");
    const fresh = this.known && alerts.some((a) => !this.known.has(a.id) && OPEN.has(a.status));
    if (fresh && navigator.vibrate) navigator.vibrate(BUZZ);
    this.known = new Set(alerts.map((a) => a.id));
    const warnings = alerts.filter((a) => a.source_type === "area_warning");
    const others = alerts.filter((a) => a.source_type !== "area_warning");
    document.getElementById("warnings").replaceChildren(...this.items(warnings, true));
    document.getElementById("alerts").replaceChildren(...this.items(others, false));
  }

  items(alerts, warning) {
    if (!alerts.length) return [el("li", { class: "empty" }, this.t("page.phone.none"))];
    return alerts.map((alert) => {
      const note = el("input", { placeholder: this.t("page.phone.note"), maxlength: "4000" });
      const allowed = warning ? (alert.received_at ? [] : ["acknowledged"]) : NEXT[alert.status] ?? [];
      const buttons = allowed.map((answer) => {
        const button = el("button", { type: "button", "data-answer": answer },
          this.t(warning ? "page.phone.received" : `page.phone.answer.${answer}`));
        button.addEventListener("click", () => this.answer(alert.id, answer, note.value, button));
        return button;
      });
      const status = this.t(`status.${alert.status}`);
      const meta = [new Date(alert.opened_at).toLocaleString(), alert.grid ?? "", status];
      if (alert.received_at) meta.push(this.t("page.phone.have_it"));
      return el("li", { "data-alert": alert.id, class: `severity-${alert.severity}` },
        el("strong", {}, alert.title),  // in the hub's language, as members receive it
        alert.detail ? el("span", { class: "detail" }, ` ${alert.detail}`) : null,
        el("span", { class: "meta" }, meta.filter(Boolean).join(" · ")),
        buttons.length ? el("div", { class: "answers" }, note, ...buttons) : null);
    });
  }

  async answer(id, answer, note, button) {
    button.disabled = true;
    const response = await fetch(`/api/v1/me/alerts/${id}/${answer}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token()}` },
      body: JSON.stringify(note.trim() ? { note: note.trim() } : {}),
    }).catch(() => null);
    const outcome = document.getElementById("outcome");
    if (!response) outcome.textContent = this.t("page.phone.answer_offline");
    else if (!response.ok) outcome.textContent = this.t("page.phone.answer_failed", { status: response.status });
    await this.refresh().catch(() => undefined);
  }
}
