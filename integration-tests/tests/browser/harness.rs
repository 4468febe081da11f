//! A real browser against a real platform: `pitlane up --demo` as `cargo run` starts it
//! (embedded default, port 0), and headless Chromium driven through Debian's
//! chromedriver over WebDriver (`fantoccini`). Each test has its own platform, its own
//! chromedriver and its own browser profile.
//!
//! Screenshots go to `target/tmp/browser-screenshots/` (CI keeps them as artifacts):
//! the ones each test takes on purpose, and one of the page whenever a wait times out.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use pitlane::platform::{Platform, PlatformConfig, load_demo};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// WebDriver's code points of the Tab and Enter keys.
pub const TAB: char = '\u{e004}';
pub const ENTER: char = '\u{e007}';

/// How long a wait for the page lasts before the test fails with a screenshot.
const PATIENCE: Duration = Duration::from_secs(20);

/// The browser's time zone: not UTC, so the tests see that times are shown in it and
/// sent as UTC.
pub const TIME_ZONE: &str = "Europe/Amsterdam";

pub fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    dir
}

/// The platform with the demo data loaded, as `pitlane up --demo` runs it.
pub struct Demo {
    pub platform: Platform,
    _data: tempfile::TempDir,
}

impl Demo {
    pub async fn start() -> Demo {
        Demo::start_with(query::startup::all_projections).await
    }

    /// With other projections than the platform's own (test doubles beside them).
    pub async fn start_with(
        projections: fn() -> Vec<Box<dyn query::projection::Projection>>,
    ) -> Demo {
        let data = tempfile::tempdir().expect("a data directory");
        let mut config = PlatformConfig::ephemeral(data.path().join("data"));
        config.projections = projections;
        let platform = Platform::start(config).await.expect("the platform starts");
        load_demo(&platform).await.expect("the demo data loads");
        Demo {
            platform,
            _data: data,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.platform.rest_addr)
    }

    /// The link `pitlane up` prints: the app, with the development login's secret.
    pub fn link(&self) -> String {
        self.platform.app_url.clone()
    }

    /// A read as an admin (a test's setup and its checks).
    pub async fn get(&self, path: &str) -> Value {
        self.rest(identity::Role::Admin, "GET", path, Value::Null)
            .await
    }

    /// A REST call with a token of `role` (for a test's setup and its checks).
    pub async fn rest(&self, role: identity::Role, method: &str, path: &str, body: Value) -> Value {
        let token = self
            .platform
            .token(&identity::TokenRequest::new("browser-test", role))
            .unwrap();
        let client = reqwest::Client::new();
        let request = client
            .request(method.parse().unwrap(), format!("{}{path}", self.url()))
            .bearer_auth(token);
        let request = if body.is_null() {
            request
        } else {
            request.json(&body)
        };
        let response = request.send().await.expect("the BFF answers");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {body}");
        body
    }
}

