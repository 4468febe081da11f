// What every screen shares: loading a resource, running a command, showing a problem
// (its `detail`, and the field at fault next to its input), and dates and times shown
// in the browser's time zone but sent as UTC.

import { html, useState, useEffect, useCallback, useRef } from '../vendor/htm-preact-3.1.1.mjs';
import { api, Problem } from './api.js';

export { html };

/**
 * Loads what `load()` answers and reloads it when `deps` change or `reload()` is
 * called; `every` (ms) polls. Answers `{ data, problem, loading, reload }`.
 */
export function useLoad(load, deps = [], every = 0) {
  const [state, setState] = useState({ data: null, problem: null, loading: true });
  const generation = useRef(0);
  const reload = useCallback(async (quiet = false) => {
    const mine = ++generation.current;
    // A load for other inputs (another day, filter, search) shows nothing of the old
    // answer; a quiet refresh keeps it on screen until the new one arrives.
    if (!quiet) setState({ data: null, problem: null, loading: true });
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, problem: null, loading: false });
    } catch (problem) {
      if (mine === generation.current) setState((s) => ({ data: s.data, problem: asProblem(problem), loading: false }));
    }
  }, deps);
  useEffect(() => {
    reload();
    if (!every) return undefined;
    const timer = setInterval(() => reload(true), every);
    return () => clearInterval(timer);
  }, [reload]);
  return { ...state, reload };
}

/**
 * A command's form state: `run(fn)` calls it, keeps its problem if refused and calls
 * `done(result)` if accepted. Answers `{ run, busy, problem, clear }`.
 */
export function useCommand(done) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const run = async (fn) => {
    setBusy(true);
    setProblem(null);
    try {
      const result = await fn();
      setBusy(false);
      if (done) await done(result);
      return result;
    } catch (error) {
      setBusy(false);
      setProblem(asProblem(error));
      return undefined;
    }
  };
  return { run, busy, problem, clear: () => setProblem(null) };
}

function asProblem(error) {
  if (error instanceof Problem) return error;
  console.error(error);
  return new Problem(0, { title: 'Something went wrong in this page', detail: String(error && error.message) });
}

/**
 * A refusal: its title and detail; a conflict names what holds the slot. `holders`:
 * what the screen knows of the ids the refusal names (e.g. the jobs on the board).
 */
export function ProblemBox({ problem, what = 'The request was refused', holders = [] }) {
  if (!problem) return null;
  const conflict = problem.status === 409;
  return html`<div class=${`problem ${conflict ? 'conflict' : ''}`} role="alert" data-status=${problem.status}>
    <strong>${conflict ? 'Conflict' : problem.title || what}</strong>
    <p class="detail">${problem.detail}</p>
    ${(problem.conflictingId || holders.length > 0) && html`<div class="holder">
      <p>Held by${problem.conflictingId && html` <code>${problem.conflictingId}</code>`}${problem.conflictingSlot
        && html` from ${time(problem.conflictingSlot.start)} to ${time(problem.conflictingSlot.end)}`}${holders.length > 0 ? ':' : ''}</p>
      ${holders.length > 0 && html`<ul>${holders.map((h) => html`<li>${h}</li>`)}</ul>`}
    </div>`}
    ${problem.field && html`<p class="field-at-fault">Field: <code>${problem.field}</code></p>`}
  </div>`;
}

/**
 * A labelled input. `name` is the request field it fills: when the problem names it,
 * its detail is shown under the input and the input is marked invalid.
 */
let fields = 0;

export function Field({ label, name, problem, hint, children }) {
  const id = useRef(`f${++fields}-${name.replace(/[^a-z0-9]+/gi, '-')}`).current;
  const faulty = problem && problem.field && (problem.field === name || problem.field.endsWith(`.${name}`));
  const child = Array.isArray(children) ? children[0] : children;
  if (child && child.props) {
    child.props.id = id;
    if (faulty) {
      child.props['aria-invalid'] = 'true';
      child.props['aria-describedby'] = `${id}-error`;
    } else if (hint) {
      child.props['aria-describedby'] = `${id}-hint`;
    }
  }
  return html`<div class=${`field ${faulty ? 'invalid' : ''}`}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint && !faulty && html`<small class="hint" id=${`${id}-hint`}>${hint}</small>`}
    ${faulty && html`<small class="error" id=${`${id}-error`}>${problem.detail}</small>`}
  </div>`;
}

