// The form of one auth (or of a draft, or a blank one): every section, the small
// catalogs as choices and the large ones searchable; "Save draft" and "Publish" with
// optimistic concurrency; a conflict shown with what changed.

import { api, can, query } from './api.js';
import { announce, errorBox, fill, focus, h, label, when } from './dom.js';
import { diffTable } from './history.js';

/** The large catalogs, as pickers: section key in the form view, catalog kind, API field. */
const PICKERS = [
  { section: 'slugs', kind: 'slugs', field: 'slug_ids', legend: 'Slugs', one: 'slug' },
  { section: 'items', kind: 'items', field: 'item_ids', legend: 'Items', one: 'item' },
  { section: 'departments', kind: 'departments', field: 'department_ids', legend: 'Departments', one: 'department' },
  { section: 'locations', kind: 'locations', field: 'location_ids', legend: 'Locations', one: 'location' },
];

/** Where each API field's problem is shown: the id of its control. */
const CONTROL = {
  name: 'f-name', name_id: 'f-name', description: 'f-description', description_id: 'f-description',
  flag_id: 'f-flag', protocol_ids: 'f-protocols', slug_ids: 'f-slugs', item_ids: 'f-items',
  department_ids: 'f-departments', location_ids: 'f-locations',
};

export async function renderForm(ctx, target) {
  let view;
  try {
    view = await api('POST', '/artifacts/auths/get', target);
  } catch (err) {
    const gone = err.status === 404 && target.draft_id;
    fill(ctx.main, h('h1', {}, gone ? 'Draft' : 'Auth'),
      gone ? h('p', { class: 'notice', role: 'note' }, 'This draft no longer exists: it was published (a draft is used up by publishing), or it is not yours.')
        : errorBox(err, 'Could not open it'),
      h('p', {}, h('a', { href: '#/' }, 'Back to the search'), ' · ', h('a', { href: '#/drafts' }, 'My drafts')));
    return null;
  }
  const authId = view.auth_id;
  const isVersion = target.version !== undefined;
  let draftId = view.draft_id;
  let draftVersion = draftId ? view.draft_version : null;
  const baseVersion = view.version ?? 0;
  const editable = view.can_edit && !isVersion;
  let dirty = false;

  const v = {
    name: view.names.value ? view.names.value.label : '',
    description: view.descriptions.value ? view.descriptions.value.label : '',
    flag_id: view.flags.value ? view.flags.value.id : '',
    protocol_ids: new Set(view.protocols.values.map((p) => p.id)),
  };
  for (const p of PICKERS) {
    v[p.field] = new Map(view[p.section].values.map((e) => [e.id, label(e)]));
  }
  const touch = () => { dirty = true; unsaved.hidden = false; };

  // Heading and where this form stands.
  const title = draftId ? (authId ? `Draft: ${v.name || 'an auth'}` : `Draft: ${v.name || 'a new auth'}`)
    : isVersion ? `${v.name}, version ${view.version}` : (authId ? v.name : 'New auth');
  const meta = [];
  if (authId && !draftId) meta.push(`Version ${view.version}`, ' · updated ', when(view.updated_at));
  if (draftId) meta.push(`Draft version ${draftVersion}`, authId ? ` of an edit started from version ${baseVersion}` : ' of a new auth', ' · saved ', when(view.updated_at));
  const links = authId ? h('nav', { class: 'sub', 'aria-label': 'This auth' },
    draftId || isVersion ? h('a', { href: `#/auth/${encodeURIComponent(authId)}` }, 'Current version') : null,
    h('a', { href: `#/auth/${encodeURIComponent(authId)}/history` }, 'History'),
    can.has('audit_read') ? h('a', { href: `#/auth/${encodeURIComponent(authId)}/audit` }, 'Audit log') : null) : null;
  const why = !editable ? h('p', { id: 'why', class: 'notice', role: 'note' },
    isVersion ? 'This is an earlier version: it cannot be edited here. To go back to it, use "Restore as draft" in the history.'
      : `You cannot edit this auth: ${view.disabled_reason || 'your key does not allow it'}.`) : null;
  // A deprecated auth changes only its flag (the v5 contract): the one change the
  // caller may still make, offered apart from the disabled form.
  const flagOnly = !view.can_edit && !isVersion && view.disabled_reason === 'auth is deprecated';
  const reflag = flagOnly ? flagOnlyForm(view, authId, ctx) : null;
  const draftNote = h('div');
  const metaLine = h('p', { class: 'meta' }, meta);
  const unsaved = h('span', { class: 'unsaved', hidden: true }, 'Unsaved changes');

  // The fields.
  const heading = h('h1', {}, title);
  const name = h('input', { id: 'f-name', type: 'text', maxlength: 255, value: v.name, required: true, autocomplete: 'off', oninput: (e) => { v.name = e.target.value; touch(); } });
  const description = h('textarea', { id: 'f-description', rows: 3, maxlength: 4096, oninput: (e) => { v.description = e.target.value; touch(); } });
  description.value = v.description;
  const flag = h('select', { id: 'f-flag', onchange: (e) => { v.flag_id = e.target.value; touch(); } },
    h('option', { value: '' }, '(none)'),
    (view.flags.options || []).map((o) => h('option', { value: o.id, selected: o.id === v.flag_id }, o.label)));
  const protocols = h('fieldset', { id: 'f-protocols', class: 'checks' }, h('legend', {}, 'Protocols'),
    (view.protocols.options || []).map((o) => {
      const id = `f-protocol-${o.id}`;
      return h('div', { class: 'check' },
        h('input', { type: 'checkbox', id, value: o.id, checked: v.protocol_ids.has(o.id),
          onchange: (e) => { if (e.target.checked) v.protocol_ids.add(o.id); else v.protocol_ids.delete(o.id); touch(); } }),
        h('label', { for: id }, o.label));
    }));
  const pickers = PICKERS.map((p) => picker(p, v[p.field], touch, editable));

  const problems = h('div', { id: 'problems' });
  const outcome = h('div', { id: 'outcome' });
  const saveBtn = h('button', { type: 'button', onclick: () => run(saveDraft) }, 'Save draft');
  // Publish is a plain button: Enter in a field never publishes (the form has no
  // submit button, so pressing Enter submits nothing).
  const publishBtn = h('button', { type: 'button', class: 'primary', onclick: () => run(publish) }, 'Publish');
  const changesBtn = authId ? h('button', { type: 'button', hidden: !draftId, onclick: () => run(showChanges) }, 'Show changes') : null;
  const discardBtn = h('button', { type: 'button', class: 'danger', hidden: !draftId, onclick: () => run(discard, 'Not discarded') }, 'Discard draft');
  const fields = h('fieldset', { class: 'plain', disabled: !editable, 'aria-describedby': why ? 'why' : null },
    h('legend', { class: 'visually-hidden' }, 'Auth'),
    h('div', { class: 'field' }, h('label', { for: 'f-name' }, 'Name'), name),
    h('div', { class: 'field' }, h('label', { for: 'f-description' }, 'Description'), description),
    h('div', { class: 'field' }, h('label', { for: 'f-flag' }, 'Flag'), flag),
    protocols,
    pickers.map((p) => p.el),
    editable ? h('div', { class: 'actions form-actions' }, saveBtn, publishBtn, changesBtn, discardBtn, unsaved) : null);
  const form = h('form', { id: 'auth-form', novalidate: true }, fields);
  form.addEventListener('submit', (ev) => ev.preventDefault());

  fill(ctx.main,
    heading,
    metaLine,
    links, why, reflag, draftNote, problems, outcome, form);

  if (!draftId && authId && view.draft_version !== null && view.draft_version !== undefined && editable) {
    showOwnDrafts();
  }
  if (view.form_state) showProblems(view.form_state.problems, false);

  /** Run an action with the buttons disabled, its failure shown. */
  async function run(action, lead = 'Not saved') {
    saveBtn.disabled = true;
    publishBtn.disabled = true;
    fill(outcome);
    try {
      await action();
    } catch (err) {
      if (err.code === 'conflict') await showConflict(err.error, lead, err.staleDraft);
      else {
        const box = errorBox(err, lead);
        fill(outcome, box);
        markFields(err.details || []);
        focus(box);
      }
    } finally {
      saveBtn.disabled = false;
      publishBtn.disabled = false;
    }
  }

  /** The values as the API takes them, as they were when the form opened (what "my
   *  changes" are measured against when no draft holds them yet). */
  let initial = null;

  /** The values as the API takes them: every field, so the draft holds this form. */
  function body() {
    const b = {
      name: v.name.trim() === '' ? null : v.name,
      description: v.description.trim() === '' ? null : v.description,
      flag_id: v.flag_id || null,
      protocol_ids: [...v.protocol_ids],
    };
    for (const p of PICKERS) b[p.field] = [...v[p.field].keys()];
    return b;
  }

  async function saveDraft(quietly) {
    let req;
    if (draftId) req = { input_draft_id: draftId, expected_version: draftVersion, ...body() };
    else if (authId) req = { auth_id: authId, expected_version: baseVersion, ...body() };
    else req = { expected_version: 0, ...body() };
    let r;
    try {
      r = await api('PATCH', '/artifacts/auths/draft', req);
    } catch (err) {
      // A stale draft version means this draft was saved elsewhere; a stale auth
      // version, that the auth was published since this form was opened.
      if (err.code === 'conflict') err.staleDraft = Boolean(req.input_draft_id);
      throw err;
    }
    const started = !draftId;
    draftId = r.draft_id;
    draftVersion = r.new_version;
    dirty = false;
    unsaved.hidden = true;
    if (started) ctx.go(`#/draft/${encodeURIComponent(draftId)}`, { quiet: true });
    fill(metaLine, `Draft version ${draftVersion}`, authId ? ` of an edit started from version ${baseVersion}` : ' of a new auth', ' · saved just now');
    if (started) {
      heading.textContent = `Draft: ${v.name || (authId ? 'an auth' : 'a new auth')}`;
      if (changesBtn) changesBtn.hidden = false;
      discardBtn.hidden = false;
    }
    showProblems(r.form_state.problems, !quietly);
    if (!quietly) {
      const said = r.message.charAt(0).toUpperCase() + r.message.slice(1);
      fill(outcome, h('p', { class: 'ok' }, `${said} (draft version ${draftVersion}).`));
      ctx.say(`${said}.`);
    }
    return r;
  }

  async function publish() {
    if (!dirty && !draftId && authId) {
      fill(outcome, h('p', { class: 'ok', role: 'status' }, 'Nothing changed: there is nothing to publish.'));
      return;
    }
    if (dirty || !draftId) {
      const r = await saveDraft(true);
      if (!r.form_state.can_publish) {
        showProblems(r.form_state.problems, true);
        return;
      }
    }
    const res = authId
      ? await api('POST', '/artifacts/auths/update', { auths: [{ auth_id: authId, draft_id: draftId }] })
      : await api('POST', '/artifacts/auths/create', { auths: [{ draft_id: draftId }] });
    const r = res.results[0];
    if (r.success) {
      ctx.say(`Published: version ${r.version}.`);
      // The draft is used up: Back should not return to it.
      ctx.go(`#/auth/${encodeURIComponent(r.auth_id || authId)}`, { replace: true });
      return;
    }
    if (r.error && r.error.code === 'conflict') {
      await showConflict(r.error, 'Not published', false);
      return;
    }
    const box = errorBox(r.error, 'Not published');
    markFields((r.error && r.error.details) || []);
    fill(outcome, box);
    focus(box);
  }

  /** Someone else wrote first: say so, show what they changed, offer the ways on. */
  async function showConflict(error, lead, draftStale) {
    const current = error.current_version;
    const parts = [h('h2', {}, 'Someone else was first')];
    if (draftStale || !authId || !current) {
      parts.push(h('p', {}, `${lead}: ${error.message}.`));
    }
    if (draftStale) {
      parts.push(h('p', {}, 'This draft was saved from another tab or session since you opened it. Your changes here are not saved; reload the draft to see its latest version.'),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => { dirty = false; ctx.reload(); } }, 'Reload the draft')));
    } else if (authId && current) {
      const fieldsChanged = (error.details || []).map((d) => labelOf(d.field));
      parts.push(h('p', {}, `${lead}: version ${current} was published after this form started from version ${baseVersion}`,
        fieldsChanged.length ? ` (it changed ${fieldsChanged.join(', ')})` : '',
        '. Nothing of yours was published', draftId ? '; your draft is kept.' : '.'));
      try {
        const diff = await api('POST', '/artifacts/auths/diff', { auth_id: authId, from_version: baseVersion, to_version: current });
        parts.push(h('h3', {}, `What changed from version ${baseVersion} to ${current}`), diffTable(diff.changes));
      } catch (err) {
        parts.push(errorBox(err, 'Could not load what changed'));
      }
      parts.push(h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: () => run(() => rebase(current)) }, `Apply my changes to version ${current}`),
        h('a', { class: 'button', href: `#/auth/${encodeURIComponent(authId)}` }, `Open version ${current}`)));
    }
    const box = h('section', { class: 'conflict', role: 'alert', 'aria-labelledby': 'conflict-title' }, parts);
    box.querySelector('h2').id = 'conflict-title';
    fill(outcome, box);
    focus(box.querySelector('h2'));
  }

  /** A new draft on top of `current` with only what this form changed from the
   *  version it started at (the draft's own diff): the other person's changes to
   *  other fields stay. */
  async function rebase(current) {
    const all = body();
    const changed = {};
    const old = draftId;
    if (old) {
      // A saved draft: its own diff against the version it started from says what is
      // mine (saving the draft first: a draft's version does not move with the auth).
      if (dirty) await saveDraft(true);
      const mine = await api('POST', '/artifacts/auths/diff', { draft_id: old });
      for (const c of mine.changes) {
        for (const f of SECTION_FIELDS[c.field] || []) changed[f] = all[f];
      }
    } else {
      // Nothing saved yet: what differs from the form as it opened.
      for (const [f, value] of Object.entries(all)) {
        if (same(value, initial[f])) continue;
        changed[f] = value;
      }
    }
    const r = await api('PATCH', '/artifacts/auths/draft', { auth_id: authId, expected_version: current, ...changed });
    if (old) {
      // The old draft can never be published now: the new one replaces it.
      try { await api('DELETE', `/artifacts/auths/draft/${encodeURIComponent(old)}`); } catch { /* kept, listed */ }
    }
    dirty = false;
    ctx.say(`New draft started from version ${current} with your values: review it, then publish.`);
    ctx.go(`#/draft/${encodeURIComponent(r.draft_id)}`);
  }

  /** Throws the draft away (after asking): nothing of it is published. */
  async function discard() {
    if (!window.confirm('Discard this draft? Nothing of it is published, and it cannot be undone.')) return;
    await api('DELETE', `/artifacts/auths/draft/${encodeURIComponent(draftId)}`);
    dirty = false;
    ctx.say('Draft discarded.');
    ctx.go(authId ? `#/auth/${encodeURIComponent(authId)}` : '#/drafts', { replace: true });
  }

  async function showChanges() {
    if (dirty) await saveDraft(true);
    const diff = await api('POST', '/artifacts/auths/diff', { draft_id: draftId });
    fill(outcome, h('section', { class: 'changes', 'aria-labelledby': 'changes-title' },
      h('h2', { id: 'changes-title' }, `Changes from version ${diff.from_version}`),
      diff.changes.length ? diffTable(diff.changes) : h('p', {}, 'This draft changes nothing yet.')));
    focus(outcome.querySelector('h2'));
  }

  /** The caller's drafts of this auth, to pick up where they left off. */
  async function showOwnDrafts() {
    try {
      const page = await api('POST', '/artifacts/auths/drafts', { page_size: 100 });
      const mine = page.entries.filter((d) => d.auth_id === authId);
      if (!mine.length) return;
      fill(draftNote, h('div', { class: 'notice' }, h('p', {}, `You have ${mine.length === 1 ? 'a draft' : `${mine.length} drafts`} of this auth: `,
        mine.map((d, i) => [i ? ', ' : '', h('a', { href: `#/draft/${encodeURIComponent(d.draft_id)}` }, `draft saved `, when(d.updated_at))]), '.')));
    } catch { /* the list is a convenience: its failure hides nothing */ }
  }

  /** Whether the form holds edits not saved yet (the router asks before leaving). */
  const dirtyNow = () => dirty;

  /** The problems that stop publishing, listed, each a button to its field. */
  function showProblems(list, loud) {
    markFields(list);
    if (!list.length) { fill(problems); return; }
    const box = h('div', { class: 'problems', role: loud ? 'alert' : null },
      h('p', {}, `${list.length} problem${list.length === 1 ? '' : 's'} to fix before publishing:`),
      h('ul', {}, list.map((p) => h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => {
        const el = control(p.field);
        focus(el && el.tagName === 'FIELDSET' ? el.querySelector('input') || el.querySelector('button') : el);
      } }, labelOf(p.field)), `: ${p.message}`))));
    fill(problems, box);
    if (loud) focus(box);
  }

  /** The control of an API field, in this form only (never another view's). */
  function control(field) {
    return CONTROL[field] ? form.querySelector(`#${CONTROL[field]}`) : null;
  }

  function markFields(list) {
    for (const el of form.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
      el.removeAttribute('aria-errormessage');
    }
    for (const msg of form.querySelectorAll('.field-error')) msg.remove();
    for (const p of list) {
      const el = control(p.field);
      if (!el) continue;
      const id = `${el.id}-error`;
      if (!form.querySelector(`#${id}`)) {
        const msg = h('p', { class: 'field-error', id }, p.message);
        // Inside a section's own box, beside a single control.
        if (el.tagName === 'FIELDSET') el.append(msg); else el.after(msg);
      }
      el.setAttribute('aria-invalid', 'true');
      el.setAttribute('aria-errormessage', id);
    }
  }

  initial = body();
  return { dirty: dirtyNow };
}

