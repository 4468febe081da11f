// The dispatcher's screens: routes and their checkpoints, deliveries with the booking of
// a driver and a van (conflicts shown as the API names them), and live tracking.

import { useState, useEffect } from '../vendor/htm-preact-3.1.1.mjs';
import { api, all, seg } from './api.js';
import {
  html, useLoad, useCommand, Loaded, ProblemBox, Field, Status, Time, toUtc, formValues,
  localInput, Empty, short, time, PanelHeading,
} from './ui.js';
import { DeliveryCard } from './driver.js';

const ROUTE_STATUSES = ['planning', 'active', 'completed', 'cancelled'];
const DELIVERY_STATUSES = ['picked_up', 'in_transit', 'out_for_delivery', 'delivered', 'failed'];

function StatusFilter({ id, statuses, value, onChange }) {
  return html`<div class="field inline">
    <label for=${id}>Status</label>
    <select id=${id} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      <option value="">All</option>
      ${statuses.map((s) => html`<option value=${s}>${s.replace(/_/g, ' ')}</option>`)}
    </select>
  </div>`;
}

export function Routes() {
  const [status, setStatus] = useState('');
  const [selected, setSelected] = useState(null);
  const [creating, setCreating] = useState(false);
  const list = useLoad(() => api('GET', '/api/v1/routes', { query: { status, page_size: 100 } }), [status]);
  return html`
    <div class="toolbar">
      <${StatusFilter} id="route-status" statuses=${ROUTE_STATUSES} value=${status} onChange=${setStatus} />
      <button type="button" class="primary" aria-expanded=${creating} onClick=${() => setCreating(!creating)}>Create a route</button>
    </div>
    ${creating && html`<${CreateRoute} onDone=${async (id) => { setCreating(false); await list.reload(true); setSelected(id); }} />`}
    <div class="split">
      <section aria-labelledby="routes-title"><h2 id="routes-title">Routes</h2>
        <${Loaded} state=${list} what="routes" isEmpty=${(d) => d.routes.length === 0} empty="No routes with this status.">
          ${(d) => html`<ul class="rows">${d.routes.map((r) => html`<li>
            <button type="button" class="row" aria-pressed=${r.route_id === selected} onClick=${() => setSelected(r.route_id)}>
              <strong>${r.origin} → ${r.destination}</strong>
              <span><${Time} at=${r.scheduled_start} withDate=${true} /> · <${Status} value=${r.status} /> · ${r.checkpoints.length} checkpoints</span>
            </button></li>`)}</ul>`}
        <//>
      </section>
      ${selected && html`<${RouteDetail} key=${selected} id=${selected} onChanged=${() => list.reload(true)} />`}
    </div>`;
}

function CreateRoute({ onDone }) {
  const create = useCommand((result) => onDone(result.id));
  const start = new Date(Date.now() + 3_600_000);
  start.setMinutes(0, 0, 0);
  return html`<section class="panel" aria-labelledby="create-route-title"><${PanelHeading} id="create-route-title">Create a route<//>
    <form class="grid-form" onSubmit=${(e) => { const v = formValues(e); create.run(() => api('POST', '/api/v1/routes', { body: { ...v, scheduled_start: toUtc(v.scheduled_start) } })); }}>
      <${Field} label="From" name="origin" problem=${create.problem}><input name="origin" required /><//>
      <${Field} label="To" name="destination" problem=${create.problem}><input name="destination" required /><//>
      <${Field} label="Starts" name="scheduled_start" problem=${create.problem}><input name="scheduled_start" type="datetime-local" required value=${localInput(start.toISOString())} /><//>
      <div class="wide"><${ProblemBox} problem=${create.problem} what="The route was not created" />
        <button type="submit" class="primary" disabled=${create.busy}>Create</button></div>
    </form></section>`;
}

