// The planner's workshop day: three workstations across the day, the jobs as blocks on
// them, and planning, assigning, finishing and cancelling jobs.

import { useState, useEffect } from '../vendor/htm-preact-3.1.1.mjs';
import { api, all, seg } from './api.js';
import {
  html, useLoad, useCommand, Loaded, ProblemBox, Field, Status, Time, time, today, toUtc,
  localInput, formValues, Empty, PanelHeading,
} from './ui.js';

export const WORKSTATIONS = 3;

let services = null;
/** The maintenance services the contract knows (its `MaintenanceService` enum). */
export async function maintenanceServices() {
  if (!services) {
    const document = await api('GET', '/api/openapi.json');
    services = document.components.schemas.MaintenanceService.enum;
  }
  return services;
}

export const label = (value) => (value ? value.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()) : '');

/**
 * The day's planned and finished jobs on workstations: each job on the first
 * workstation free at its start (the rule allows three at once, so three suffice;
 * more lanes show only if the log holds more).
 */
export function lanes(jobs) {
  const placed = [];
  const active = jobs
    .filter((job) => job.status !== 'cancelled' && job.planned_slot)
    .sort((a, b) => a.planned_slot.start.localeCompare(b.planned_slot.start));
  for (const job of active) {
    const start = Date.parse(job.planned_slot.start);
    let lane = placed.findIndex((jobsOn) => jobsOn.every((other) => Date.parse(other.planned_slot.end) <= start));
    if (lane < 0) {
      placed.push([]);
      lane = placed.length - 1;
    }
    placed[lane].push(job);
  }
  while (placed.length < WORKSTATIONS) placed.push([]);
  return placed;
}

/** The hours the board shows: 07:00–19:00 local, widened to fit every job. */
function span(date, jobs) {
  let from = new Date(`${date}T07:00`).getTime();
  let to = new Date(`${date}T19:00`).getTime();
  for (const job of jobs) {
    if (!job.planned_slot) continue;
    from = Math.min(from, Date.parse(job.planned_slot.start));
    to = Math.max(to, Date.parse(job.planned_slot.end));
  }
  const hour = 3_600_000;
  return { from: Math.floor(from / hour) * hour, to: Math.ceil(to / hour) * hour };
}

export function WorkshopDay() {
  const [date, setDate] = useState(today());
  const [selected, setSelected] = useState(null);
  const [planning, setPlanning] = useState(false);
  const day = useLoad(() => api('GET', `/api/v1/views/workshop/${seg(date)}`), [date]);
  const changed = async () => {
    await day.reload(true);
  };
  return html`
    <div class="toolbar">
      <div class="field inline">
        <label for="board-date">Day</label>
        <input id="board-date" type="date" value=${date} required onChange=${(e) => { if (e.currentTarget.value) { setDate(e.currentTarget.value); setSelected(null); } }} />
      </div>
      <button type="button" class="primary" aria-expanded=${planning} onClick=${() => setPlanning(!planning)}>Plan a job</button>
    </div>
    ${planning && html`<${PlanJob} date=${date} jobs=${day.data ? day.data.jobs : []} onPlanned=${async (id) => { setPlanning(false); await changed(); setSelected(id); }} onClose=${() => setPlanning(false)} />`}
    <${Loaded} state=${day} what="the workshop day">
      ${(data) => html`
        ${data.partial && html`<p class="notice" role="status">Partly shown: ${data.missing.join(', ')} could not be read.</p>`}
        <${Board} date=${date} day=${data} selected=${selected} onSelect=${setSelected} />
        ${selected && data.jobs.some((job) => job.job_id === selected)
          && html`<${JobPanel} key=${selected} date=${date} job=${data.jobs.find((job) => job.job_id === selected)} jobs=${data.jobs} technicians=${data.technicians}
              onChanged=${changed} onClose=${() => setSelected(null)} />`}
        <${Capacity} day=${data} />
        <${Technicians} day=${data} />`}
    <//>`;
}