/** Two field values alike (lists whatever their order). */
function same(a, b) {
  const norm = (x) => (Array.isArray(x) ? [...x].sort() : x);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** The API fields of each section a diff names. */
const SECTION_FIELDS = {
  name: ['name'], description: ['description'], flag: ['flag_id'], protocols: ['protocol_ids'],
  slugs: ['slug_ids'], items: ['item_ids'], departments: ['department_ids'], locations: ['location_ids'],
};

/** The flag of a deprecated auth, changed alone and published at once. */
function flagOnlyForm(view, authId, ctx) {
  const select = h('select', { id: 'f-reflag' },
    (view.flags.options || []).filter((o) => o.id !== 'flag-deprecated').map((o) => h('option', { value: o.id }, o.label)));
  const problem = h('div');
  const form = h('form', { class: 'notice reflag', novalidate: true },
    h('p', {}, 'A deprecated auth changes only its flag. Give it another flag to edit it again.'),
    h('label', { for: 'f-reflag' }, 'New flag'), select, problem,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Change the flag')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const res = await api('POST', '/artifacts/auths/update',
        { auths: [{ auth_id: authId, expected_version: view.version, flag_id: select.value }] });
      const r = res.results[0];
      if (!r.success) throw Object.assign(new Error(r.error.message), r.error);
      ctx.say(`Flag changed: version ${r.version}.`);
      ctx.reload();
    } catch (err) {
      fill(problem, errorBox(err, 'The flag was not changed'));
      focus(problem.firstChild);
    }
  });
  return form;
}

