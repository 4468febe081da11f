// The driver's day on a phone: the deliveries assigned to them (the API shows a
// driver nothing else), and each step of one — start transit, reach the checkpoints
// in order, out for delivery, proof of delivery — with incidents reported and resolved
// on the way.

import { useState } from '../vendor/htm-preact-3.1.1.mjs';
import { api, seg } from './api.js';
import { html, useLoad, useCommand, Loaded, ProblemBox, Field, Status, Time, formValues, today, localDate } from './ui.js';

export function MyDeliveries({ session }) {
  const [showAll, setShowAll] = useState(false);
  // Deliveries worked on in this visit stay on screen when they end, whatever their day.
  const [worked, setWorked] = useState([]);
  const list = useLoad(() => api('GET', '/api/v1/deliveries', { query: { driver_id: session.driverId, page_size: 100 } }), []);
  const day = today();
  const shown = (deliveries) => deliveries
    .filter((d) => showAll || worked.includes(d.delivery_id) || localDate(new Date(d.slot.start)) === day
      || !['delivered', 'failed'].includes(d.status))
    .sort((a, b) => a.slot.start.localeCompare(b.slot.start));
  return html`
    <div class="toolbar">
      <label class="check"><input type="checkbox" checked=${showAll} onChange=${(e) => setShowAll(e.currentTarget.checked)} /> Show every day</label>
    </div>
    <${Loaded} state=${list} what="your deliveries" isEmpty=${(d) => shown(d.deliveries).length === 0}
      empty="No deliveries for you today.">
      ${(d) => html`<ul class="cards">${shown(d.deliveries).map((delivery) => html`<li key=${delivery.delivery_id}>
        <${DeliveryCard} delivery=${delivery}
          onChanged=${() => { setWorked((ids) => [...ids, delivery.delivery_id]); return list.reload(true); }} /></li>`)}</ul>`}
    <//>`;
}

/** One delivery with the next steps its status allows. */
export function DeliveryCard({ delivery: d, onChanged, dispatcher = false }) {
  const step = useCommand(onChanged);
  const path = `/api/v1/deliveries/${seg(d.delivery_id)}`;
  const next = d.checkpoints.find((c) => c.status !== 'reached');
  const open = d.status !== 'delivered' && d.status !== 'failed';
  return html`<article class="delivery" data-delivery=${d.delivery_id} aria-labelledby=${`d-${d.delivery_id}`}>
    <header>
      <h2 id=${`d-${d.delivery_id}`}>${d.checkpoints.length ? d.checkpoints[d.checkpoints.length - 1].location : 'Delivery'}</h2>
      <${Status} value=${d.status} />
    </header>
    <p class="muted"><${Time} at=${d.slot.start} />–<${Time} at=${d.slot.end} /> · ${d.vehicle_license_number || 'no van'}${dispatcher ? ` · ${d.driver_name || 'no driver'}` : ''}</p>
    <ol class="checkpoints">${d.checkpoints.map((c) => html`<li class=${`checkpoint-${c.status}`}>
      <span>${c.location}</span>
      <span class="muted">${c.status === 'reached' ? html`reached <${Time} at=${c.reached_at} />` : html`expected <${Time} at=${c.expected_at} />`}</span>
    </li>`)}</ol>
    <div class="actions-row">
      ${d.status === 'picked_up' && html`<button type="button" class="primary" disabled=${step.busy} onClick=${() => step.run(() => api('POST', `${path}/start-transit`))}>Start transit</button>`}
      ${d.status === 'in_transit' && next && html`<button type="button" class="primary" disabled=${step.busy}
        onClick=${() => step.run(() => api('POST', `${path}/checkpoints/${next.sequence}/reach`, { body: { location: next.location } }))}>Reached ${next.location}</button>`}
      ${d.status === 'in_transit' && !next && html`<button type="button" class="primary" disabled=${step.busy} onClick=${() => step.run(() => api('POST', `${path}/out-for-delivery`))}>Out for delivery</button>`}
      ${d.status === 'failed' && dispatcher && html`<button type="button" disabled=${step.busy} onClick=${() => step.run(() => api('POST', `${path}/retry`))}>Retry</button>`}
    </div>
    <${ProblemBox} problem=${step.problem} />
    ${d.status === 'out_for_delivery' && html`<${Proof} path=${path} onDone=${onChanged} />`}
    ${d.proof && html`<p class="proof">Received by <strong>${d.proof.receiver_name}</strong> at <${Time} at=${d.proof.captured_at} /></p>`}
    ${d.failure_reason && html`<p class="notice">Failed: ${d.failure_reason}</p>`}
    <${Incidents} delivery=${d} path=${path} onChanged=${onChanged} />
    ${open && html`<${Fail} path=${path} onDone=${onChanged} />`}
  </article>`;
}

