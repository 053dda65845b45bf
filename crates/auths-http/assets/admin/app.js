// The admin page: sign-in, the router, the header's export, the list of drafts.
// Every view renders into <main> from the v5 API's answers.

import { api, can, fetchBlob, loadPermissions, onRefused, session } from './api.js';
import { announce, errorBox, fill, focus, h, labels, pager, scroll, when } from './dom.js';
import { renderSearch } from './search.js';
import { renderForm } from './form.js';
import { renderAudit, renderHistory } from './history.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

/** The view on screen, so a change of its own parameters updates it in place. */
let current = null;

/** Parse the hash: '#/auth/ID/history?x=1' -> {parts: ['auth', 'ID', 'history'], params}. */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q] = raw.split('?');
  try {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    return { parts, params: new URLSearchParams(q || '') };
  } catch {
    // A malformed escape (a mangled link): no such page.
    return { parts: ['?'], params: new URLSearchParams() };
  }
}

/** Go to `hash`; with `quiet`, only the address changes (the view already shows it). */
export function go(hash, { quiet = false, replace = false } = {}) {
  const url = `${location.pathname}${location.search}${hash}`;
  if (quiet) {
    if (location.hash === hash) return;
    shownHash = hash;
    if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
    return;
  }
  if (location.hash === hash) route();
  else if (replace) location.replace(url);
  else location.hash = hash;
}

/** The address the shown view answers for, to go back to when leaving is cancelled. */
let shownHash = '';

/** Counts navigations: a view that finishes loading after another navigation (or a
 *  sign-out) began is thrown away. */
let navigation = 0;

async function route() {
  // Unsaved edits are not dropped without asking.
  if (current && current.dirty && current.dirty() && location.hash !== shownHash
      && !window.confirm('Leave this form? Your unsaved changes will be lost.')) {
    // The address goes back to the form's, in place: no new history entry.
    history.replaceState(null, '', `${location.pathname}${location.search}${shownHash}`);
    return;
  }
  if (!session.key) { signIn(); return; }
  const { parts, params } = parseHash();
  const [head, id, sub] = parts;
  let view;
  if (!head || head === 'search') view = { name: 'search', key: 'search' };
  else if (head === 'new') view = { name: 'form', key: 'new', target: {} };
  else if (head === 'draft' && id) view = { name: 'form', key: `draft/${id}`, target: { draft_id: id } };
  else if (head === 'drafts') view = { name: 'drafts', key: 'drafts' };
  else if (head === 'auth' && id && sub === 'history' && parts.length === 3) view = { name: 'history', key: `history/${id}` };
  else if (head === 'auth' && id && sub === 'audit' && parts.length === 3) view = { name: 'audit', key: `audit/${id}` };
  else if (head === 'auth' && id && sub === 'version' && parts.length === 4 && /^[1-9][0-9]{0,14}$/.test(parts[3])) {
    view = { name: 'form', key: `v/${id}/${parts[3]}`, target: { auth_id: id, version: Number(parts[3]) } };
  } else if (head === 'auth' && id && !sub) view = { name: 'form', key: `auth/${id}`, target: { auth_id: id } };
  else view = { name: 'missing', key: 'missing' };

  if (current && current.key === view.key && current.update) {
    // The same view, new parameters: updated in place, still the view shown.
    shownHash = location.hash;
    current.update(params);
    return;
  }
  const mine = ++navigation;
  current = null;
  fill(main, h('p', { class: 'loading' }, 'Loading…'));
  // Each view renders into its own element, shown once it has loaded, and only if
  // no other navigation began meanwhile.
  const root = h('div', { class: 'view' });
  // A view's actions that finish after the person moved on (or signed out) neither
  // navigate nor speak: `alive` says whether this view is still the one shown.
  const alive = () => mine === navigation;
  const ctx = {
    main: root,
    params,
    alive,
    go: (hash, opts) => { if (alive()) go(hash, opts); },
    say: (text) => { if (alive()) announce(text); },
    // The same view again, from the server (after a change made in place).
    reload: () => { if (alive()) { current = null; route(); } },
  };
  let shown = null;
  if (view.name === 'search') shown = await renderSearch(ctx);
  else if (view.name === 'form') shown = await renderForm(ctx, view.target);
  else if (view.name === 'history') shown = await renderHistory(ctx, id);
  else if (view.name === 'audit') shown = await renderAudit(ctx, id);
  else if (view.name === 'drafts') shown = await renderDrafts(ctx);
  else {
    fill(root, h('h1', {}, 'Not found'), h('p', {}, 'This page does not exist. ',
      h('a', { href: '#/' }, 'Back to the search')));
  }
  if (mine !== navigation) return;
  fill(main, root);
  shownHash = location.hash;
  current = shown;
  if (current) current.key = view.key;
  const h1 = main.querySelector('h1');
  document.title = h1 ? `${h1.textContent} – auths` : 'auths';
  for (const a of nav.querySelectorAll('a')) {
    const here = a.getAttribute('href') === `#/${head === 'search' ? '' : head || ''}`;
    if (here) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  // Keyboard and screen-reader users land on the new view's heading.
  const heading = main.querySelector('h1');
  if (heading && !main.contains(document.activeElement)) focus(heading);
}

/** The sign-in form: one field, the API key. */
function signIn(reason) {
  navigation += 1;
  current = null;
  document.title = 'Sign in – auths';
  nav.hidden = true;
  who.hidden = true;
  const input = h('input', {
    id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, maxlength: 512, 'aria-describedby': 'api-key-help',
  });
  const problem = h('div', { id: 'signin-problem' });
  if (reason) problem.append(errorBox({ message: reason }));
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', {}, 'Sign in'),
    h('p', { id: 'api-key-help', class: 'hint' },
      'Paste an API key (an admin prints one at its first start, or runs ',
      h('code', {}, 'authsd keys create'), '). It is kept in this tab only, until you sign out or close it.'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    problem,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) {
      fill(problem, errorBox({ message: 'Enter an API key.' }));
      input.setAttribute('aria-invalid', 'true');
      focus(input);
      return;
    }
    if (!/^[\x21-\x7e]+$/.test(key)) {
      fill(problem, errorBox({ message: 'An API key is made of printable ASCII characters only: check what was pasted.' }));
      input.setAttribute('aria-invalid', 'true');
      focus(input);
      return;
    }
    session.key = key;
    try {
      const me = await api('POST', '/artifacts/auths/get', {});
      await loadPermissions();
      signedIn(me.actor_name);
      announce(`Signed in as ${me.actor_name}.`);
      route();
    } catch (err) {
      session.clear();
      fill(problem, errorBox(err.status === 401
        ? { message: 'This key was refused: it is unknown, revoked or expired.' } : err, 'Could not sign in'));
      input.setAttribute('aria-invalid', 'true');
      focus(input);
    }
  });
  fill(main, form);
  focus(input);
}