function RouteDetail({ id, onChanged }) {
  const overview = useLoad(() => api('GET', `/api/v1/views/routes/${seg(id)}`), [id]);
  const changed = async () => { await overview.reload(true); onChanged(); };
  const transition = useCommand(changed);
  const checkpoint = useCommand(changed);
  const path = `/api/v1/routes/${seg(id)}`;
  return html`<section class="panel" aria-labelledby="route-title">
    <${Loaded} state=${overview} what="the route">
      ${({ route, deliveries, partial, missing }) => {
        const next = route.checkpoints.reduce((n, c) => Math.max(n, c.sequence), 0) + 1;
        const after = route.checkpoints.length ? route.checkpoints[route.checkpoints.length - 1].expected_at : route.scheduled_start;
        return html`
        <${PanelHeading} id="route-title">${route.origin} → ${route.destination}<//>
        ${partial && html`<p class="notice">Partly shown: ${missing.join(', ')} could not be read.</p>`}
        <dl class="facts"><dt>Status</dt><dd><${Status} value=${route.status} /></dd>
          <dt>Scheduled</dt><dd><${Time} at=${route.scheduled_start} withDate=${true} /> – <${Time} at=${route.scheduled_end} /></dd></dl>
        <h3>Checkpoints</h3>
        ${route.checkpoints.length === 0 ? html`<${Empty}>No checkpoints yet: a route needs one before it is activated.<//>`
          : html`<ol class="checkpoints">${route.checkpoints.map((c) => html`<li>${c.location} · expected <${Time} at=${c.expected_at} /></li>`)}</ol>`}
        ${route.status === 'planning' && html`<form class="grid-form" aria-label="Add a checkpoint"
            onSubmit=${(e) => { const v = formValues(e); checkpoint.run(() => api('POST', `${path}/checkpoints`, { body: { sequence: Number(v.sequence), location: v.location, expected_at: toUtc(v.expected_at) } })); }}>
          <${Field} label="Sequence" name="sequence" problem=${checkpoint.problem}><input name="sequence" type="number" min="1" required value=${next} /><//>
          <${Field} label="Location" name="location" problem=${checkpoint.problem}><input name="location" required /><//>
          <${Field} label="Expected at" name="expected_at" problem=${checkpoint.problem}><input name="expected_at" type="datetime-local" required value=${localInput(Date.parse(after) + 1_800_000)} /><//>
          <div class="wide"><${ProblemBox} problem=${checkpoint.problem} what="The checkpoint was not added" />
            <button type="submit" disabled=${checkpoint.busy}>Add the checkpoint</button></div>
        </form>`}
        <div class="actions-row">
          ${route.status === 'planning' && html`<button type="button" class="primary" disabled=${transition.busy} onClick=${() => transition.run(() => api('POST', `${path}/activate`))}>Activate</button>`}
          ${route.status === 'active' && html`<button type="button" disabled=${transition.busy} onClick=${() => transition.run(() => api('POST', `${path}/complete`))}>Complete</button>`}
          ${(route.status === 'planning' || route.status === 'active') && html`<button type="button" class="danger" disabled=${transition.busy} onClick=${() => transition.run(() => api('POST', `${path}/cancel`))}>Cancel the route</button>`}
        </div>
        <${ProblemBox} problem=${transition.problem} />
        <h3>Deliveries</h3>
        ${deliveries.length === 0 ? html`<${Empty}>No deliveries on this route.<//>`
          : html`<ul class="rows">${deliveries.map((d) => html`<li class="row static"><span>${d.driver_name || 'no driver'} · ${d.vehicle_license_number || 'no van'}</span> <${Status} value=${d.status} /></li>`)}</ul>`}
        ${route.status === 'active' && html`<${BookDelivery} route=${route} onDone=${changed} />`}`;
      }}
    <//>
  </section>`;
}

/**
 * What a booking conflict's holder is, when it is a delivery: its driver, van and slot
 * (a workshop job holding a van is named by its id alone).
 */
