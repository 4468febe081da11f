// The app: who is logged in, the screens their roles open, and which one is shown
// (the URL's hash, `#/workshop`, so the back button and bookmarks work).

import { html, render, useState, useEffect, useRef } from '../vendor/htm-preact-3.1.1.mjs';
import { useToken } from './api.js';
import {
  LoginPage, finishCodeFlow, keepLoginSecret, loginConfig, logoutUrl, refreshDelay, refreshed, savedSession, saveSession,
} from './login.js';
import { WorkshopDay } from './planner.js';
import { Customers } from './customers.js';
import { Routes, Deliveries, LiveTracking } from './dispatcher.js';
import { MyDeliveries } from './driver.js';
import { Audit } from './auditor.js';
import { Operations } from './operator.js';

/** Every screen and the roles it is for (the API decides what each may do). */
const SCREENS = [
  { path: 'workshop', title: 'Workshop day', roles: ['planner', 'admin'], view: WorkshopDay },
  { path: 'customers', title: 'Customers & vehicles', roles: ['planner', 'admin'], view: Customers },
  { path: 'routes', title: 'Routes', roles: ['dispatcher', 'admin'], view: Routes },
  { path: 'deliveries', title: 'Deliveries', roles: ['dispatcher', 'admin'], view: Deliveries },
  { path: 'tracking', title: 'Live tracking', roles: ['dispatcher', 'auditor', 'admin'], view: LiveTracking },
  { path: 'my-deliveries', title: 'My deliveries', roles: ['driver'], view: MyDeliveries },
  { path: 'audit', title: 'Audit', roles: ['auditor', 'admin'], view: Audit },
  { path: 'operations', title: 'Operations', roles: ['operator', 'admin'], view: Operations },
];

const screensOf = (session) => SCREENS.filter((screen) => screen.roles.some((role) => session.roles.includes(role)));

function currentPath() {
  return window.location.hash.replace(/^#\/?/, '').split('?')[0];
}

function App({ config, initial, notice: initialNotice }) {
  const [session, setSession] = useState(initial);
  const [notice, setNotice] = useState(initialNotice);
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const follow = () => setPath(currentPath());
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  const logOut = (why) => {
    saveSession(null);
    useToken(null);
    setSession(null);
    setNotice(why || null);
  };
  if (session) useToken(session.token, () => logOut('Your session has expired or was refused: log in again.'));
  // Behind an identity provider, the token is renewed before it expires; if renewing
  // fails, the next refused call logs out with a notice.
  useEffect(() => {
    if (!session || !session.refreshToken) return undefined;
    const timer = setTimeout(() => {
      refreshed(config, session)
        .then((fresh) => {
          saveSession(fresh);
          useToken(fresh.token);
          setSession(fresh);
        })
        .catch((error) => console.warn(error.message));
    }, refreshDelay(session));
    return () => clearTimeout(timer);
  }, [session]);

  if (!session) {
    const start = (fresh) => {
      saveSession(fresh);
      useToken(fresh.token);
      setNotice(null);
      setSession(fresh);
    };
    return html`<${LoginPage} config=${config} onSession=${start} notice=${notice} />`;
  }
  const screens = screensOf(session);
  const screen = screens.find((s) => s.path === path) || screens[0];
  return html`<${Shell} screens=${screens} screen=${screen} session=${session} config=${config} logOut=${logOut} />`;
}

/** The logged-in page: the header, the screens' links, and the screen shown. */
function Shell({ screens, screen, session, config, logOut }) {
  // A new screen is announced as a page would be: its title, and the focus on it.
  const shown = useRef(null);
  useEffect(() => {
    document.title = screen ? `${screen.title} · Pitlane` : 'Pitlane';
    if (shown.current !== null && shown.current !== screen) {
      const main = document.getElementById('main');
      if (main) main.focus();
    }
    shown.current = screen;
  }, [screen]);
  // Logged out here at once; then, behind an identity provider, there too.
  const leave = async () => {
    const ending = session;
    logOut();
    const url = await logoutUrl(config, ending);
    if (url) window.location.assign(url);
  };
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/">Pitlane</a>
      <nav aria-label="Screens">
        <ul>
          ${screens.map((s) => html`<li><a href=${`#/${s.path}`} aria-current=${s === screen ? 'page' : undefined}>${s.title}</a></li>`)}
        </ul>
      </nav>
      <div class="who">
        <span><span class="subject">${session.subject}</span> · <span class="roles">${session.roles.join(', ')}</span></span>
        <button type="button" onClick=${leave}>Log out</button>
      </div>
    </header>
    <main class="page" id="main" tabindex="-1">
      ${screen
        ? html`<h1>${screen.title}</h1><${screen.view} key=${screen.path} session=${session} />`
        : html`<h1>No screens</h1><p>Your token holds none of the roles this app has screens for (${session.roles.join(', ') || 'none'}).</p>`}
    </main>`;
}

async function start() {
  keepLoginSecret();
  const root = document.getElementById('app');
  let config;
  try {
    config = await loginConfig();
  } catch (error) {
    root.textContent = `Pitlane cannot start: ${error.message}`;
    return;
  }
  let session = savedSession();
  let notice = null;
  try {
    const fresh = await finishCodeFlow(config);
    if (fresh) {
      session = fresh;
      saveSession(fresh);
    }
  } catch (error) {
    notice = `Login failed: ${error.message}`;
  }
  root.textContent = '';
  render(html`<${App} config=${config} initial=${session} notice=${notice} />`, root);
}

start();