function signedIn(actor) {
  document.getElementById('actor').textContent = `Signed in as ${actor}`;
  // Only what the key may do is offered.
  nav.querySelector('a[href="#/new"]').hidden = !(can.has('create') && can.has('edit_draft'));
  nav.querySelector('a[href="#/drafts"]').hidden = !can.has('edit_draft');
  document.getElementById('export').hidden = !can.has('export');
  nav.hidden = false;
  who.hidden = false;
}

function signOut(reason) {
  session.clear();
  signIn(reason);
}

/** Export every auth the key may see, and hand the file to the browser as a download. */
async function exportAll(button) {
  const started = session.epoch;
  button.disabled = true;
  announce('Exporting…');
  try {
    const made = await api('POST', '/artifacts/auths/export', {});
    if (session.epoch !== started) return;
    const blob = await fetchBlob(`/uploads/${encodeURIComponent(made.upload_id)}`);
    // Signed out (or in as someone else) meanwhile: the file is not theirs to get.
    if (session.epoch !== started) return;
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: made.file_name || 'auths.csv', hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    announce(`Exported ${made.row_count} auth(s) to ${made.file_name}.`);
  } catch (err) {
    if (session.epoch !== started) return;
    const box = errorBox(err, 'Export failed');
    main.prepend(box);
    focus(box);
  } finally {
    button.disabled = false;
  }
}

/** The caller's drafts, newest first. */
async function renderDrafts(ctx) {
  const size = 25;
  const offset = Math.max(0, Number(ctx.params.get('offset')) || 0);
  let page;
  try {
    page = await api('POST', '/artifacts/auths/drafts', { page_size: size, page_offset: offset });
  } catch (err) {
    fill(ctx.main, h('h1', {}, 'My drafts'), errorBox(err, 'Could not list drafts'));
    return null;
  }
  const rows = page.entries.map((d) => h('tr', {},
    h('td', {}, h('a', { href: `#/draft/${encodeURIComponent(d.draft_id)}` },
      d.values.name || (d.values.name_id ? '(the name unchanged)' : '(no name yet)'))),
    h('td', {}, d.auth_id ? h('a', { href: `#/auth/${encodeURIComponent(d.auth_id)}` }, 'Edit of a published auth') : 'New auth'),
    h('td', {}, labels((d.values.protocol_ids || []).map((p) => p.replace(/^protocol-/, '')))),
    h('td', { class: 'num' }, d.version),
    h('td', {}, when(d.updated_at))));
  fill(ctx.main,
    h('h1', {}, 'My drafts'),
    h('p', {}, `${page.total_count} draft(s). A draft is yours alone until you publish it.`),
    page.entries.length ? scroll(h('table', {},
      h('caption', { class: 'visually-hidden' }, 'My drafts'),
      h('thead', {}, h('tr', {}, ['Draft', 'Of', 'Protocols', 'Draft version', 'Saved'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))) : null,
    pager(page.total_count, offset, size, (o) => `#/drafts?offset=${o}`));
  return {};
}

// (While signing in, the sign-in form says it itself.)
onRefused(() => { if (!nav.hidden) signOut('The server refused the key (unknown, revoked or expired). Sign in again.'); });
window.addEventListener('beforeunload', (ev) => {
  if (current && current.dirty && current.dirty()) ev.preventDefault();
});
// "Skip to content" moves focus; it is not a route.
document.querySelector('.skip').addEventListener('click', (ev) => {
  ev.preventDefault();
  focus(main);
});
document.getElementById('signout').addEventListener('click', () => { signOut(); announce('Signed out.'); });
document.getElementById('export').addEventListener('click', (ev) => exportAll(ev.currentTarget));
window.addEventListener('hashchange', route);

(async function start() {
  if (session.key) {
    try {
      const me = await api('POST', '/artifacts/auths/get', {});
      await loadPermissions();
      signedIn(me.actor_name);
    } catch (err) {
      signOut(err.status === 401 ? 'The server refused the saved key (revoked or expired). Sign in again.'
        : `Could not reach the server: ${err.message}`);
      return;
    }
  }
  route();
}());