function useHolder(problem) {
  const [holder, setHolder] = useState([]);
  useEffect(() => {
    setHolder([]);
    if (!problem || problem.status !== 409 || !problem.conflictingId) return;
    api('GET', `/api/v1/deliveries/${seg(problem.conflictingId)}`)
      .then((d) => setHolder([`the delivery of ${d.driver_name || 'no driver'} with ${d.vehicle_license_number || 'no van'}, `
        + `${time(d.slot.start)}–${time(d.slot.end)} (${d.status.replace(/_/g, ' ')})`]))
      .catch(() => setHolder([]));
  }, [problem]);
  return holder;
}

/** Drivers and vans that may be booked: active drivers, available fleet vans. */
function useFleet() {
  return useLoad(async () => {
    const [drivers, vans] = await Promise.all([
      all('/api/v1/drivers', 'drivers', { status: 'active', sort_by: 'name' }),
      all('/api/v1/vehicles', 'vehicles', { usage: 'fleet', status: 'available' }),
    ]);
    return { drivers, vans };
  }, []);
}

function BookDelivery({ route, onDone }) {
  const fleet = useFleet();
  const book = useCommand(onDone);
  const holder = useHolder(book.problem);
  return html`<section aria-labelledby="book-title"><h3 id="book-title">Book a delivery</h3>
    <${Loaded} state=${fleet} what="drivers and vans">
      ${({ drivers, vans }) => html`<form class="grid-form"
          onSubmit=${(e) => { const v = formValues(e); book.run(() => api('POST', '/api/v1/deliveries', { body: { route_id: route.route_id, driver_id: v.driver_id, vehicle_license_number: v.vehicle_license_number } })); }}>
        <${Field} label="Driver" name="driver_id" problem=${book.problem}>
          <select name="driver_id" required>${drivers.map((d) => html`<option value=${d.driver_id}>${d.name}</option>`)}</select>
        <//>
        <${Field} label="Van" name="vehicle_license_number" problem=${book.problem}>
          <select name="vehicle_license_number" required>${vans.map((v) => html`<option value=${v.license_number}>${v.license_number} · ${v.brand} ${v.model}</option>`)}</select>
        <//>
        <div class="wide"><${ProblemBox} problem=${book.problem} what="The delivery was not booked" holders=${holder} />
          <button type="submit" class="primary" disabled=${book.busy}>Book</button></div>
      </form>`}
    <//>
  </section>`;
}

export function Deliveries() {
  const [status, setStatus] = useState('');
  const [selected, setSelected] = useState(null);
  const list = useLoad(() => api('GET', '/api/v1/deliveries', { query: { status, page_size: 100 } }), [status]);
  return html`
    <div class="toolbar"><${StatusFilter} id="delivery-status" statuses=${DELIVERY_STATUSES} value=${status} onChange=${setStatus} /></div>
    <div class="split">
      <section aria-labelledby="deliveries-title"><h2 id="deliveries-title">Deliveries</h2>
        <${Loaded} state=${list} what="deliveries" isEmpty=${(d) => d.deliveries.length === 0} empty="No deliveries with this status.">
          ${(d) => html`<ul class="rows">${d.deliveries.map((x) => html`<li>
            <button type="button" class="row" aria-pressed=${x.delivery_id === selected} onClick=${() => setSelected(x.delivery_id)}>
              <strong>${x.driver_name || 'no driver'} · ${x.vehicle_license_number || 'no van'}</strong>
              <span><${Time} at=${x.slot.start} withDate=${true} /> · <${Status} value=${x.status} />${x.incidents.some((i) => !i.resolved) ? ' · open incident' : ''}</span>
            </button></li>`)}</ul>`}
        <//>
      </section>
      ${selected && html`<${DeliveryDetail} key=${selected} id=${selected} onChanged=${() => list.reload(true)} />`}
    </div>`;
}

function DeliveryDetail({ id, onChanged }) {
  const delivery = useLoad(() => api('GET', `/api/v1/deliveries/${seg(id)}`), [id]);
  const changed = async () => { await delivery.reload(true); onChanged(); };
  return html`<section class="panel" aria-label="Delivery">
    <${Loaded} state=${delivery} what="the delivery">
      ${(d) => html`<${DeliveryCard} delivery=${d} onChanged=${changed} dispatcher=${true} />
        ${d.status === 'picked_up' && html`<${Rebook} delivery=${d} onDone=${changed} />`}`}
    <//>
  </section>`;
}

