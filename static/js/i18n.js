/* Translation: French first, English on demand. Each screen registers its own strings and
 * gets its own `t` back; the lookup below is the only one. Data text is never in here. */

let current = "fr";

export function lang() { return current; }

export function setLang(value) { current = value === "en" ? "en" : "fr"; }

/** The locale for numbers and dates in the page's language. */
export function locale() { return current === "en" ? "en-GB" : "fr-FR"; }

/** The text of `key` in the page's language, French when missing, the key itself at worst. */
export function t(table, key) {
  return (table[current] && table[current][key]) || table.fr[key] || key;
}

/** A screen's strings, `{fr: {...}, en: {...}}`: returns its translator `key → text`. */
export function register(table) { return (key) => t(table, key); }

/** A title object from the server (`{fr, en}`) in the page's language. */
export function title(obj) { return obj ? (obj[current] || obj.fr) : ""; }