function Board({ date, day, selected, onSelect }) {
  const jobs = day.jobs;
  const { from, to } = span(date, jobs);
  const at = (iso) => `${((Date.parse(iso) - from) / (to - from)) * 100}%`;
  const width = (slot) => `${((Date.parse(slot.end) - Date.parse(slot.start)) / (to - from)) * 100}%`;
  const hours = [];
  for (let t = from; t < to; t += 3_600_000) hours.push(t);
  const cancelled = jobs.filter((job) => job.status === 'cancelled');
  return html`<section class="board-wrap" aria-labelledby="board-title">
    <h2 id="board-title">Workstations</h2>
    ${jobs.length === 0 && html`<${Empty}>No jobs planned on this day yet: plan the first one.<//>`}
    <div class="board" role="list" aria-label="Jobs by workstation">
      <div class="hours" aria-hidden="true">
        ${hours.map((t) => html`<span style=${{ left: at(new Date(t).toISOString()) }}>${time(new Date(t).toISOString())}</span>`)}
      </div>
      ${lanes(jobs).map((lane, index) => html`<div class="lane" role="listitem">
        <span class="lane-name">Workstation ${index + 1}</span>
        <ul class="lane-jobs" aria-label=${`Workstation ${index + 1}`}>
          ${lane.map((job) => html`<li class="job-slot" style=${{ left: at(job.planned_slot.start), width: width(job.planned_slot) }}>
            <button type="button" class=${`job job-${job.status}`} aria-pressed=${job.job_id === selected}
              data-job=${job.job_id} onClick=${() => onSelect(job.job_id)}
              title=${`${label(job.service)} · ${job.vehicle_license_number}`}>
              <span class="job-time">${time(job.planned_slot.start)}–${time(job.planned_slot.end)}</span>
              <span class="job-what">${job.vehicle_license_number} · ${label(job.service)}</span>
              <span class="job-who">${job.technician_name || 'no technician'} · ${job.status}</span>
            </button>
          </li>`)}
        </ul>
      </div>`)}
    </div>
    ${cancelled.length > 0 && html`<details class="cancelled">
      <summary>Cancelled (${cancelled.length})</summary>
      <ul>${cancelled.map((job) => html`<li><button type="button" class="link" onClick=${() => onSelect(job.job_id)}>
        ${job.vehicle_license_number} · ${label(job.service)}</button> — ${job.cancellation_reason}</li>`)}</ul>
    </details>`}
  </section>`;
}

function Capacity({ day }) {
  if (!day.capacity.length) return null;
  return html`<details class="capacity"><summary>Free workstations through the day</summary>
    <table><thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">Free</th></tr></thead>
    <tbody>${day.capacity.map((s) => html`<tr><td><${Time} at=${s.start} /></td><td><${Time} at=${s.end} /></td><td>${s.free_workstations} of ${WORKSTATIONS}</td></tr>`)}</tbody></table>
  </details>`;
}

function Technicians({ day }) {
  return html`<section aria-labelledby="techs-title"><h2 id="techs-title">Technicians</h2>
    ${day.technicians.length === 0 ? html`<${Empty}>No active technicians.<//>` : html`<ul class="chips">
      ${day.technicians.map((t) => html`<li><strong>${t.name}</strong> <span class="muted">${t.skills.join(', ')}</span> · ${t.booked.length} job${t.booked.length === 1 ? '' : 's'}</li>`)}
    </ul>`}
  </section>`;
}

function JobPanel({ date, job, jobs, technicians, onChanged, onClose }) {
  const path = `/api/v1/workshop/plannings/${seg(date)}/jobs/${seg(job.job_id)}`;
  const assign = useCommand(onChanged);
  const finish = useCommand(onChanged);
  const cancel = useCommand(onChanged);
  const planned = job.status === 'planned';
  return html`<section class="panel" aria-labelledby="job-title">
    <header class="panel-head">
      <${PanelHeading} id="job-title">${label(job.service)} · ${job.vehicle_license_number}<//>
      <button type="button" onClick=${onClose} aria-label="Close the job">×</button>
    </header>
    <dl class="facts">
      <dt>Status</dt><dd><${Status} value=${job.status} /></dd>
      <dt>Planned</dt><dd>${job.planned_slot ? html`<${Time} at=${job.planned_slot.start} />–<${Time} at=${job.planned_slot.end} />` : '—'}</dd>
      ${job.actual_slot && html`<dt>Actual</dt><dd><${Time} at=${job.actual_slot.start} />–<${Time} at=${job.actual_slot.end} /></dd>`}
      <dt>Vehicle</dt><dd>${job.vehicle ? `${job.vehicle.brand} ${job.vehicle.model}` : ''} (${job.vehicle_license_number})</dd>
      <dt>Customer</dt><dd>${job.customer ? html`${job.customer.name}<br/><span class="muted">${job.customer.telephone} · ${job.customer.email}</span>` : job.customer_id}</dd>
      <dt>Technician</dt><dd>${job.technician_name || 'none yet'}</dd>
      <dt>Work</dt><dd>${job.description}</dd>
      ${job.notes && html`<dt>Notes</dt><dd>${job.notes}</dd>`}
      ${job.cancellation_reason && html`<dt>Cancelled because</dt><dd>${job.cancellation_reason}</dd>`}
    </dl>
    ${planned && html`<div class="actions">
      <form onSubmit=${(e) => { const v = formValues(e); assign.run(() => api('PUT', `${path}/technician`, { body: { technician_id: v.technician_id } })); }}>
        <h3>Assign a technician</h3>
        <${Field} label="Technician" name="technician_id" problem=${assign.problem}>
          <select name="technician_id" required>
            ${technicians.map((t) => html`<option value=${t.technician_id} selected=${t.technician_id === job.technician_id}>${t.name} (${t.skills.join(', ')})</option>`)}
          </select>
        <//>
        <${ProblemBox} problem=${assign.problem} holders=${jobsNamedIn(assign.problem, jobs)} />
        <button type="submit" disabled=${assign.busy}>Assign</button>
      </form>
      <form onSubmit=${(e) => { const v = formValues(e); finish.run(() => api('POST', `${path}/finish`, { body: { actual_start: toUtc(v.actual_start), actual_end: toUtc(v.actual_end), notes: v.notes } })); }}>
        <h3>Finish</h3>
        <${Field} label="Started" name="actual_start" problem=${finish.problem}><input type="datetime-local" name="actual_start" required value=${localInput(job.planned_slot.start)} /><//>
        <${Field} label="Ended" name="actual_end" problem=${finish.problem}><input type="datetime-local" name="actual_end" required value=${localInput(job.planned_slot.end)} /><//>
        <${Field} label="Notes" name="notes" problem=${finish.problem}><textarea name="notes" rows="2"></textarea><//>
        <${ProblemBox} problem=${finish.problem} />
        <button type="submit" disabled=${finish.busy}>Finish the job</button>
      </form>
      <form onSubmit=${(e) => { const v = formValues(e); cancel.run(() => api('POST', `${path}/cancel`, { body: { reason: v.reason } })); }}>
        <h3>Cancel</h3>
        <${Field} label="Reason" name="reason" problem=${cancel.problem}><input name="reason" required /><//>
        <${ProblemBox} problem=${cancel.problem} />
        <button type="submit" class="danger" disabled=${cancel.busy}>Cancel the job</button>
      </form>
    </div>`}
  </section>`;
}

/** The jobs of the board a refusal names (a conflict's holder, or the jobs filling the workstations). */
export function jobsNamedIn(problem, jobs) {
  if (!problem || problem.status !== 409) return [];
  return jobs
    .filter((job) => problem.conflictingId === job.job_id || problem.detail.includes(job.job_id))
    .map((job) => `${job.vehicle_license_number} · ${label(job.service)} · ${time(job.planned_slot.start)}–${time(job.planned_slot.end)}${job.technician_name ? ` · ${job.technician_name}` : ''}`);
}

function PlanJob({ date, jobs, onPlanned, onClose }) {
  const choices = useLoad(async () => {
    const [vehicles, customers, technicians, serviceList] = await Promise.all([
      all('/api/v1/vehicles', 'vehicles', { usage: 'customer' }),
      all('/api/v1/customers', 'customers', { sort_by: 'name' }),
      all('/api/v1/technicians', 'technicians', { status: 'active', sort_by: 'name' }),
      maintenanceServices(),
    ]);
    return { vehicles, customers: customers.filter((c) => !c.erased), technicians, services: serviceList };
  }, []);
  const [vehicle, setVehicle] = useState('');
  const [customer, setCustomer] = useState('');
  const plan = useCommand((result) => onPlanned(result.id));
  useEffect(() => {
    const chosen = choices.data && choices.data.vehicles.find((v) => v.license_number === vehicle);
    if (chosen && chosen.owner_customer_id) setCustomer(chosen.owner_customer_id);
  }, [vehicle]);
  const submit = (event) => {
    const v = formValues(event);
    const body = {
      vehicle_license_number: v.vehicle_license_number,
      customer_id: v.customer_id,
      service: v.service,
      description: v.description,
      slot: { start: toUtc(date, v.start), end: toUtc(date, v.end) },
    };
    if (v.technician_id) body.technician_id = v.technician_id;
    plan.run(() => api('POST', `/api/v1/workshop/plannings/${seg(date)}/jobs`, { body }));
  };
  return html`<section class="panel" aria-labelledby="plan-title">
    <header class="panel-head"><${PanelHeading} id="plan-title">Plan a job on ${date}<//>
      <button type="button" onClick=${onClose} aria-label="Close the form">×</button></header>
    <${Loaded} state=${choices} what="vehicles, customers and technicians">
      ${(data) => html`<form class="grid-form" onSubmit=${submit}>
        <${Field} label="Vehicle" name="vehicle_license_number" problem=${plan.problem}>
          <select name="vehicle_license_number" required value=${vehicle} onChange=${(e) => setVehicle(e.currentTarget.value)}>
            <option value="">Choose a vehicle</option>
            ${data.vehicles.map((v) => html`<option value=${v.license_number}>${v.license_number} · ${v.brand} ${v.model}</option>`)}
          </select>
        <//>
        <${Field} label="Customer" name="customer_id" problem=${plan.problem}>
          <select name="customer_id" required value=${customer} onChange=${(e) => setCustomer(e.currentTarget.value)}>
            <option value="">Choose a customer</option>
            ${data.customers.map((c) => html`<option value=${c.customer_id}>${c.name}</option>`)}
          </select>
        <//>
        <${Field} label="Service" name="service" problem=${plan.problem}>
          <select name="service" required>
            ${data.services.map((s) => html`<option value=${s}>${label(s)}</option>`)}
          </select>
        <//>
        <${Field} label="Technician (optional)" name="technician_id" problem=${plan.problem}>
          <select name="technician_id">
            <option value="">Assign later</option>
            ${data.technicians.map((t) => html`<option value=${t.technician_id}>${t.name} (${t.skills.join(', ')})</option>`)}
          </select>
        <//>
        <${Field} label="Starts" name="slot.start" problem=${plan.problem}><input type="time" name="start" required value="10:00" /><//>
        <${Field} label="Ends" name="slot.end" problem=${plan.problem}><input type="time" name="end" required value="11:00" /><//>
        <${Field} label="Work to do" name="description" problem=${plan.problem}><textarea name="description" rows="2" required></textarea><//>
        <div class="wide">
          <${ProblemBox} problem=${plan.problem} what="The job was not planned" holders=${jobsNamedIn(plan.problem, jobs)} />
          <button type="submit" class="primary" disabled=${plan.busy}>Plan the job</button>
        </div>
      </form>`}
    <//>
  </section>`;
}
