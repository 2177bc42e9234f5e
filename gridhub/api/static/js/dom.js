// Elements built from data. Every string given as a child becomes a text node, never markup:
// names, titles and codes come from devices, residents and imports.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return node;
}

// Tooltip and popup content for Leaflet, which writes a string as HTML but shows an element.
export const text = (...parts) => el("span", {}, parts.join(""));