/**
 * A ref for an element to take the focus when it appears (a panel's heading, with
 * `tabindex="-1"`), so keyboard and screen-reader users land where the page changed.
 */
export function useFocusOnMount() {
  const ref = useRef(null);
  useEffect(() => {
    if (ref.current) ref.current.focus();
  }, []);
  return ref;
}

/** A panel's heading that takes the focus when the panel opens. */
export function PanelHeading({ id, children }) {
  const ref = useFocusOnMount();
  return html`<h2 id=${id} tabindex="-1" ref=${ref}>${children}</h2>`;
}

export function Loading({ what = 'Loading' }) {
  return html`<p class="loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${what}…</p>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/** The common states of a loaded resource: loading, refused, empty; or `children(data)`. */
export function Loaded({ state, empty, isEmpty, what, children }) {
  if (state.loading && state.data === null) return html`<${Loading} what=${what ? `Loading ${what}` : 'Loading'} />`;
  if (state.problem && state.data === null) {
    return html`<${ProblemBox} problem=${state.problem} what=${`Cannot load ${what || 'this'}`} />
      <button type="button" onClick=${() => state.reload()}>Try again</button>`;
  }
  if (state.data === null) return null;
  if (isEmpty && isEmpty(state.data)) return html`<${Empty}>${empty}<//>`;
  return html`${state.problem && html`<${ProblemBox} problem=${state.problem} what="Refreshing failed" />`}${children(state.data)}`;
}

export function Status({ value }) {
  return html`<span class=${`status status-${value}`}>${(value || 'unknown').replace(/_/g, ' ')}</span>`;
}

// Dates and times: the API speaks UTC (RFC 3339); people read their own time zone.
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** `14:30` in the browser's time zone. */
export function time(iso) {
  return iso ? timeFormat.format(new Date(iso)) : '—';
}

/** `7 Dec 2026, 14:30` in the browser's time zone. */
export function dateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : '—';
}

export function Time({ at, withDate = false }) {
  if (!at) return html`<span>—</span>`;
  return html`<time datetime=${at}>${withDate ? dateTime(at) : time(at)}</time>`;
}

const pad = (n) => String(n).padStart(2, '0');

/** Today's date in the browser's time zone, `YYYY-MM-DD`. */
export function today() {
  return localDate(new Date());
}

export function localDate(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The value of a `datetime-local` input for an instant, in the browser's time zone. */
export function localInput(iso) {
  const d = new Date(iso);
  return `${localDate(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (or a date and an `HH:MM`) as the UTC instant the API takes. */
export function toUtc(local, hhmm) {
  if (!local) return '';
  const date = new Date(hhmm ? `${local}T${hhmm}` : local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const short = (id) => (id ? String(id).slice(-6) : '');

/** A form's named values. */
export function formValues(event) {
  event.preventDefault();
  return Object.fromEntries(new FormData(event.currentTarget).entries());
}

/** An inline confirmation of an irreversible action: a first press asks, a second acts. */
export function Confirm({ label, question, confirmLabel, onConfirm, busy }) {
  const [asking, setAsking] = useState(false);
  if (!asking) return html`<button type="button" class="danger" onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<${Asking} label=${label} question=${question} confirmLabel=${confirmLabel} onConfirm=${onConfirm}
    busy=${busy} onKeep=${() => setAsking(false)} />`;
}

/** The question, with the focus on the button that keeps things as they are. */
function Asking({ label, question, confirmLabel, onConfirm, busy, onKeep }) {
  const keep = useFocusOnMount();
  return html`<div class="confirm" role="group" aria-label=${label}>
    <p>${question}</p>
    <button type="button" class="danger" disabled=${busy} onClick=${() => onConfirm()}>${confirmLabel}</button>
    <button type="button" ref=${keep} onClick=${onKeep}>Keep it</button>
  </div>`;
}
