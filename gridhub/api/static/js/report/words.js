// The report pages' words (the hub's catalogues, see ../i18n.js) and text-only elements.
export { language, loadWords, switchLanguage } from "../i18n.js";

// An element with text (never HTML: residents and handlers wrote much of what is shown).
export function el(tag, text = "", attributes = {}) {
  const element = document.createElement(tag);
  if (text) element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}