/// A headless Chromium session; its chromedriver is killed when it is dropped.
pub struct Browser {
    pub client: Client,
    base: String,
    name: String,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A browser `width` × `height` CSS pixels wide on `base`; `None` (the test is
    /// skipped) when chromedriver is not installed and this is not CI.
    /// A browser on the app at `link` (its address, or the link `pitlane up` prints: the
    /// browser opens it once, so the app keeps the development login's secret).
    pub async fn open(name: &str, link: &str, width: u32, height: u32) -> Option<Browser> {
        let base = link
            .split("/#")
            .next()
            .unwrap_or(link)
            .trim_end_matches('/');
        let chromedriver = es_core::testing::servers::server_url("CHROMEDRIVER")?;
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .env("TZ", TIME_ZONE)
            .env("LANG", "en_GB.UTF-8")
            .env("LANGUAGE", "en_GB")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                // The flags this machine needs: no sandbox as root, and none of
                // Chromium's own network traffic (the network is closed).
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=en-GB",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": "en-GB" },
            },
        });
        let capabilities = capabilities.as_object().unwrap().clone();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut client = None;
        for _ in 0..100 {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(connected) => {
                    client = Some(connected);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("chromedriver starts a Chromium session");
        if link.contains("#login=") {
            client.goto(link).await.unwrap();
            // The app keeps the secret and takes it out of the address bar at once.
            let mut shown = String::new();
            for _ in 0..100 {
                shown = client.current_url().await.unwrap().to_string();
                if !shown.contains("login=") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(!shown.contains("login="), "the secret stays in {shown}");
        }
        let browser = Browser {
            client,
            base: base.to_owned(),
            name: name.to_owned(),
            _driver: driver,
            _profile: profile,
        };
        browser.resize(width, height).await;
        Some(browser)
    }

    /// Logs in on the development login as `role` (a driver as `driver_id`).
    pub async fn log_in(&self, role: &str, driver_id: Option<&str>) {
        self.client.goto(&format!("{}/", self.base)).await.unwrap();
        let select = self.wait("select[name=role]").await;
        select.select_by_value(role).await.unwrap();
        if let Some(driver) = driver_id {
            let option = format!("select[name=driver_id] option[value='{driver}']");
            self.wait(&option).await;
            self.css("select[name=driver_id]")
                .await
                .select_by_value(driver)
                .await
                .unwrap();
        }
        self.css("form button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        self.wait("header.top nav").await;
    }

    /// Opens a screen of the app (`workshop`, `routes`…) and waits for its heading.
    pub async fn open_screen(&self, path: &str) {
        self.client
            .goto(&format!("{}/#/{path}", self.base))
            .await
            .unwrap();
        self.wait("main h1").await;
    }

    pub async fn css(&self, selector: &str) -> Element {
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("no element {selector}: {e}"))
    }

    pub async fn all(&self, selector: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(selector)).await.unwrap()
    }

    /// The first element matching `selector`, once there is one.
    pub async fn wait(&self, selector: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(selector))
            .await
        {
            Ok(element) => element,
            Err(e) => self.fail(&format!("no {selector} appeared: {e}")).await,
        }
    }

    /// The text of the first element matching `selector` once it contains `text`.
    pub async fn wait_text(&self, selector: &str, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        while tokio::time::Instant::now() < deadline {
            seen.clear();
            for element in self.all(selector).await {
                if let Ok(shown) = element.text().await {
                    if shown.contains(text) {
                        return shown;
                    }
                    seen.push(shown);
                }
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        self.fail(&format!("no {selector} says {text:?}; they say {seen:?}"))
            .await
    }

    /// Clicks the button reading `label` inside the first element matching `scope`.
    pub async fn press(&self, scope: &str, label: &str) {
        // The button reading exactly `label`, or else one whose text starts with it.
        let xpath = format!(
            ".//button[normalize-space()=\"{label}\"] | .//button[starts-with(normalize-space(), \"{label}\")]"
        );
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            for container in self.all(scope).await {
                if let Ok(button) = container.find(Locator::XPath(&xpath)).await
                    && button.is_enabled().await.unwrap_or(false)
                {
                    button.click().await.unwrap();
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        self.fail(&format!("no button {label:?} to press in {scope}"))
            .await
    }

    /// Sets an input's value as a person typing it would (the form reads it on submit).
    pub async fn fill(&self, selector: &str, value: &str) {
        let input = self.wait(selector).await;
        self.client
            .execute(
                "arguments[0].value = arguments[1];\
                 arguments[0].dispatchEvent(new Event('input', { bubbles: true }));\
                 arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
                vec![serde_json::to_value(&input).unwrap(), json!(value)],
            )
            .await
            .unwrap();
    }

    pub async fn choose(&self, selector: &str, value: &str) {
        let option = format!("{selector} option[value='{value}']");
        self.wait(&option).await;
        self.css(selector)
            .await
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// Makes the page `width` × `height` CSS pixels, as a device of that size would
    /// (Chromium's windows are at least 500 px wide, so the viewport is emulated).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .issue_cmd(Viewport { width, height })
            .await
            .unwrap_or_else(|e| panic!("cannot emulate a {width} px viewport: {e}"));
        let inner = self
            .client
            .execute("return window.innerWidth;", vec![])
            .await
            .unwrap();
        assert_eq!(inner, json!(width), "the page is {width} px wide");
    }

    /// Whether the page is wider than the window (a layout broken at this width).
    pub async fn overflows_sideways(&self) -> bool {
        let widths = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .unwrap();
        widths[0].as_f64().unwrap() > widths[1].as_f64().unwrap()
    }

    /// Runs axe-core's WCAG 2 A and AA rules and its best practices on the page as it
    /// is now, and fails the test on any violation (`what` names the page state).
    pub async fn assert_accessible(&self, what: &str) {
        let Some(path) = es_core::testing::servers::server_url("AXE_JS") else {
            return;
        };
        let source = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path} ({e}): run scripts/test-infra.sh up"));
        self.client.execute(&source, vec![]).await.unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] })\
                   .then((r) => done(r.violations.map((v) => `${v.id} (${v.impact}): ${v.help}: ` +\
                     v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .unwrap();
        let violations: Vec<String> = serde_json::from_value(found).unwrap();
        if !violations.is_empty() {
            self.screenshot(&format!("inaccessible-{what}")).await;
            panic!(
                "{what} breaks accessibility rules:\n{}",
                violations.join("\n")
            );
        }
    }

    /// Presses `keys` one after another, as a person at the keyboard would (special keys
    /// as WebDriver's code points, e.g. [`TAB`], [`ENTER`]).
    pub async fn keys(&self, keys: &[char]) {
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys {
            actions = actions
                .then(KeyAction::Down { value: *key })
                .then(KeyAction::Up { value: *key });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// What has the keyboard focus: its text (or name, for a field), and whether its
    /// focus is drawn (an outline that is not `none`).
    pub async fn focused(&self) -> (String, bool) {
        let found = self
            .client
            .execute(
                "const e = document.activeElement;\
                 const text = e.matches('input, select, textarea') ? e.name : e.innerText;\
                 return [(text || '').trim(), getComputedStyle(e).outlineStyle !== 'none'];",
                vec![],
            )
            .await
            .unwrap();
        (
            found[0].as_str().unwrap_or_default().to_owned(),
            found[1].as_bool().unwrap_or(false),
        )
    }

    /// Saves what the browser shows as `<test>-<what>.png`.
    pub async fn screenshot(&self, what: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let path = screenshots().join(format!("{}-{what}.png", self.name));
        std::fs::write(&path, png).unwrap();
        path
    }

    async fn fail(&self, why: &str) -> ! {
        let shot = self.screenshot("failure").await;
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        panic!(
            "{why}\nscreenshot: {}\nthe page says:\n{text}",
            shot.display()
        );
    }
}

/// Chromium's `Emulation.setDeviceMetricsOverride`, through chromedriver's CDP endpoint.
#[derive(Debug)]
struct Viewport {
    width: u32,
    height: u32,
}

impl WebDriverCompatibleCommand for Viewport {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": { "width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": false },
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