/** Driver and van change only while the delivery is picked up; each booking is checked for conflicts. */
function Rebook({ delivery, onDone }) {
  const fleet = useFleet();
  const driver = useCommand(onDone);
  const van = useCommand(onDone);
  const driverHolder = useHolder(driver.problem);
  const vanHolder = useHolder(van.problem);
  const path = `/api/v1/deliveries/${seg(delivery.delivery_id)}`;
  return html`<${Loaded} state=${fleet} what="drivers and vans">
    ${({ drivers, vans }) => html`<div class="actions">
      <form onSubmit=${(e) => { const v = formValues(e); driver.run(() => api('PUT', `${path}/driver`, { body: v })); }}>
        <h3>Driver</h3>
        <${Field} label="Driver" name="driver_id" problem=${driver.problem}>
          <select name="driver_id" required>${drivers.map((d) => html`<option value=${d.driver_id} selected=${d.driver_id === delivery.driver_id}>${d.name}</option>`)}</select>
        <//>
        <${ProblemBox} problem=${driver.problem} what="The driver was not assigned" holders=${driverHolder} />
        <button type="submit" disabled=${driver.busy}>Assign the driver</button>
      </form>
      <form onSubmit=${(e) => { const v = formValues(e); van.run(() => api('PUT', `${path}/vehicle`, { body: v })); }}>
        <h3>Van</h3>
        <${Field} label="Van" name="vehicle_license_number" problem=${van.problem}>
          <select name="vehicle_license_number" required>${vans.map((v) => html`<option value=${v.license_number} selected=${v.license_number === delivery.vehicle_license_number}>${v.license_number} · ${v.brand} ${v.model}</option>`)}</select>
        <//>
        <${ProblemBox} problem=${van.problem} what="The van was not assigned" holders=${vanHolder} />
        <button type="submit" disabled=${van.busy}>Assign the van</button>
      </form>
    </div>`}
  <//>`;
}

export function LiveTracking() {
  const [status, setStatus] = useState('');
  const [updated, setUpdated] = useState(null);
  const board = useLoad(async () => {
    const data = await api('GET', '/api/v1/views/live-tracking', { query: { status, page_size: 100 } });
    setUpdated(new Date().toISOString());
    return data;
  }, [status], 5_000);
  return html`
    <div class="toolbar">
      <${StatusFilter} id="tracking-status" statuses=${['in_transit', 'out_for_delivery']} value=${status} onChange=${setStatus} />
      <p class="muted">Refreshed every 5 s${updated ? html` · last at <${Time} at=${updated} />` : ''}</p>
    </div>
    <${Loaded} state=${board} what="the deliveries on the road" isEmpty=${(d) => d.deliveries.length === 0} empty="No deliveries on the road right now.">
      ${(d) => html`<div class="table-wrap"><table class="tracking">
        <caption class="sr-only">Deliveries on the road</caption>
        <thead><tr><th scope="col">Driver</th><th scope="col">Van</th><th scope="col">Status</th><th scope="col">Last location</th><th scope="col">Seen</th><th scope="col">Route</th></tr></thead>
        <tbody>${d.deliveries.map((x) => html`<tr data-delivery=${x.delivery_id}>
          <td>${x.driver_name || (x.driver && x.driver.name) || '—'}</td>
          <td>${x.vehicle_license_number || '—'}${x.vehicle ? html` <span class="muted">${x.vehicle.brand} ${x.vehicle.model}</span>` : ''}</td>
          <td><${Status} value=${x.status} /></td>
          <td>${x.last_location || 'not yet at a checkpoint'}${x.last_checkpoint_sequence ? html` <span class="muted">(#${x.last_checkpoint_sequence})</span>` : ''}</td>
          <td><${Time} at=${x.last_seen_at} /></td>
          <td><code title=${x.route_id}>${short(x.route_id)}</code></td>
        </tr>`)}</tbody>
      </table></div>`}
    <//>`;
}
