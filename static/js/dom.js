/* DOM helpers shared by every screen. Text is always set as text, never parsed as HTML. */

/** Create an element; `text` is set as text, never parsed as HTML; `on…` props are listeners. */
export function el(tag, props, children) {
  const node = document.createElement(tag);
  Object.keys(props || {}).forEach((key) => {
    const value = props[key];
    if (value === null || value === undefined) return;
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = value;
    else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  });
  (children || []).forEach((child) => {
    if (child === null || child === undefined) return;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return node;
}

export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

export function $(id) { return document.getElementById(id); }

/** Lower case, accents and punctuation away: for matching names typed by people. */
export function fold(text) {
  return String(text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
    .toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
}
