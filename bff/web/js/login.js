// Getting a bearer token. On the embedded default the BFF offers a development login
// (pick a role; only on loopback, ADR 022); behind an identity provider the app runs
// the OIDC authorization code flow with PKCE (RFC 7636) as a public client.

import { html, useState } from '../vendor/htm-preact-3.1.1.mjs';
import { api, useToken } from './api.js';
import { Field, ProblemBox, useCommand, useLoad, Loaded } from './ui.js';

const STORAGE = 'pitlane.session';
const PENDING = 'pitlane.oidc';
const LOGIN_SECRET = 'pitlane.login';

export const ROLES = ['planner', 'dispatcher', 'driver', 'auditor', 'operator', 'admin'];

/** The claims of a JWT, read without verifying: only to lay out the screens; the API verifies. */
function claimsOf(token) {
  const payload = token.split('.')[1] || '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

function claim(claims, path) {
  return path.split('.').reduce((value, key) => (value && typeof value === 'object' ? value[key] : undefined), claims);
}

/** A session from a token: who, which roles, which driver, until when. */
export function sessionOf(token, config, via) {
  const claims = claimsOf(token);
  const roles = [].concat(claim(claims, config.roles_claim) || []).filter((role) => ROLES.includes(role));
  return {
    token,
    via,
    subject: claims.preferred_username || claims.sub,
    roles,
    driverId: claim(claims, config.driver_claim) || null,
    expiresAt: (claims.exp || 0) * 1000,
  };
}

export function savedSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(STORAGE));
    return session && session.expiresAt > Date.now() ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  if (session) sessionStorage.setItem(STORAGE, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE);
}

export async function loginConfig() {
  const response = await fetch('/app/config.json');
  if (!response.ok) throw new Error(`cannot read /app/config.json: HTTP ${response.status}`);
  return response.json();
}

export function LoginPage({ config, onSession, notice }) {
  return html`<main class="page login" id="main">
    <h1>Pitlane</h1>
    <p class="lede">Workshops, fleet and deliveries of an electric-vehicle service operator.</p>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${config.login === 'development' && html`<${DevLogin} config=${config} onSession=${onSession} />`}
    ${config.login === 'oidc' && html`<${OidcLogin} config=${config} onSession=${onSession} />`}
    ${config.login === 'none' && html`<p>This BFF is its own development issuer but listens beyond loopback, so it offers no login page.
      Use a token from <code>pitlane token --role ROLE</code> with the REST API (<a href="/docs">/docs</a>).</p>`}
  </main>`;
}

/**
 * The development login's secret comes in the link `pitlane up` prints (`#login=…`, a
 * fragment: it never reaches a server). Kept in this browser for the next visits, and
 * taken out of the address bar at once.
 */
export function keepLoginSecret() {
  const given = /^#login=([0-9A-Za-z_-]+)$/.exec(window.location.hash);
  if (!given) return;
  localStorage.setItem(LOGIN_SECRET, given[1]);
  history.replaceState(null, '', `${window.location.pathname}#/`);
}

async function devToken(body) {
  return api('POST', '/app/dev-login', { body: { ...body, secret: localStorage.getItem(LOGIN_SECRET) || '' } });
}

/**
 * The active drivers, for a driver's login. Reading them is a dispatcher's read: a
 * short look with a dispatcher token of the same development issuer (this page already
 * lets anyone be anyone), put back whatever happens.
 */
async function activeDrivers() {
  const { access_token } = await devToken({ role: 'dispatcher', subject: 'dev-login' });
  useToken(access_token);
  try {
    const list = await api('GET', '/api/v1/drivers', { query: { status: 'active', page_size: 100 } });
    return list.drivers;
  } finally {
    useToken(null);
  }
}

function DriverPicker({ problem }) {
  const drivers = useLoad(activeDrivers, []);
  return html`<${Loaded} state=${drivers} what="drivers" isEmpty=${(list) => list.length === 0} empty="No active drivers to log in as.">
    ${(list) => html`<${Field} label="Driver" name="driver_id" problem=${problem}>
      <select name="driver_id" required>
        ${list.map((d) => html`<option value=${d.driver_id}>${d.name}</option>`)}
      </select>
    <//>`}
  <//>`;
}