function labelOf(field) {
  const names = {
    name: 'Name', name_id: 'Name', description: 'Description', description_id: 'Description',
    flag: 'Flag', flag_id: 'Flag', protocols: 'Protocols', protocol_ids: 'Protocols',
  };
  const p = PICKERS.find((x) => x.field === field || x.section === field);
  return names[field] || (p ? p.legend : field);
}

/** A large catalog's section: the chosen entries, a search to add more, and, where the
 *  key may, a way to create an entry that does not exist yet. */
function picker(p, chosen, touch, editable) {
  const id = `f-${p.kind}`;
  const list = h('ul', { class: 'chips', 'aria-label': `Chosen ${p.kind}` });
  const find = h('input', { id: `${id}-find`, type: 'search', autocomplete: 'off', maxlength: 255 });
  const found = h('ul', { class: 'found', 'aria-label': `Matching ${p.kind}` });
  const problem = h('div');
  const extra = p.kind === 'items' ? itemCreator(chosen, redraw, touch, problem) : null;

  function redraw() {
    fill(list, chosen.size ? [...chosen].map(([entryId, text]) => h('li', {}, h('span', {}, text),
      editable ? h('button', { type: 'button', class: 'remove', 'aria-label': `Remove ${text}`,
        onclick: () => { chosen.delete(entryId); touch(); redraw(); announce(`Removed ${text}.`); focus(find); } }, '×') : null))
      : h('li', { class: 'none' }, 'None'));
  }

  let timer = null;
  let seq = 0;
  find.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 250); });
  find.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown') { const b = found.querySelector('button'); if (b) { ev.preventDefault(); b.focus(); } }
    if (ev.key === 'Enter') { ev.preventDefault(); clearTimeout(timer); search(); }
  });
  found.addEventListener('keydown', (ev) => {
    const buttons = [...found.querySelectorAll('button')];
    const at = buttons.indexOf(document.activeElement);
    if (ev.key === 'ArrowDown' && at >= 0 && at < buttons.length - 1) { ev.preventDefault(); buttons[at + 1].focus(); }
    if (ev.key === 'ArrowUp') { ev.preventDefault(); if (at > 0) buttons[at - 1].focus(); else find.focus(); }
    if (ev.key === 'Escape') { ev.preventDefault(); fill(found); find.focus(); }
  });

  async function search() {
    const text = find.value.trim();
    const mine = ++seq;
    if (!text) { fill(found); return; }
    let page;
    try {
      page = await api('GET', `/catalog/${p.kind}${query({ search: text, page_size: 10 })}`);
    } catch (err) {
      fill(problem, errorBox(err, `Could not search ${p.kind}`));
      return;
    }
    if (mine !== seq) return;
    fill(problem);
    const rows = page.entries.filter((e) => !chosen.has(e.id)).map((e) => h('li', {},
      h('button', { type: 'button', onclick: () => add(e.id, label(e)) }, `Add ${label(e)}`)));
    const exact = page.entries.some((e) => e.label.toLowerCase() === text.toLowerCase());
    if (!exact && p.kind !== 'items' && can.has('catalog_write')) {
      rows.push(h('li', {}, h('button', { type: 'button', class: 'create', onclick: () => create(text) }, `Create ${p.one} “${text}”`)));
    }
    if (page.total_count > page.entries.length) {
      rows.push(h('li', { class: 'none' }, `${page.entries.length} of ${page.total_count} shown: type more to narrow.`));
    }
    fill(found, rows.length ? rows : h('li', { class: 'none' }, `No other ${p.kind} match.`));
    announce(`${page.total_count} ${p.kind} match.`);
  }

  function add(entryId, text) {
    chosen.set(entryId, text);
    touch();
    redraw();
    fill(found);
    find.value = '';
    announce(`Added ${text}.`);
    focus(find);
  }

  let creating = false;
  async function create(text) {
    if (creating) return; // a double click makes one entry
    creating = true;
    try {
      const e = await api('POST', `/catalog/${p.kind}`, { label: text });
      add(e.id, label(e));
    } catch (err) {
      fill(problem, errorBox(err, `Could not create the ${p.one}`));
    } finally {
      creating = false;
    }
  }

  redraw();
  const el = h('fieldset', { id, class: 'picker' }, h('legend', {}, p.legend), list,
    editable ? [h('label', { for: `${id}-find`, class: 'small' }, `Find ${p.kind}`), find, found] : null,
    problem, editable && can.has('catalog_write') ? extra : null);
  return { el };
}

