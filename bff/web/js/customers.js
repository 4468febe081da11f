// The planner's customers and their vehicles: search, register, edit, and erasure of a
// customer's personal data (irreversible: asked twice).

import { useState } from '../vendor/htm-preact-3.1.1.mjs';
import { api, seg } from './api.js';
import { html, useLoad, useCommand, Loaded, ProblemBox, Field, Confirm, formValues, Status, PanelHeading } from './ui.js';

export function Customers({ session }) {
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState(null);
  const [registering, setRegistering] = useState(false);
  const list = useLoad(() => api('GET', '/api/v1/customers', { query: { search, sort_by: 'name', page_size: 50 } }), [search]);
  return html`
    <div class="toolbar">
      <form role="search" class="field inline" onSubmit=${(e) => { e.preventDefault(); setSearch(new FormData(e.currentTarget).get('search').trim()); }}>
        <label for="customer-search">Search customers</label>
        <input id="customer-search" name="search" type="search" placeholder="Name, e-mail or telephone" />
        <button type="submit">Search</button>
      </form>
      <button type="button" class="primary" aria-expanded=${registering} onClick=${() => setRegistering(!registering)}>Register a customer</button>
    </div>
    ${registering && html`<${RegisterCustomer} onDone=${async (id) => { setRegistering(false); await list.reload(true); setSelected(id); }} />`}
    <div class="split">
      <section aria-labelledby="customers-title">
        <h2 id="customers-title">Customers${list.data ? ` (${list.data.page.total})` : ''}</h2>
        <${Loaded} state=${list} what="customers" isEmpty=${(d) => d.customers.length === 0}
          empty=${search ? `No customer matches “${search}”.` : 'No customers yet: register the first one.'}>
          ${(data) => html`<ul class="rows">${data.customers.map((c) => html`<li>
            <button type="button" class="row" aria-pressed=${c.customer_id === selected} onClick=${() => setSelected(c.customer_id)}>
              <strong>${c.name}</strong><span class="muted">${c.erased ? 'erased' : `${c.city || ''} · ${c.telephone}`}</span>
            </button></li>`)}</ul>`}
        <//>
      </section>
      ${selected && html`<${Customer} key=${selected} id=${selected} mayErase=${session.roles.includes('admin')} onChanged=${() => list.reload(true)} />`}
    </div>`;
}

function ContactFields({ problem, customer = {} }) {
  return html`
    <${Field} label="Name" name="name" problem=${problem}><input name="name" required autocomplete="name" value=${customer.name} /><//>
    <${Field} label="Telephone" name="telephone" problem=${problem}><input name="telephone" type="tel" required autocomplete="tel" value=${customer.telephone} /><//>
    <${Field} label="E-mail" name="email" problem=${problem}><input name="email" type="email" required autocomplete="email" value=${customer.email} /><//>
    <${Field} label="Address" name="address" problem=${problem}><input name="address" autocomplete="street-address" value=${customer.address} /><//>
    <${Field} label="Postal code" name="postal_code" problem=${problem}><input name="postal_code" autocomplete="postal-code" value=${customer.postal_code} /><//>
    <${Field} label="City" name="city" problem=${problem}><input name="city" autocomplete="address-level2" value=${customer.city} /><//>`;
}

function RegisterCustomer({ onDone }) {
  const register = useCommand((result) => onDone(result.id));
  return html`<section class="panel" aria-labelledby="register-title"><${PanelHeading} id="register-title">Register a customer<//>
    <form class="grid-form" onSubmit=${(e) => { const body = formValues(e); register.run(() => api('POST', '/api/v1/customers', { body })); }}>
      <${ContactFields} problem=${register.problem} />
      <div class="wide"><${ProblemBox} problem=${register.problem} what="The customer was not registered" />
        <button type="submit" class="primary" disabled=${register.busy}>Register</button></div>
    </form></section>`;
}

