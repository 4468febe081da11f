// The operator's screen: the read models' position, lag, errors and generation (with a
// rebuild's progress), the services and relay as readiness reports them, and the dead
// letters, which an operator redrives or discards (ADR 021).

import { useState } from '../vendor/htm-preact-3.1.1.mjs';
import { api, seg } from './api.js';
import { html, useLoad, useCommand, Loaded, ProblemBox, Field, Time, formValues, Empty, Status } from './ui.js';

export function Operations({ session }) {
  const status = useLoad(() => api('GET', '/api/v1/audit/rebuilds'), [], 3_000);
  const health = useLoad(() => fetch('/health/ready').then((r) => r.json()), [], 5_000);
  const letters = useLoad(() => api('GET', '/api/v1/ops/dead-letters'), [], 5_000);
  return html`
    <${ReadModels} state=${status} admin=${session.roles.includes('admin')} />
    <${Services} state=${health} />
    <${DeadLetters} state=${letters} onChanged=${() => { letters.reload(true); status.reload(true); }} />`;
}

function ReadModels({ state, admin }) {
  const rebuild = useCommand(() => state.reload(true));
  return html`<section aria-labelledby="rm-title"><h2 id="rm-title">Read models</h2>
    <${Loaded} state=${state} what="the read models' status" isEmpty=${(d) => d.read_models.length === 0} empty="No read models.">
      ${(d) => {
        const head = d.event_store ? d.event_store.head : null;
        return html`
        <p class="muted">Event store head: ${head === null ? 'unknown (the command service does not answer)' : `position ${head}`}
          ${d.storage && ` · read models ${(d.storage.database_bytes / 1_048_576).toFixed(1)} MiB`}</p>
        <div class="table-wrap"><table class="read-models">
          <thead><tr><th scope="col">Read model</th><th scope="col">Position</th><th scope="col">Lag</th><th scope="col">Generation</th>
            <th scope="col">Rebuild</th><th scope="col">Dead letters</th><th scope="col">Last error</th>${admin && html`<th scope="col"><span class="sr-only">Actions</span></th>`}</tr></thead>
          <tbody>${d.read_models.map((m) => html`<tr data-read-model=${m.name}>
            <th scope="row">${m.name}</th><td>${m.position}</td>
            <td class=${m.lag > 0 ? 'warn' : ''} data-lag=${m.lag}>${m.lag}</td><td>${m.generation}</td>
            <td>${m.rebuilding ? html`<progress max=${head || m.rebuild_position || 1} value=${m.rebuild_position}></progress> ${m.rebuild_position}${head ? ` of ${head}` : ''}` : '—'}</td>
            <td class=${m.dead_letter_count > 0 ? 'warn' : ''}>${m.dead_letter_count}</td>
            <td>${m.last_error || '—'}</td>
            ${admin && html`<td><button type="button" disabled=${rebuild.busy || m.rebuilding}
              onClick=${() => rebuild.run(() => api('POST', '/api/v1/audit/rebuilds', { body: { read_models: [m.name] } }))}>Rebuild</button></td>`}
          </tr>`)}</tbody>
        </table></div>
        ${!admin && html`<p class="hint">Rebuilds are an admin's.</p>`}
        <${ProblemBox} problem=${rebuild.problem} what="The rebuild did not start" />`;
      }}
    <//>
  </section>`;
}

function Services({ state }) {
  return html`<section aria-labelledby="svc-title"><h2 id="svc-title">Services</h2>
    <${Loaded} state=${state} what="readiness">
      ${(d) => html`<ul class="chips">${(d.dependencies || []).map((dep) => html`<li><strong>${dep.name.replace(/_/g, ' ')}</strong> <${Status} value=${dep.status} /></li>`)}</ul>
        ${!(d.dependencies || []).some((dep) => dep.name === 'kafka_relay') && html`<p class="hint">No Kafka relay runs: this platform publishes no events to Kafka (the embedded default).</p>`}`}
    <//>
  </section>`;
}

function DeadLetters({ state, onChanged }) {
  const redrive = useCommand(onChanged);
  const [redriven, setRedriven] = useState(null);
  const redriveAll = (readModel) => redrive.run(async () => {
    setRedriven(await api('POST', `/api/v1/ops/dead-letters/${seg(readModel)}/redrive`));
  });
  return html`<section aria-labelledby="dl-title"><h2 id="dl-title">Dead letters</h2>
    <${Loaded} state=${state} what="the dead letters" isEmpty=${(d) => d.dead_letters.length === 0 && d.discarded.length === 0}
      empty="No dead letters: every event applied to every read model.">
      ${(d) => {
        const models = [...new Set(d.dead_letters.map((l) => l.read_model))];
        return html`
        ${d.dead_letters.length === 0 ? html`<${Empty}>No parked events.<//>` : html`
          <div class="actions-row">${models.map((m) => html`<button type="button" disabled=${redrive.busy} onClick=${() => redriveAll(m)}>Redrive ${m}</button>`)}</div>
          <${ProblemBox} problem=${redrive.problem} what="The redrive was refused" />
          ${redriven && html`<p role="status">${redriven.redriven.length} applied, ${redriven.failed.length} failed again.</p>`}
          <div class="table-wrap"><table>
            <thead><tr><th scope="col">Read model</th><th scope="col">Position</th><th scope="col">Event</th><th scope="col">Stream</th><th scope="col">Reason</th><th scope="col">Attempts</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>${d.dead_letters.map((l) => html`<${Letter} key=${`${l.read_model}-${l.position}`} letter=${l} onChanged=${onChanged} />`)}</tbody>
          </table></div>`}
        ${d.discarded.length > 0 && html`<details><summary>Discarded (${d.discarded.length})</summary><ul>
          ${d.discarded.map((x) => html`<li>${x.dead_letter.read_model} #${x.dead_letter.position} ${x.dead_letter.event_type}: “${x.discard_reason}” by ${x.discarded_by}, <${Time} at=${x.discarded_at} withDate=${true} /></li>`)}
        </ul></details>`}`;
      }}
    <//>
  </section>`;
}

function Letter({ letter: l, onChanged }) {
  const [discarding, setDiscarding] = useState(false);
  const act = useCommand(onChanged);
  const path = `/api/v1/ops/dead-letters/${seg(l.read_model)}/${l.position}`;
  return html`<tr>
    <td>${l.read_model}</td><td>${l.position}</td><td>${l.event_type}</td><td><code>${l.stream_id}</code> v${l.version}</td>
    <td>${l.held_behind !== null && l.held_behind !== undefined ? `held behind #${l.held_behind}` : l.reason}</td><td>${l.attempts}</td>
    <td>
      ${l.held_behind === null || l.held_behind === undefined ? html`<button type="button" disabled=${act.busy} onClick=${() => act.run(() => api('POST', `${path}/redrive`))}>Redrive</button>` : ''}
      ${discarding ? html`<form class="inline-form" onSubmit=${(e) => { const body = formValues(e); act.run(() => api('POST', `${path}/discard`, { body })); }}>
          <${Field} label="Why discard it" name="reason" problem=${act.problem}><input name="reason" required /><//>
          <button type="submit" class="danger" disabled=${act.busy}>Discard</button>
          <button type="button" onClick=${() => setDiscarding(false)}>Keep</button>
        </form>`
        : html`<button type="button" class="danger" onClick=${() => setDiscarding(true)}>Discard…</button>`}
      <${ProblemBox} problem=${act.problem} />
    </td>
  </tr>`;
}
