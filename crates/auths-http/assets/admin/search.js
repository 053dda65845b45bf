// The search view: a search box, the department facet, a table of results, paging.
// Its state lives in the address (#/?q=...&dep=...&offset=...), so a search can be
// bookmarked, shared within the team, and gone back to.

import { api, can } from './api.js';
import { errorBox, fill, focus, h, labels, pager, scroll, when } from './dom.js';

const PAGE_SIZE = 25;

function stateOf(params) {
  return {
    q: params.get('q') || '',
    deps: (params.get('dep') || '').split(',').filter(Boolean),
    dq: params.get('dq') || '',
    offset: Math.max(0, Number(params.get('offset')) || 0),
  };
}

function hashOf(s) {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.deps.length) p.set('dep', s.deps.join(','));
  if (s.dq) p.set('dq', s.dq);
  if (s.offset) p.set('offset', String(s.offset));
  const q = p.toString();
  return q ? `#/?${q}` : '#/';
}

export async function renderSearch(ctx) {
  let state = stateOf(ctx.params);
  const box = h('input', { id: 'search', name: 'search', type: 'search', maxlength: 1000, value: state.q, autocomplete: 'off' });
  const form = h('form', { role: 'search', class: 'search', 'aria-label': 'Auths' },
    h('label', { for: 'search' }, 'Search'), box,
    h('button', { type: 'submit', class: 'primary' }, 'Search'));
  const depBox = h('input', { id: 'department-search', type: 'search', maxlength: 255, value: state.dq, autocomplete: 'off' });
  const facetList = h('div', { class: 'facet-options' });
  const facet = h('fieldset', { class: 'facet' },
    h('legend', {}, 'Departments'),
    h('label', { for: 'department-search', class: 'small' }, 'Find a department'), depBox,
    facetList);
  const count = h('p', { class: 'count', id: 'result-count', role: 'status' });
  const results = h('div', { class: 'results' });
  const problem = h('div');
  fill(ctx.main,
    h('div', { class: 'heading' }, h('h1', {}, 'Auths'),
      can.has('create') && can.has('edit_draft') ? h('a', { class: 'button', href: '#/new' }, 'New auth') : null),
    form, problem,
    h('div', { class: 'columns' }, h('aside', {}, facet), h('section', { 'aria-labelledby': 'result-count' }, count, results)));

  let pending = false;
  const navigate = (next, replace = false) => {
    // The same question again while it is being answered (a held Enter key): once.
    if (pending && hashOf(next) === hashOf(state)) return;
    state = next;
    ctx.go(hashOf(state), { quiet: true, replace });
    load();
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    navigate({ ...state, q: box.value.trim(), offset: 0 });
  });
  let timer = null;
  depBox.addEventListener('input', () => {
    clearTimeout(timer);
    // Typing narrows the facet in place: one history entry, not one a keystroke.
    timer = setTimeout(() => navigate({ ...state, dq: depBox.value.trim() }, true), 250);
  });

  let seq = 0;
  async function load() {
    const mine = ++seq;
    pending = true;
    results.setAttribute('aria-busy', 'true');
    let page;
    try {
      page = await api('POST', '/artifacts/auths/search', {
        search: state.q || null,
        filter_department_ids: state.deps.length ? state.deps : null,
        department_search: state.dq || null,
        page_size: PAGE_SIZE,
        page_offset: state.offset,
      });
    } catch (err) {
      if (mine !== seq) return;
      pending = false;
      results.removeAttribute('aria-busy');
      fill(problem, errorBox(err, 'Search failed'));
      return;
    }
    if (mine !== seq) return; // an answer to an older question
    pending = false;
    fill(problem);
    results.removeAttribute('aria-busy');
    showFacet(page.department_filter.options);
    const n = page.total_count;
    const first = n ? state.offset + 1 : 0;
    const last = state.offset + page.auths.length;
    count.textContent = n === 0 ? 'No auths match.'
      : `${n} auth${n === 1 ? '' : 's'}${n > page.auths.length ? `, ${first}–${last} shown` : ''}`;
    fill(results,
      page.auths.length ? scroll(table(page.auths)) : null,
      !page.auths.length && n > 0 ? h('p', {}, 'This page is past the last result. ',
        h('a', { href: hashOf({ ...state, offset: 0 }) }, 'First page')) : null,
      pager(n, state.offset, PAGE_SIZE, (o) => hashOf({ ...state, offset: o })));
    return true;
  }

  function showFacet(options) {
    // A checkbox redrawn keeps the focus it had (keyboard users stay where they were).
    const had = document.activeElement && facetList.contains(document.activeElement)
      ? document.activeElement.id : null;
    // Selected departments stay listed (and can be cleared) even when the department
    // search no longer matches them.
    const shown = options.map((o) => o.id);
    const items = options.map((o) => {
      const id = `dep-${o.id}`;
      const box = h('input', { type: 'checkbox', id, value: o.id, checked: state.deps.includes(o.id) });
      box.addEventListener('change', () => {
        const deps = box.checked ? [...state.deps, o.id] : state.deps.filter((d) => d !== o.id);
        navigate({ ...state, deps, offset: 0 });
      });
      return h('div', { class: 'check' }, box, h('label', { for: id }, o.name, ' ', h('span', { class: 'badge' }, `${o.count}`)));
    });
    const hidden = state.deps.filter((d) => !shown.includes(d));
    fill(facetList,
      items.length ? items : h('p', { class: 'hint' }, 'No department matches.'),
      hidden.length ? h('button', { type: 'button', class: 'link', onclick: () => { navigate({ ...state, deps: [], offset: 0 }); depBox.focus(); } },
        hidden.length === 1 ? 'Clear 1 hidden filter' : `Clear ${hidden.length} hidden filters`) : null);
    if (had) {
      const again = facetList.querySelector(`#${CSS.escape(had)}`);
      if (again) again.focus();
    }
  }

  await load();
  return {
    // A page link or Back: the new results, read from their count (focus and scroll
    // move there, not to the top of an unchanged form).
    async update(params) {
      const next = stateOf(params);
      box.value = next.q;
      depBox.value = next.dq;
      state = next;
      if (await load()) focus(count);
    },
  };
}

function table(auths) {
  return h('table', { class: 'list' },
    h('caption', { class: 'visually-hidden' }, 'Matching auths'),
    h('thead', {}, h('tr', {}, ['Name', 'Description', 'Flag', 'Protocols', 'Departments', 'Version', 'Updated']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, auths.map((a) => h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/auth/${encodeURIComponent(a.auth_id)}` }, a.name.label)),
      h('td', { class: 'clip' }, a.description ? a.description.label : ''),
      h('td', {}, h('span', { class: `flag flag-${a.flag.label}` }, a.flag.label)),
      h('td', {}, labels(a.protocols)),
      h('td', {}, labels(a.departments)),
      h('td', { class: 'num' }, a.version),
      h('td', {}, when(a.updated_at))))));
}