/** A new item (key, value, secret) made in place; a secret's value is sent once and
 *  never shown again. */
function itemCreator(chosen, redraw, touch, problem) {
  const key = h('input', { id: 'new-item-key', type: 'text', maxlength: 255, autocomplete: 'off' });
  const value = h('input', { id: 'new-item-value', type: 'text', maxlength: 8192, autocomplete: 'off' });
  const secret = h('input', { id: 'new-item-secret', type: 'checkbox',
    onchange: () => { value.type = secret.checked ? 'password' : 'text'; } });
  const make = h('button', { type: 'button', onclick: async () => {
    if (make.disabled) return;
    make.disabled = true; // a double click makes one item
    try {
      const e = await api('POST', '/catalog/items', { key: key.value.trim(), value: value.value, secret: secret.checked });
      chosen.set(e.id, label(e));
      key.value = '';
      value.value = '';
      secret.checked = false;
      value.type = 'text';
      touch();
      redraw();
      fill(problem);
      announce(`Created and added item ${e.key}.`);
    } catch (err) {
      fill(problem, errorBox(err, 'Could not create the item'));
    } finally {
      make.disabled = false;
    }
  } }, 'Create item');
  // Enter in the new item's fields creates it (and never reaches the form).
  for (const input of [key, value]) {
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') { ev.preventDefault(); make.click(); }
    });
  }
  return h('details', { class: 'new-item' }, h('summary', {}, 'New item'),
    // "Secret" comes first, so that a secret value is masked from its first character.
    h('div', { class: 'check' }, secret, h('label', { for: 'new-item-secret' }, 'Secret (stored encrypted, never shown again)')),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'new-item-key' }, 'Key'), key),
      h('div', { class: 'field' }, h('label', { for: 'new-item-value' }, 'Value'), value)),
    make);
}
