// Following one's own report by its tracking code: its state, timeline, replies, photos,
// and rating it once it is done.
import { el, language } from "./words.js";

const RATINGS = ["satisfied", "fair", "dissatisfied"];

export async function showReport(t, token) {
  const found = document.getElementById("found");
  const response = await fetch("/report/api/lookup", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token, locale: language() }),
  });
  found.replaceChildren();
  if (!response.ok) {
    found.append(el("p", t("page.report.not_found"), { role: "alert" }));
    return;
  }
  render(t, found, token, await response.json());
}

function render(t, found, token, report) {
  found.replaceChildren(
    el("h3", `#${report.service_request_id} ${report.service_name} · ${report.village_name ?? ""}`),
    el("p", report.state_label, { class: `state-${report.state}`, id: "found-state" }),
    el("p", report.description),
  );
  if (report.merged_into) found.append(el("p", t("page.report.merged", { id: report.merged_into })));
  for (const link of report.photos) found.append(el("img", "", { src: link, class: "photo", alt: "" }));
  const timeline = el("ol", "", { class: "timeline" });
  for (const step of report.timeline) {
    const item = el("li", `${step.at.slice(0, 16).replace("T", " ")} ${step.state_label}`);
    if (step.note) item.append(el("div", step.note, { class: "note" }));
    timeline.append(item);
  }
  found.append(timeline);
  if (report.rating) {
    found.append(el("p", t("page.report.rated", { rating: t(`report.rating.${report.rating}`) })));
  }
  if (report.can_rate) found.append(ratingForm(t, found, token));
}

function ratingForm(t, found, token) {
  const form = el("form", "", { id: "rate-form" });
  form.append(el("h4", t("page.report.rate")));
  for (const rating of RATINGS) {
    const label = el("label", "", { class: "rating" });
    const input = el("input", "", { type: "radio", name: "rating", value: rating, required: "" });
    label.append(input, document.createTextNode(` ${t(`report.rating.${rating}`)}`));
    form.append(label);
  }
  const comment = el("textarea", "", { name: "comment", maxlength: "500", rows: "2" });
  const commentLabel = el("label");
  commentLabel.append(el("span", t("page.report.comment")), comment);
  form.append(commentLabel, el("button", t("page.report.rate_send"), { type: "submit" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const response = await fetch("/report/api/rate", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, rating: data.get("rating"), comment: data.get("comment"),
        locale: language() }),
    });
    const answer = await response.json();
    if (response.ok) render(t, found, token, answer);
    else form.append(el("p", String(answer.detail), { role: "alert" }));
  });
  return form;
}