function DevLogin({ config, onSession }) {
  const [role, setRole] = useState('planner');
  const command = useCommand();
  const submit = (event) => {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.currentTarget).entries());
    command.run(async () => {
      const body = { role: form.role };
      if (form.subject) body.subject = form.subject;
      if (form.role === 'driver') body.driver_id = form.driver_id || '';
      const { access_token } = await devToken(body);
      onSession(sessionOf(access_token, config, 'development'));
    });
  };
  return html`<form class="card" onSubmit=${submit} aria-labelledby="login-title">
    <h2 id="login-title">Development login</h2>
    <p class="hint">This platform is its own token issuer (<code>pitlane up</code> on loopback): pick who you are.</p>
    ${!localStorage.getItem(LOGIN_SECRET) && html`<p class="notice" role="status">Open this app with the link <code>pitlane up</code> printed:
      it carries the platform's login secret.</p>`}
    <${Field} label="Role" name="role" problem=${command.problem}>
      <select name="role" value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
        ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}
      </select>
    <//>
    ${role === 'driver' && html`<${DriverPicker} problem=${command.problem} />`}
    <${Field} label="Subject (optional)" name="subject" problem=${command.problem} hint="Recorded as the actor of what you do; default dev-ROLE.">
      <input name="subject" autocomplete="username" placeholder=${`dev-${role}`} />
    <//>
    <${ProblemBox} problem=${command.problem} what="Login refused" />
    <button type="submit" class="primary" disabled=${command.busy}>Log in as ${role}</button>
  </form>`;
}

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

async function discovery(issuer) {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`the identity provider's discovery document: HTTP ${response.status}`);
  return response.json();
}

const redirectUri = () => `${window.location.origin}/`;

/** Starts the code flow: a verifier kept in this tab, its S256 challenge sent. */
async function startCodeFlow(config) {
  const oidc = await discovery(config.issuer);
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, back: window.location.hash }));
  const url = new URL(oidc.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.client_id,
    redirect_uri: redirectUri(),
    scope: 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

/** Finishes the code flow when the provider sent the browser back with `?code=`; null otherwise. */
export async function finishCodeFlow(config) {
  const params = new URLSearchParams(window.location.search);
  if (config.login !== 'oidc' || (!params.has('code') && !params.has('error'))) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  window.history.replaceState(null, '', `/${pending ? pending.back : ''}`);
  // Nothing in the address is believed, not even an error, unless it answers the
  // login this tab started.
  if (!pending || pending.state !== params.get('state')) throw new Error('the login answer does not match the login this tab started');
  if (params.has('error')) throw new Error(`the identity provider refused: ${params.get('error_description') || params.get('error')}`);
  return tokenGrant(config, {
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  }, { idToken: null, refreshToken: null });
}

/**
 * A session from the provider's token endpoint for the grant `params` (the web client
 * is public: it names itself, with no secret); `before` supplies the ID and refresh
 * tokens when the answer carries none.
 */
async function tokenGrant(config, params, before) {
  const oidc = await discovery(config.issuer);
  const response = await fetch(oidc.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, client_id: config.client_id }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.access_token) {
    throw new Error(`the identity provider gave no token: ${body.error_description || body.error || response.status}`);
  }
  return {
    ...sessionOf(body.access_token, config, 'oidc'),
    idToken: body.id_token || before.idToken,
    refreshToken: body.refresh_token || before.refreshToken,
  };
}

/**
 * A fresh session from the provider's refresh token (Keycloak's access tokens live
 * minutes), so a working day is not cut short by a login every quarter of an hour.
 */
export async function refreshed(config, session) {
  return tokenGrant(config, { grant_type: 'refresh_token', refresh_token: session.refreshToken }, session);
}

/** When to refresh: after 70 % of the token's remaining life, at least a second from now. */
export function refreshDelay(session) {
  return Math.max(1000, (session.expiresAt - Date.now()) * 0.7);
}

/** Where the browser goes to end the provider's session too; null for the development login. */
export async function logoutUrl(config, session) {
  if (config.login !== 'oidc') return null;
  try {
    const oidc = await discovery(config.issuer);
    if (!oidc.end_session_endpoint) return null;
    const url = new URL(oidc.end_session_endpoint);
    url.searchParams.set('client_id', config.client_id);
    url.searchParams.set('post_logout_redirect_uri', redirectUri());
    if (session && session.idToken) url.searchParams.set('id_token_hint', session.idToken);
    return url.toString();
  } catch {
    return null;
  }
}

function OidcLogin({ config }) {
  const [problem, setProblem] = useState(null);
  const start = () => startCodeFlow(config).catch((error) => setProblem({ status: 0, title: 'Cannot reach the identity provider', detail: error.message }));
  return html`<div class="card">
    <h2>Log in</h2>
    <p>You log in with the operator's identity provider (<code>${config.issuer}</code>).</p>
    <${ProblemBox} problem=${problem} />
    <button type="button" class="primary" onClick=${start}>Log in</button>
  </div>`;
}
