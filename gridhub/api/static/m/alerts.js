// My alerts and the area warnings addressed to me, newest first, each answered from here:
// an alert with I have it, I am on it, done, with a note; a warning with read and confirmed
// (its receipt, kept in the outbox first so that an answer made with no signal goes once the
// network returns). New ones arrive on the live stream and vibrate the phone where the
// browser allows it.
import { get, token } from "/static/js/api.js";
import { el } from "/static/js/dom.js";
import * as outbox from "./outbox.js";

const ANSWERS = ["acknowledged", "in_progress", "resolved"];
const OPEN = new Set(["new", "dispatched", "acknowledged", "in_progress"]);
const NEXT = {  // which answers make sense in each state (the hub decides; 409 otherwise)
  new: ANSWERS, dispatched: ANSWERS, acknowledged: ["in_progress", "resolved"],
  in_progress: ["resolved"],
};
const BUZZ = [300, 100, 300];
const RECEIPT_ANSWERS = ["read", "confirmed"];

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
    this.last = alerts;
    await this.redrawQueued();
  }

  draw(alerts) {
    const warnings = alerts.filter((a) => a.source_type === "area_warning");
    const others = alerts.filter((a) => a.source_type !== "area_warning");
    document.getElementById("warnings").replaceChildren(...(warnings.length
      ? warnings.map((w) => this.warning(w)) : [this.none()]));
    document.getElementById("alerts").replaceChildren(...this.items(others));
  }

  none() {
    return el("li", { class: "empty" }, this.t("page.phone.none"));
  }

  // A warning as I was told it (headline, instruction, until when, my grids in it) and my
  // receipt; what waits in the outbox counts as said, shown as waiting to be sent.
  warning(alert) {
    const w = alert.warning;
    const queued = this.queued[alert.id];
    const state = w ? outbox.RECEIPT_STATES[Math.max(outbox.reaches(w.state),
      queued ? outbox.reaches(queued) : -1)] : null;
    const open = OPEN.has(alert.status) && w && !w.released;
    const buttons = open ? RECEIPT_ANSWERS.filter((a) => outbox.reaches(a) > outbox.reaches(state))
      .map((answer) => {
        const button = el("button", { type: "button", "data-receipt": answer },
          this.t(`page.phone.receipt.${answer}`));
        button.addEventListener("click", () => this.confirm(alert.id, answer, button));
        return button;
      }) : [];
    const meta = [new Date(alert.opened_at).toLocaleString(), this.t(`status.${alert.status}`)];
    if (w?.valid_until) meta.push(this.t("page.flood.valid_until", { time: new Date(w.valid_until).toLocaleString() }));
    const said = !w ? null : w.released ? this.t("page.phone.released")
      : `${this.t("page.phone.my_receipt")}: ${this.t(`receipt.${state}`)}`
        + (queued && outbox.reaches(queued) > outbox.reaches(w.state) ? ` · ${this.t("page.phone.receipt_waiting")}` : "");
    return el("li", { "data-alert": alert.id, "data-receipt-state": state ?? "",
      class: `severity-${alert.severity}` },
    el("strong", { class: "headline" }, w?.headline || alert.title),  // text, as the issuer wrote it
    w?.instruction ? el("span", { class: "instruction" }, w.instruction) : null,
    w?.grids.length ? el("span", { class: "grids" },
      `${this.t("page.phone.my_grids")}: ${w.grids.map((g) => g.name).join("、")}`) : null,
    el("span", { class: "meta" }, meta.join(" · ")),
    said ? el("span", { class: "receipt" }, said) : null,
    buttons.length ? el("div", { class: "answers" }, ...buttons) : null);
  }

  // Kept first, then sent with whatever else waits: with no signal it goes later, once.
  async confirm(id, answer, button) {
    button.disabled = true;
    await outbox.keepReceipt(id, answer);
    await this.redrawQueued();
    await this.onAnswer();
  }

  // The list as last read, with the answers waiting in the outbox (no network needed).
  async redrawQueued() {
    const queued = await outbox.waitingReceipts().catch(() => []);
    this.queued = Object.fromEntries(queued.map((r) => [r.warning_id, r.status]));
    if (this.last) this.draw(this.last);
  }

  // Replaced by the app: send what waits.
  async onAnswer() {}

  items(alerts) {
    if (!alerts.length) return [this.none()];
    return alerts.map((alert) => {
      const note = el("input", { placeholder: this.t("page.phone.note"), maxlength: "4000" });
      const allowed = NEXT[alert.status] ?? [];
      const buttons = allowed.map((answer) => {
        const button = el("button", { type: "button", "data-answer": answer },
          this.t(`page.phone.answer.${answer}`));
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
