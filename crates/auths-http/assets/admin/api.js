// The v5 API, called with the key the person signed in with. The key lives in this
// tab's session storage only and travels as the X-Api-Key header: no cookies, so no
// other site can make the browser call the API on the person's behalf.

const STORE = 'auths.api-key';
const BASE = '/api/v5';

/** Counts sign-ins and sign-outs: work begun under one session ends quietly in another. */
let epoch = 0;

export const session = {
  get key() { return sessionStorage.getItem(STORE); },
  set key(value) { epoch += 1; sessionStorage.setItem(STORE, value); },
  clear() { epoch += 1; sessionStorage.removeItem(STORE); },
  get epoch() { return epoch; },
};

/** The operations the key may call (`POST /artifacts/auths/docs`'s `permissions`), so
 *  that the page offers only what the API would allow. Empty until known. */
export const can = new Set();

/** Asks the server what the key may call. */
export async function loadPermissions() {
  const docs = await api('POST', '/artifacts/auths/docs');
  can.clear();
  for (const p of docs.permissions || []) if (p.allowed) can.add(p.operation);
}

/** An error answer of the API: `status`, `code`, `message`, `details`, and the rest
 *  of the error object (`current_version` on a conflict). */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `the server answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = e.code || 'error';
    this.details = e.details || [];
    this.error = e;
  }
}

/** Listeners told when the key is refused (401): the app signs out. */
const refused = new Set();
export function onRefused(fn) { refused.add(fn); }

async function send(method, path, body, accept) {
  const sent = session.key || '';
  const during = session.epoch;
  const headers = { 'X-Api-Key': sent, Accept: accept };
  const init = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(BASE + path, init);
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* not JSON: the status says it */ }
    const err = new ApiError(res.status, data);
    // Only a refusal of the key still in use signs out (not a late answer to the
    // key of a session since ended).
    if (res.status === 401 && during === session.epoch) refused.forEach((fn) => fn(err));
    throw err;
  }
  return res;
}

/** A JSON call: the answer's JSON, or null for 204; throws ApiError. */
export async function api(method, path, body) {
  const res = await send(method, path, body, 'application/json');
  return res.status === 204 ? null : res.json();
}

/** A file download: the answer as a Blob; throws ApiError. */
export async function fetchBlob(path) {
  const res = await send('GET', path, undefined, 'text/csv, */*');
  return res.blob();
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
