// The one way the app talks to the BFF: the documented `/api/v1` routes, with the
// session's bearer token, an `Idempotency-Key` on every write, and read-your-writes:
// after a command, reads pass its consistency token as `?after=` so the screen shows
// what was just done, never the read model from before it.

/** A refusal of the API, carrying its `application/problem+json` body. */
export class Problem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.title = body.title || '';
    this.detail = body.detail || '';
    // The request field at fault (`slot.start`, `driver_id`): shown next to its input.
    this.field = normalizeField(body.field);
    this.reason = body.reason || '';
    this.conflictingId = body.conflicting_id || '';
    this.conflictingSlot = body.conflicting_slot || null;
    this.type = body.type || '';
  }
}

function normalizeField(field) {
  if (!field) return '';
  return String(field).replace(/^\$\.?/, '').replace(/^\//, '').replace(/\//g, '.');
}

let token = null;
let onUnauthorized = () => {};
// The last consistency token a command returned, and until when reads wait for it.
let lastWrite = null;

export function useToken(bearer, whenRefused) {
  // Another caller's writes are not this one's to wait for.
  if (bearer !== token) lastWrite = null;
  token = bearer;
  onUnauthorized = whenRefused || (() => {});
}

/** Reads that take `?after=` (everything but the audit log and operations, which read the log or the runtime directly). */
function readsReadModels(path) {
  return path.startsWith('/api/v1/') && !path.startsWith('/api/v1/audit') && !path.startsWith('/api/v1/ops');
}

/**
 * Calls the API. `query`: parameters (empty values are left out). Answers the parsed
 * JSON body, or throws a `Problem`.
 */
export async function api(method, path, { body, query, as = 'json' } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
  }
  if (method === 'GET' && lastWrite && readsReadModels(path) && !url.searchParams.has('after')) {
    if (Date.now() < lastWrite.until) url.searchParams.set('after', lastWrite.token);
    else lastWrite = null;
  }
  const headers = { Accept: as === 'json' ? 'application/json' : '*/*' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['Idempotency-Key'] = crypto.randomUUID();
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new Problem(0, { title: 'The platform cannot be reached', detail: `${error.message}: is pitlane running?` });
  }
  const consistency = response.headers.get('X-Consistency-Token');
  if (consistency && method !== 'GET') lastWrite = { token: consistency, until: Date.now() + 30_000 };
  if (!response.ok) {
    const problem = new Problem(response.status, await problemBody(response));
    if (response.status === 401) onUnauthorized(problem);
    throw problem;
  }
  if (as === 'blob') return response.blob();
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

async function problemBody(response) {
  try {
    const body = await response.json();
    return typeof body === 'object' && body ? body : {};
  } catch {
    return { title: response.statusText, detail: `HTTP ${response.status}` };
  }
}

/** Every page of a list endpoint whose body holds `key` (at most `limit` items). */
export async function all(path, key, query = {}, limit = 500) {
  const items = [];
  let pageToken = '';
  do {
    const page = await api('GET', path, { query: { ...query, page_size: 100, page_token: pageToken } });
    items.push(...page[key]);
    pageToken = page.page && page.page.next_page_token;
  } while (pageToken && items.length < limit);
  return items;
}

/** The path segment of an id, escaped. */
export const seg = (value) => encodeURIComponent(value);
