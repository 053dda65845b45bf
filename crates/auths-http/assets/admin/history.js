// An auth's history (each version with its diff, "Restore as draft") and its audit log.

import { api, can, query } from './api.js';
import { errorBox, fill, focus, h, label, pager, scroll, when } from './dom.js';

const FIELD_NAMES = {
  name: 'Name', description: 'Description', flag: 'Flag', protocols: 'Protocols', slugs: 'Slugs',
  items: 'Items', departments: 'Departments', locations: 'Locations',
};

/** What changed, as a table: a field per row, with what was removed and added. */
export function diffTable(changes) {
  return scroll(h('table', { class: 'diff' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
    h('tbody', {}, changes.map((c) => {
      const before = 'added' in c ? (c.removed || []).map(label) : [c.before ? label(c.before) : null].filter((x) => x !== null);
      const after = 'added' in c ? (c.added || []).map(label) : [c.after ? label(c.after) : null].filter((x) => x !== null);
      return h('tr', {},
        h('th', { scope: 'row' }, FIELD_NAMES[c.field] || c.field),
        h('td', { class: 'del' }, before.length ? before.map((t) => h('del', {}, t)) : h('span', { class: 'none' }, 'added' in c ? '' : '(none)')),
        h('td', { class: 'ins' }, after.length ? after.map((t) => h('ins', {}, t)) : h('span', { class: 'none' }, 'added' in c ? '' : '(none)')));
    }))));
}

/** The heading of a page about one auth: its name, and links to its other pages. */
async function authHead(ctx, authId, what) {
  const form = await api('POST', '/artifacts/auths/get', { auth_id: authId });
  const id = encodeURIComponent(authId);
  return {
    form,
    head: [
      h('h1', {}, `${what}: ${form.names.value ? form.names.value.label : authId}`),
      h('nav', { class: 'sub', 'aria-label': 'This auth' },
        h('a', { href: `#/auth/${id}` }, 'Current version'),
        h('a', { href: `#/auth/${id}/history` }, 'History'),
        can.has('audit_read') ? h('a', { href: `#/auth/${id}/audit` }, 'Audit log') : null),
    ],
  };
}

export async function renderHistory(ctx, authId) {
  const size = 20;
  const offset = Math.max(0, Number(ctx.params.get('offset')) || 0);
  let head;
  let page;
  try {
    head = await authHead(ctx, authId, 'History');
    page = await api('POST', '/artifacts/auths/history', { auth_id: authId, page_size: size, page_offset: offset });
  } catch (err) {
    fill(ctx.main, h('h1', {}, 'History'), errorBox(err, 'Could not load the history'));
    return null;
  }
  const current = head.form.version;
  const canRestore = head.form.can_edit;
  const outcome = h('div');
  const id = encodeURIComponent(authId);

  async function restore(version, button) {
    button.disabled = true;
    try {
      const r = await api('PATCH', '/artifacts/auths/draft', { auth_id: authId, from_version: version, expected_version: current });
      ctx.say(`Draft started from version ${version}: publish it to restore.`);
      ctx.go(`#/draft/${encodeURIComponent(r.draft_id)}`);
    } catch (err) {
      const box = errorBox(err, `Could not restore version ${version}`);
      fill(outcome, box);
      focus(box);
      button.disabled = false;
    }
  }

  const entries = page.entries.map((e) => h('article', { class: 'version', 'aria-labelledby': `v-${e.version}` },
    h('h2', { id: `v-${e.version}` }, `Version ${e.version}`, e.version === current ? ' (current)' : ''),
    h('p', { class: 'meta' }, `${e.operation} by ${e.actor_name} via ${e.channel}, `, when(e.at)),
    !e.visible ? h('p', { class: 'hint' }, 'This version was outside your departments: its content is not shown.')
      : e.changes.length ? diffTable(e.changes) : h('p', {}, 'No field changed.'),
    h('div', { class: 'actions' },
      !e.visible ? null : e.version === current ? h('a', { href: `#/auth/${id}` }, `View version ${e.version}`)
        : h('a', { href: `#/auth/${id}/version/${e.version}` }, `View version ${e.version}`),
      e.version !== current && canRestore && e.visible
        ? h('button', { type: 'button', onclick: (ev) => restore(e.version, ev.currentTarget), 'aria-label': `Restore version ${e.version} as draft` }, 'Restore as draft')
        : null)));
  fill(ctx.main, head.head,
    h('p', {}, `${page.total_count} version(s), newest first; each shows what it changed from the one before.`),
    outcome, entries,
    pager(page.total_count, offset, size, (o) => `#/auth/${id}/history?offset=${o}`));
  return {};
}

export async function renderAudit(ctx, authId) {
  const size = 25;
  const offset = Math.max(0, Number(ctx.params.get('offset')) || 0);
  let head;
  let page;
  try {
    head = await authHead(ctx, authId, 'Audit log');
    page = await api('GET', `/audit${query({ auth_id: authId, page_size: size, page_offset: offset })}`);
  } catch (err) {
    fill(ctx.main, h('h1', {}, 'Audit log'), errorBox(err, 'Could not load the audit log'));
    return null;
  }
  const id = encodeURIComponent(authId);
  const rows = page.entries.map((e) => h('tr', {},
    h('td', {}, when(e.at)),
    h('td', {}, e.actor_name),
    h('td', {}, h('code', {}, e.operation)),
    h('td', {}, e.channel, e.client ? ` (${e.client})` : ''),
    h('td', {}, h('details', {}, h('summary', {}, `Before and after`, h('span', { class: 'visually-hidden' }, ` ${e.operation} of ${e.at}`)),
      h('pre', {}, JSON.stringify({ before: e.before, after: e.after }, null, 2))))));
  fill(ctx.main, head.head,
    h('p', {}, `${page.total_count} record(s), newest first. Secret values are masked by the server.`),
    scroll(h('table', { class: 'list' },
      h('caption', { class: 'visually-hidden' }, 'Audit records'),
      h('thead', {}, h('tr', {}, ['When', 'Who', 'Operation', 'Channel', 'State'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows))),
    pager(page.total_count, offset, size, (o) => `#/auth/${id}/audit?offset=${o}`));
  return {};
}