function Proof({ path, onDone }) {
  const proof = useCommand(onDone);
  return html`<form class="grid-form"
    onSubmit=${(e) => { const body = formValues(e); proof.run(() => api('POST', `${path}/proof-of-delivery`, { body })); }}>
    <${Field} label="Received by" name="receiver_name" problem=${proof.problem}><input name="receiver_name" required autocomplete="off" /><//>
    <${Field} label="Signature reference" name="signature_reference" problem=${proof.problem} hint="The signature's file or scan number"><input name="signature_reference" required /><//>
    <div class="wide"><${ProblemBox} problem=${proof.problem} what="The proof was not recorded" />
      <button type="submit" class="primary" disabled=${proof.busy}>Delivered</button></div>
  </form>`;
}

function Incidents({ delivery, path, onChanged }) {
  const [reporting, setReporting] = useState(false);
  const report = useCommand(async () => { setReporting(false); await onChanged(); });
  // Not a landmark: every card has one.
  return html`<div class="incidents">
    ${delivery.incidents.length > 0 && html`<h3>Incidents</h3><ul class="rows">${delivery.incidents.map((i) => html`<li class="row static">
      <span><strong>${i.incident_type}</strong> · ${i.description} <span class="muted">(<${Time} at=${i.reported_at} />)</span></span>
      ${i.resolved ? html`<span class="muted">resolved: ${i.resolution}</span>`
        : html`<${Resolve} key=${i.incident_id} path=${`${path}/incidents/${seg(i.incident_id)}/resolve`} onDone=${onChanged} />`}
    </li>`)}</ul>`}
    ${reporting ? html`<form class="grid-form"
        onSubmit=${(e) => { const body = formValues(e); report.run(() => api('POST', `${path}/incidents`, { body })); }}>
        <${Field} label="Type" name="incident_type" problem=${report.problem}>
          <select name="incident_type">${['traffic', 'vehicle_problem', 'address_not_found', 'customer_absent', 'damaged_goods', 'other'].map((t) => html`<option value=${t}>${t.replace(/_/g, ' ')}</option>`)}</select>
        <//>
        <${Field} label="What happened" name="description" problem=${report.problem}><textarea name="description" rows="2" required></textarea><//>
        <div class="wide"><${ProblemBox} problem=${report.problem} what="The incident was not reported" />
          <button type="submit" disabled=${report.busy}>Report</button>
          <button type="button" onClick=${() => setReporting(false)}>Cancel</button></div>
      </form>` : html`<button type="button" onClick=${() => setReporting(true)}>Report an incident</button>`}
  </div>`;
}

/** Resolving one open incident: its own form, refusal and busy state. */
function Resolve({ path, onDone }) {
  const resolve = useCommand(onDone);
  return html`<form class="inline-form"
    onSubmit=${(e) => { const body = formValues(e); resolve.run(() => api('POST', path, { body })); }}>
    <${Field} label="Resolution" name="resolution" problem=${resolve.problem}><input name="resolution" required /><//>
    <button type="submit" disabled=${resolve.busy}>Resolve</button>
    <${ProblemBox} problem=${resolve.problem} />
  </form>`;
}

function Fail({ path, onDone }) {
  const [open, setOpen] = useState(false);
  const fail = useCommand(onDone);
  if (!open) return html`<button type="button" class="link danger-text" onClick=${() => setOpen(true)}>The delivery failed…</button>`;
  return html`<form class="inline-form"
    onSubmit=${(e) => { const body = formValues(e); fail.run(() => api('POST', `${path}/fail`, { body })); }}>
    <${Field} label="Why it failed" name="reason" problem=${fail.problem}><input name="reason" required /><//>
    <button type="submit" class="danger" disabled=${fail.busy}>Mark failed</button>
    <button type="button" onClick=${() => setOpen(false)}>Cancel</button>
    <${ProblemBox} problem=${fail.problem} />
  </form>`;
}
