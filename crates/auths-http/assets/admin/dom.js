// Small DOM helpers: build elements, announce messages, show errors.
// Text always goes in as text nodes (never as HTML), so nothing the server or a
// person typed can become markup.

/** h('tag', {attr: value, onclick: fn}, child...) -> element. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'value') {
      el.value = value;
    } else if (name === 'checked' || name === 'selected' || name === 'disabled') {
      el[name] = Boolean(value);
      if (name === 'disabled') el.setAttribute('disabled', '');
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace everything in `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Say `text` in the polite live region (screen readers read it; it stays visible). */
export function announce(text) {
  const status = document.getElementById('status');
  status.textContent = '';
  // A fresh text node after a tick, so the same message twice is read twice.
  setTimeout(() => { status.textContent = text; }, 30);
}

/** An error box, read out at once (role=alert), with the API's details listed. */
export function errorBox(err, lead) {
  const message = messageOf(err);
  // A detail that only repeats the message is not listed again.
  const details = ((err && err.details) || []).filter((d) => !message.endsWith(d.message));
  return h('div', { class: 'error', role: 'alert' },
    h('p', {}, lead ? `${lead}: ` : '', message),
    details.length ? h('ul', {}, details.map((d) => h('li', {},
      d.field ? h('code', {}, d.field) : null, d.field ? ': ' : '', d.message))) : null);
}

/** The human message of an error thrown by the API or by the browser. */
export function messageOf(err) {
  if (!err) return 'something went wrong';
  if (err.name === 'TypeError') return 'the server could not be reached';
  return err.message || String(err);
}

/** A date-time as the reader's locale writes it, with the exact value as a tooltip. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return h('time', { datetime: iso, title: iso }, d.toLocaleString());
}

/** Move focus to `el` (a heading, a message) so keyboard and screen-reader users follow. */
export function focus(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
    el.setAttribute('tabindex', '-1');
  }
  el.focus();
}

/** A value shown in a table or diff: a catalog entry by label, an item as key=value
 *  (a secret as its key and fingerprint: the page never has a secret value). */
export function label(v) {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if ('key' in v) {
    if (v.secret) return `${v.key} = (secret${v.fingerprint ? ` ${v.fingerprint}` : ''})`;
    return `${v.key} = ${v.value ?? ''}`;
  }
  return v.label ?? v.name ?? v.id ?? '';
}

/** The labels of a list of values, joined. */
export function labels(list) {
  return (list || []).map(label).join(', ');
}

/** A table in a box that scrolls sideways on a narrow screen (the page itself never does). */
export function scroll(table) {
  return h('div', { class: 'scroll' }, table);
}

/** Previous / next links for a paged list. */
export function pager(total, offset, size, hashOf) {
  if (total <= size) return null;
  const pages = Math.ceil(total / size);
  const at = Math.floor(offset / size) + 1;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    offset > 0 ? h('a', { href: hashOf(Math.max(0, offset - size)), rel: 'prev' }, 'Previous') : h('span', { 'aria-hidden': 'true' }, 'Previous'),
    h('span', {}, `Page ${at} of ${pages}`),
    offset + size < total ? h('a', { href: hashOf(offset + size), rel: 'next' }, 'Next') : h('span', { 'aria-hidden': 'true' }, 'Next'));
}