/** `mayErase`: erasure is an admin's alone (the API refuses anyone else). */
function Customer({ id, mayErase, onChanged }) {
  const customer = useLoad(() => api('GET', `/api/v1/customers/${seg(id)}`), [id]);
  const vehicles = useLoad(() => api('GET', '/api/v1/vehicles', { query: { owner_customer_id: id, page_size: 50 } }), [id]);
  const [editing, setEditing] = useState(false);
  const edit = useCommand(async () => { setEditing(false); await customer.reload(true); onChanged(); });
  const erase = useCommand(async () => { await customer.reload(true); onChanged(); });
  return html`<section class="panel" aria-labelledby="customer-title">
    <${Loaded} state=${customer} what="the customer">
      ${(c) => html`
        <${PanelHeading} id="customer-title">${c.name}<//>
        ${c.erased ? html`<p class="notice">This customer's personal data was erased; their history keeps no readable trace of it.</p>` : editing
          ? html`<form class="grid-form" onSubmit=${(e) => { const body = formValues(e); edit.run(() => api('PUT', `/api/v1/customers/${seg(id)}/contact`, { body })); }}>
              <${ContactFields} problem=${edit.problem} customer=${c} />
              <div class="wide"><${ProblemBox} problem=${edit.problem} what="The contact was not changed" />
                <button type="submit" class="primary" disabled=${edit.busy}>Save</button>
                <button type="button" onClick=${() => setEditing(false)}>Cancel</button></div>
            </form>`
          : html`<dl class="facts">
              <dt>Telephone</dt><dd>${c.telephone}</dd><dt>E-mail</dt><dd>${c.email}</dd>
              <dt>Address</dt><dd>${[c.address, c.postal_code, c.city].filter(Boolean).join(', ') || '—'}</dd>
            </dl>
            <div class="actions-row">
              <button type="button" onClick=${() => setEditing(true)}>Edit contact</button>
              ${mayErase && html`<${Confirm} label="Erase personal data" confirmLabel="Erase for good" busy=${erase.busy}
                question=${`Erase ${c.name}'s personal data? Their key is destroyed: this cannot be undone.`}
                onConfirm=${() => erase.run(() => api('POST', `/api/v1/customers/${seg(id)}/erasure`))} />`}
            </div>
            <${ProblemBox} problem=${erase.problem} what="Erasure refused" />`}
        <h3>Vehicles</h3>
        <${Loaded} state=${vehicles} what="vehicles" isEmpty=${(d) => d.vehicles.length === 0} empty="No vehicles registered for this customer.">
          ${(d) => html`<ul class="rows">${d.vehicles.map((v) => html`<li class="row static"><strong>${v.license_number}</strong>
            <span>${v.brand} ${v.model}</span>${v.status && html` <${Status} value=${v.status} />`}</li>`)}</ul>`}
        <//>
        ${!c.erased && html`<${RegisterVehicle} owner=${id} onDone=${() => vehicles.reload(true)} />`}`}
    <//>
  </section>`;
}

function RegisterVehicle({ owner, onDone }) {
  const [open, setOpen] = useState(false);
  const register = useCommand(async () => { setOpen(false); await onDone(); });
  if (!open) return html`<button type="button" onClick=${() => setOpen(true)}>Register a vehicle</button>`;
  return html`<form class="grid-form" aria-label="Register a vehicle"
    onSubmit=${(e) => { const v = formValues(e); register.run(() => api('POST', '/api/v1/vehicles', { body: { ...v, owner_customer_id: owner, usage: 'customer' } })); }}>
    <${Field} label="Licence plate" name="license_number" problem=${register.problem}><input name="license_number" required /><//>
    <${Field} label="Brand" name="brand" problem=${register.problem}><input name="brand" required /><//>
    <${Field} label="Model" name="model" problem=${register.problem}><input name="model" required /><//>
    <div class="wide"><${ProblemBox} problem=${register.problem} what="The vehicle was not registered" />
      <button type="submit" class="primary" disabled=${register.busy}>Register the vehicle</button>
      <button type="button" onClick=${() => setOpen(false)}>Cancel</button></div>
  </form>`;
}
