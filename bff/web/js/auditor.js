// The auditor's screen: a stream's history, its state at a version or a moment, the
// diff between two versions, the trace of a correlation id, the log's integrity proof,
// and the export — all replayed from the event log, not from the read models.

import { useState } from '../vendor/htm-preact-3.1.1.mjs';
import { api, seg } from './api.js';
import { html, useLoad, useCommand, Loaded, ProblemBox, Field, Time, toUtc, formValues, Empty, short } from './ui.js';

export function Audit() {
  const [stream, setStream] = useState('');
  const [trace, setTrace] = useState('');
  return html`
    <${Verify} stream=${stream} />
    <div class="split">
      <${Streams} selected=${stream} onSelect=${setStream} />
      <div class="stack">
        ${stream ? html`<${Stream} key=${stream} id=${stream} onTrace=${setTrace} />` : html`<${Empty}>Choose a stream to replay it.<//>`}
        <${Trace} key=${trace} id=${trace} onSelect=${setStream} />
      </div>
    </div>`;
}

/** A stream's id without its type: a licence plate or a date whole, a UUID by its tail. */
function idOf(stream, type) {
  const rest = stream.startsWith(`${type}-`) ? stream.slice(type.length + 1) : stream;
  return rest.length <= 12 ? rest : `…${rest.slice(-6)}`;
}

/** The streams the log holds (from its first 500 events), and one typed by id. */
function Streams({ selected, onSelect }) {
  const [type, setType] = useState('');
  const events = useLoad(() => api('GET', '/api/v1/audit/events', { query: { limit: 500 } }), []);
  return html`<section aria-labelledby="streams-title"><h2 id="streams-title">Streams</h2>
    <form class="field inline" onSubmit=${(e) => { const v = formValues(e); if (v.stream.trim()) onSelect(v.stream.trim()); }}>
      <label for="stream-id">Stream id</label>
      <input id="stream-id" name="stream" placeholder="customer-…" required />
      <button type="submit">Open</button>
    </form>
    <${Loaded} state=${events} what="the log" isEmpty=${(d) => d.events.length === 0} empty="The log is empty.">
      ${(d) => {
        const streams = new Map();
        for (const e of d.events) {
          const s = streams.get(e.stream_id) || { type: e.aggregate_type, events: 0, last: e.event_type };
          s.events += 1;
          s.last = e.event_type;
          streams.set(e.stream_id, s);
        }
        const types = [...new Set([...streams.values()].map((s) => s.type))].sort();
        return html`<div class="field inline">
            <label for="stream-type">Type</label>
            <select id="stream-type" value=${type} onChange=${(e) => setType(e.currentTarget.value)}>
              <option value="">All</option>${types.map((t) => html`<option value=${t}>${t.replace(/_/g, ' ')}</option>`)}
            </select>
          </div>
          <ul class="rows scroll">${[...streams].filter(([, s]) => !type || s.type === type).map(([id, s]) => html`<li>
          <button type="button" class="row" aria-pressed=${id === selected} onClick=${() => onSelect(id)} title=${id}>
            <strong>${s.type.replace(/_/g, ' ')}</strong><span class="muted"><code>${idOf(id, s.type)}</code> · ${s.events} event${s.events === 1 ? '' : 's'}</span>
          </button></li>`)}</ul>`;
      }}
    <//>
  </section>`;
}

function Actor({ actor }) {
  return actor ? html`${actor.subject} <span class="muted">(${actor.role})</span>` : html`<span class="muted">unknown</span>`;
}

/** A stream's whole history, 500 events a page. */
async function historyOf(id) {
  const events = [];
  let after;
  do {
    const page = await api('GET', `/api/v1/audit/streams/${seg(id)}/events`, { query: { limit: 500, after } });
    events.push(...page.events);
    after = page.next;
  } while (after !== null && after !== undefined && events.length < 10_000);
  return { events, cut: after !== null && after !== undefined };
}

function Stream({ id, onTrace }) {
  const history = useLoad(() => historyOf(id), [id]);
  const download = useCommand();
  const exportStream = () => download.run(async () => {
    const blob = await api('GET', '/api/v1/audit/export', { query: { stream: id }, as: 'blob' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${id}.ndjson`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  });
  return html`<section class="panel" aria-labelledby="history-title">
    <h2 id="history-title">History of <code>${id}</code></h2>
    <div class="actions-row"><button type="button" disabled=${download.busy} onClick=${exportStream}>Export (NDJSON)</button></div>
    <${ProblemBox} problem=${download.problem} what="Export failed" />
    <${Loaded} state=${history} what="the history" isEmpty=${(d) => d.events.length === 0} empty="This stream has no events.">
      ${(d) => html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Version</th><th scope="col">Event</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Correlation</th></tr></thead>
        <tbody>${d.events.map((e) => html`<tr>
          <td>${e.version}</td><td>${e.event_type}</td><td><${Time} at=${e.occurred_at} withDate=${true} /></td>
          <td><${Actor} actor=${e.actor} /></td>
          <td><button type="button" class="link" onClick=${() => onTrace(e.correlation_id)} title=${e.correlation_id}>trace ${short(e.correlation_id)}</button></td>
        </tr>`)}</tbody></table></div>
        ${d.cut && html`<p class="notice">The first ${d.events.length} events are shown; export the stream for all of them.</p>`}
        <${StateAt} id=${id} last=${d.events[d.events.length - 1].version} />
        <${Diff} id=${id} last=${d.events[d.events.length - 1].version} />`}
    <//>
  </section>`;
}

function Json({ value }) {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

function StateAt({ id, last }) {
  const [state, setState] = useState(null);
  const load = useCommand();
  const submit = (e) => {
    const v = formValues(e);
    const query = v.at ? { at: toUtc(v.at) } : { version: v.version };
    load.run(async () => setState(await api('GET', `/api/v1/audit/streams/${seg(id)}/state`, { query })));
  };
  return html`<section aria-labelledby="state-title"><h3 id="state-title">State as of</h3>
    <form class="grid-form" onSubmit=${submit}>
      <${Field} label="Version" name="version" problem=${load.problem}><input name="version" type="number" min="1" max=${last} value=${last} /><//>
      <${Field} label="or at a moment" name="at" problem=${load.problem} hint="Overrides the version"><input name="at" type="datetime-local" /><//>
      <div class="wide"><${ProblemBox} problem=${load.problem} /><button type="submit" disabled=${load.busy}>Show the state</button></div>
    </form>
    ${state && html`<p>Version ${state.version} of ${state.current_version}${state.last_event ? html`, after ${state.last_event.event_type}` : ''}</p><${Json} value=${state.state} />`}
  </section>`;
}

function Diff({ id, last }) {
  const [diff, setDiff] = useState(null);
  const load = useCommand();
  const submit = (e) => {
    const v = formValues(e);
    load.run(async () => setDiff(await api('GET', `/api/v1/audit/streams/${seg(id)}/diff`, { query: { from: v.from, to: v.to } })));
  };
  return html`<section aria-labelledby="diff-title"><h3 id="diff-title">What changed between two versions</h3>
    <form class="grid-form" onSubmit=${submit}>
      <${Field} label="From version" name="from" problem=${load.problem}><input name="from" type="number" min="0" required value=${Math.max(0, last - 1)} /><//>
      <${Field} label="To version" name="to" problem=${load.problem}><input name="to" type="number" min="0" required value=${last} /><//>
      <div class="wide"><${ProblemBox} problem=${load.problem} /><button type="submit" disabled=${load.busy}>Compare</button></div>
    </form>
    ${diff && (diff.changes.length === 0 ? html`<${Empty}>No field changed between versions ${diff.from_version} and ${diff.to_version}.<//>`
      : html`<div class="table-wrap"><table class="diff">
        <caption>Versions ${diff.from_version} → ${diff.to_version}</caption>
        <thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th><th scope="col">Changed by</th></tr></thead>
        <tbody>${diff.changes.map((c) => html`<tr><th scope="row"><code>${c.path}</code></th>
          <td class="before">${JSON.stringify(c.before)}</td><td class="after">${JSON.stringify(c.after)}</td>
          <td>${c.changed_by.map((r) => r.event_type).join(', ')}</td></tr>`)}</tbody>
      </table></div>`)}
  </section>`;
}

function Trace({ id, onSelect }) {
  const [wanted, setWanted] = useState(id);
  const trace = useLoad(() => (wanted ? api('GET', `/api/v1/audit/traces/${seg(wanted)}`) : Promise.resolve(null)), [wanted]);
  return html`<section class="panel" aria-labelledby="trace-title"><h2 id="trace-title">Trace a correlation id</h2>
    <form class="field inline" onSubmit=${(e) => { const v = formValues(e); setWanted(v.correlation_id.trim()); }}>
      <label for="trace-id">Correlation id</label>
      <input id="trace-id" name="correlation_id" required value=${wanted} />
      <button type="submit">Trace</button>
    </form>
    ${wanted && html`<${Loaded} state=${trace} what="the trace">
      ${(t) => t && html`<ol class="trace">${t.steps.map((s) => html`<li class=${`depth-${Math.min(s.depth, 4)}`}>
        <button type="button" class="link" onClick=${() => onSelect(s.event.stream_id)}>${s.event.event_type}</button>
        <span class="muted"> v${s.event.version} · <${Actor} actor=${s.event.actor} /> · <${Time} at=${s.event.occurred_at} withDate=${true} /></span>
      </li>`)}</ol>`}
    <//>`}
  </section>`;
}

function Verify({ stream }) {
  const [report, setReport] = useState(null);
  const check = useCommand();
  const verify = (which) => check.run(async () => setReport(await api('GET', '/api/v1/audit/verify', { query: { stream: which } })));
  return html`<section class="panel" aria-labelledby="verify-title"><h2 id="verify-title">Integrity</h2>
    <div class="actions-row">
      <button type="button" disabled=${check.busy} onClick=${() => verify('')}>Verify the whole log</button>
      ${stream && html`<button type="button" disabled=${check.busy} onClick=${() => verify(stream)}>Verify this stream</button>`}
    </div>
    <${ProblemBox} problem=${check.problem} what="Verification failed to run" />
    ${report && html`<div class=${`verdict ${report.intact ? 'intact' : 'broken'}`} role="status">
      <strong>${report.intact ? 'Intact' : 'Broken'}</strong>
      <p>${report.events_checked} events in ${report.streams_checked} streams checked, up to position ${report.last_position}.</p>
      ${report.first_break && html`<p>First break: ${report.first_break.kind} in <code>${report.first_break.stream_id}</code> at version ${report.first_break.version}: ${report.first_break.detail}</p>`}
      ${report.witness && html`<p>Signed heads: ${report.witness.heads_checked} checked${report.witness.newest_signed_at ? html`, the newest at <${Time} at=${report.witness.newest_signed_at} withDate=${true} />` : ''}.${report.witness.problem ? ` ${report.witness.problem}` : ''}</p>`}
    </div>`}
  </section>`;
}
