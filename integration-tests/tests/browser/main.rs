//! The web app (issue 16, ADR 022) in a real browser: headless Chromium through
//! WebDriver against the platform `pitlane up --demo` runs, one test per role's work.

mod harness;
mod oidc;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use harness::{Browser, Demo, ENTER, TAB};
use identity::Role::Dispatcher;
use serde_json::{Value, json};

fn list(value: &Value, key: &str) -> Vec<Value> {
    value[key].as_array().cloned().unwrap_or_default()
}

/// `field` of the demo's first delivery in `status`.
async fn first_delivery(demo: &Demo, status: &str, field: &str) -> String {
    let found = demo
        .get(&format!("/api/v1/deliveries?status={status}&page_size=1"))
        .await;
    list(&found, "deliveries")[0][field]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The instant the browser sends for `date` at `hh:mm` of its own time zone.
async fn browser_utc(browser: &Browser, date: &str, hhmm: &str) -> String {
    let iso = browser
        .client
        .execute(
            "return new Date(arguments[0] + 'T' + arguments[1]).toISOString().replace(/\\.\\d{3}Z$/, 'Z');",
            vec![json!(date), json!(hhmm)],
        )
        .await
        .unwrap();
    iso.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_planner_plans_a_job_that_shows_on_the_board_and_a_fourth_overlapping_job_shows_the_conflict_naming_its_holders()
 {
    let demo = Demo::start().await;
    let Some(browser) = Browser::open("planner", &demo.link(), 1280, 900).await else {
        return;
    };
    // A day the demo leaves empty, so the board holds only what this test plans.
    let date = (chrono::Utc::now() + chrono::Duration::days(9))
        .date_naive()
        .to_string();
    let vehicles = demo
        .get("/api/v1/vehicles?usage=customer&page_size=4")
        .await;
    let plates: Vec<String> = list(&vehicles, "vehicles")
        .iter()
        .map(|v| v["license_number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(plates.len(), 4);

    browser.log_in("planner", None).await;
    browser.open_screen("workshop").await;
    browser.wait(".board").await;
    browser.fill("#board-date", &date).await;
    browser
        .wait_text("main .empty", "No jobs planned on this day")
        .await;

    for (n, plate) in plates.iter().enumerate() {
        browser.press("main .toolbar", "Plan a job").await;
        browser
            .choose("select[name=vehicle_license_number]", plate)
            .await;
        browser
            .choose("select[name=service]", "tire_rotation")
            .await;
        browser.fill("input[name=start]", "10:00").await;
        browser.fill("input[name=end]", "11:30").await;
        browser
            .fill(
                "textarea[name=description]",
                "Rotate the tyres before winter",
            )
            .await;
        browser.press("form.grid-form", "Plan the job").await;
        if n < 3 {
            // Planned: the form closes and the job is on the board, at the time typed.
            browser
                .wait_text(".board .job", &format!("{plate} · Tire rotation"))
                .await;
            let on_board = browser.wait_text(".board .job", plate).await;
            // (In the browser's locale: 10:00 or 10:00 AM.)
            assert!(
                on_board.contains("10:00") && on_board.contains("11:30"),
                "{on_board}"
            );
        }
    }
    let conflict = browser.wait_text(".problem.conflict", "workstations").await;
    assert!(
        conflict.contains("all 3 workstations are taken"),
        "{conflict}"
    );
    for plate in &plates[..3] {
        assert!(
            conflict.contains(plate.as_str()),
            "the conflict names the job of {plate}: {conflict}"
        );
    }
    browser
        .assert_accessible("the plan form with a conflict")
        .await;
    browser.screenshot("fourth-job-refused").await;

    // Shown in the browser's time zone, sent as UTC.
    let planning = demo
        .get(&format!("/api/v1/workshop/plannings/{date}"))
        .await;
    let jobs = list(&planning, "jobs");
    assert_eq!(jobs.len(), 3, "the refused job appended nothing");
    let expected = browser_utc(&browser, &date, "10:00").await;
    assert_ne!(
        expected,
        format!("{date}T10:00:00Z"),
        "the browser is not on UTC"
    );
    for job in &jobs {
        assert_eq!(job["planned_slot"]["start"], json!(expected), "{job}");
    }
}

/// An active route tomorrow from `origin`, with two checkpoints, made over REST.
async fn active_route(demo: &Demo, origin: &str, hour: u32) -> (String, Vec<String>) {
    let day = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let at = |minutes: u32| format!("{day}T{:02}:{:02}:00Z", hour + minutes / 60, minutes % 60);
    let route = demo
        .rest(
            Dispatcher,
            "POST",
            "/api/v1/routes",
            json!({ "origin": origin, "destination": "Utrecht Lunetten", "scheduled_start": at(0) }),
        )
        .await;
    let id = route["id"].as_str().unwrap().to_owned();
    let stops = vec![
        format!("{origin}, loading dock"),
        "Houten, Het Rond 4".to_owned(),
    ];
    for (n, stop) in stops.iter().enumerate() {
        demo.rest(
            Dispatcher,
            "POST",
            &format!("/api/v1/routes/{id}/checkpoints"),
            json!({ "sequence": n + 1, "location": stop, "expected_at": at(30 * (n as u32 + 1)) }),
        )
        .await;
    }
    demo.rest(
        Dispatcher,
        "POST",
        &format!("/api/v1/routes/{id}/activate"),
        Value::Null,
    )
    .await;
    (id, stops)
}

/// Active drivers and available vans, as the dispatcher's pickers offer them.
async fn fleet(demo: &Demo) -> (Vec<Value>, Vec<String>) {
    let drivers = demo
        .get("/api/v1/drivers?status=active&page_size=100")
        .await;
    let vans = demo
        .get("/api/v1/vehicles?usage=fleet&status=available&page_size=100")
        .await;
    let vans = list(&vans, "vehicles")
        .iter()
        .map(|v| v["license_number"].as_str().unwrap().to_owned())
        .collect();
    (list(&drivers, "drivers"), vans)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dispatcher_books_a_driver_and_a_second_booking_of_that_driver_shows_the_409_naming_the_first()
 {
    let demo = Demo::start().await;
    let Some(browser) = Browser::open("dispatcher", &demo.link(), 1280, 900).await else {
        return;
    };
    let (route, _) = active_route(&demo, "Browser test depot", 6).await;
    let (drivers, vans) = fleet(&demo).await;
    let driver = drivers[0]["driver_id"].as_str().unwrap();
    let name = drivers[0]["name"].as_str().unwrap();
    assert!(vans.len() >= 2, "two vans: {vans:?}");

    browser.log_in("dispatcher", None).await;
    browser.open_screen("routes").await;
    browser
        .press("main .rows", "Browser test depot → Utrecht Lunetten")
        .await;
    browser.wait_text(".panel h2", "Browser test depot").await;

    browser.choose("select[name=driver_id]", driver).await;
    browser
        .choose("select[name=vehicle_license_number]", &vans[0])
        .await;
    browser.press(".panel form.grid-form", "Book").await;
    browser
        .wait_text(".panel .rows", &format!("{name} · {}", vans[0]))
        .await;
    let booked = demo
        .get(&format!("/api/v1/deliveries?route_id={route}"))
        .await;
    let first = list(&booked, "deliveries")[0]["delivery_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The same driver in the same slot, with another van: refused, naming the first.
    browser.choose("select[name=driver_id]", driver).await;
    browser
        .choose("select[name=vehicle_license_number]", &vans[1])
        .await;
    browser.press(".panel form.grid-form", "Book").await;
    let conflict = browser.wait_text(".problem.conflict", "Held by").await;
    assert!(
        conflict.contains(&first),
        "the 409 names the first delivery {first}: {conflict}"
    );
    // …and says what that delivery is.
    let named = browser
        .wait_text(
            ".problem.conflict",
            &format!("the delivery of {name} with {}", vans[0]),
        )
        .await;
    assert!(named.contains(&first), "{named}");
    browser.assert_accessible("a refused booking").await;
    browser.screenshot("second-booking-refused").await;
    let after = demo
        .get(&format!("/api/v1/deliveries?route_id={route}"))
        .await;
    assert_eq!(
        list(&after, "deliveries").len(),
        1,
        "the refused booking made nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_driver_completes_a_delivery_on_a_phone_sized_window() {
    let demo = Demo::start().await;
    let Some(browser) = Browser::open("driver", &demo.link(), 390, 844).await else {
        return;
    };
    let (route, stops) = active_route(&demo, "Phone test depot", 12).await;
    let (drivers, vans) = fleet(&demo).await;
    let driver = drivers[1]["driver_id"].as_str().unwrap();
    let delivery = demo
        .rest(
            Dispatcher,
            "POST",
            "/api/v1/deliveries",
            json!({ "route_id": route, "driver_id": driver, "vehicle_license_number": vans[1] }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    browser.log_in("driver", Some(driver)).await;
    browser.open_screen("my-deliveries").await;
    let card = format!("article[data-delivery='{delivery}']");
    browser.wait(&card).await;
    assert!(
        !browser.overflows_sideways().await,
        "no sideways scrolling at 390 px"
    );
    browser.press(&card, "Start transit").await;
    for stop in &stops {
        browser.press(&card, &format!("Reached {stop}")).await;
    }
    browser.press(&card, "Out for delivery").await;
    browser
        .fill(&format!("{card} input[name=receiver_name]"), "Femke Jansen")
        .await;
    browser
        .fill(
            &format!("{card} input[name=signature_reference]"),
            "signatures/phone/0001.png",
        )
        .await;
    browser
        .assert_accessible("the proof of delivery form")
        .await;
    browser.screenshot("proof-of-delivery").await;
    browser.press(&card, "Delivered").await;
    browser
        .wait_text(&format!("{card} .proof"), "Femke Jansen")
        .await;
    browser
        .wait_text(&format!("{card} .status"), "Delivered")
        .await;
    assert!(
        !browser.overflows_sideways().await,
        "no sideways scrolling at 390 px"
    );
    browser.screenshot("delivered").await;

    let done = demo.get(&format!("/api/v1/deliveries/{delivery}")).await;
    assert_eq!(done["status"], "delivered");
    assert_eq!(done["proof"]["receiver_name"], "Femke Jansen");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_auditor_sees_the_diff_between_two_versions_and_the_verify_result() {
    let demo = Demo::start().await;
    let Some(browser) = Browser::open("auditor", &demo.link(), 1280, 900).await else {
        return;
    };
    let delivery = first_delivery(&demo, "delivered", "delivery_id").await;
    let stream = format!("delivery-{delivery}");

    browser.log_in("auditor", None).await;
    browser.open_screen("audit").await;
    browser.fill("#stream-id", &stream).await;
    browser.press("main", "Open").await;
    browser
        .wait_text("main table", "delivery.proof_of_delivery_captured.v1")
        .await;
    // The default comparison: the last event against the one before it.
    browser.press("main", "Compare").await;
    let diff = browser.wait_text("table.diff", "status").await;
    assert!(diff.contains("delivered"), "{diff}");
    browser.press("main", "Verify the whole log").await;
    let verdict = browser.wait_text(".verdict", "events in").await;
    assert!(verdict.starts_with("Intact"), "{verdict}");
    // Tall enough to show the verdict, the history and the diff at once.
    browser.resize(1280, 1900).await;
    browser
        .client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    browser.assert_accessible("the audit with a diff").await;
    browser.screenshot("diff-and-verify").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_only_a_keyboard_a_dispatcher_logs_in_and_reaches_live_tracking_with_the_focus_always_shown()
 {
    let demo = Demo::start().await;
    let Some(browser) = Browser::open("keyboard", &demo.link(), 1280, 800).await else {
        return;
    };
    browser
        .client
        .goto(&format!("{}/", demo.url()))
        .await
        .unwrap();
    browser.wait("select[name=role]").await;
    browser.keys(&[TAB]).await;
    assert_eq!(browser.focused().await, ("role".to_owned(), true));
    // Typing picks an option, as in any select; then on to the button.
    browser.keys(&['d', TAB, TAB]).await;
    let (button, drawn) = browser.focused().await;
    assert_eq!(button, "Log in as dispatcher");
    assert!(drawn, "the focus on the button is drawn");
    browser.keys(&[ENTER]).await;
    browser.wait("header.top nav").await;

    // The skip link first, then the screens.
    browser.keys(&[TAB]).await;
    assert_eq!(
        browser.focused().await,
        ("Skip to content".to_owned(), true)
    );
    let mut presses = 0;
    while browser.focused().await.0 != "Live tracking" {
        browser.keys(&[TAB]).await;
        presses += 1;
        assert!(presses < 10, "Live tracking is reachable by Tab");
        assert!(browser.focused().await.1, "every link shows its focus");
    }
    browser.keys(&[ENTER]).await;
    browser.wait_text("main h1", "Live tracking").await;
    browser.wait("table.tracking tbody tr").await;
}

/// While set, the slow read model holds the tally event it is applying (at most 60 s).
static HOLD: AtomicBool = AtomicBool::new(false);

/// The platform's projections and a read model that waits on [`HOLD`] for tally events.
fn with_a_slow_read_model() -> Vec<Box<dyn query::projection::Projection>> {
    let mut all = query::startup::all_projections();
    all.push(Box::new(Slow(query::testing::tallies::Tallies::default())));
    all
}

struct Slow(query::testing::tallies::Tallies);

impl query::projection::Projection for Slow {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn tables(&self) -> &'static [&'static query::store::Table] {
        self.0.tables()
    }

    fn apply(
        &self,
        event: &es_core::EventEnvelope,
        tx: &mut dyn query::store::Tx,
    ) -> Result<query::projection::Outcome, query::projection::ProjectionError> {
        if event.aggregate_type == query::testing::tallies::AGGREGATE_TYPE {
            let held = std::time::Instant::now();
            while HOLD.load(Ordering::SeqCst) && held.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.0.apply(event, tx)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_sees_a_read_models_lag_while_it_catches_up() {
    let demo = Demo::start_with(with_a_slow_read_model).await;
    let Some(browser) = Browser::open("operator", &demo.link(), 1280, 900).await else {
        return;
    };
    browser.log_in("operator", None).await;
    browser.open_screen("operations").await;
    browser.wait_text("table.read-models", "customers").await;

    // The read models stall on the first of five new events.
    HOLD.store(true, Ordering::SeqCst);
    for n in 0..5 {
        demo.platform
            .store
            .append(es_core::AppendRequest {
                aggregate_type: query::testing::tallies::AGGREGATE_TYPE.into(),
                aggregate_id: format!("slow-{n}"),
                expected: es_core::ExpectedVersion::Any,
                events: vec![es_core::ProposedEvent::new(
                    query::testing::tallies::ADDED,
                    1,
                    json!({ "amount": 1 }),
                    es_core::envelope::now(),
                )],
                metadata: es_core::EventMetadata::system(),
                idempotency: None,
            })
            .await
            .expect("appended");
    }
    // All five, counted against the log's head, though the stuck read model has seen
    // only the first.
    let lagging = browser
        .wait_text(
            "table.read-models tr[data-read-model=tallies] td[data-lag]",
            "5",
        )
        .await;
    assert_eq!(lagging, "5");
    browser.screenshot("lag").await;

    // Released, they catch up, and the page says so without a reload.
    HOLD.store(false, Ordering::SeqCst);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !browser
        .all("table.read-models td.warn[data-lag]")
        .await
        .is_empty()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lag went back to 0 on the page"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The screens of each role on the demo day, at the widths the app must hold: none
/// empty, none breaking axe-core's WCAG 2 A/AA rules (labels, contrast, landmarks,
/// names of buttons…), none wider than the window from 360 to 1,920 pixels. Saves the README's
/// screenshots (`<role>-<screen>.png`, 1,280 wide; the driver's 390).
#[tokio::test(flavor = "multi_thread")]
async fn every_screen_of_every_role_shows_the_demo_day_meets_the_accessibility_rules_and_holds_from_360_to_1920_pixels_wide()
 {
    let demo = Demo::start().await;
    let Some(browser) = Browser::open("demo", &demo.link(), 1280, 800).await else {
        return;
    };
    let driver = first_delivery(&demo, "in_transit", "driver_id").await;
    let screens: &[(&str, Option<&str>, &str, &str)] = &[
        ("planner", None, "workshop", ".board .job"),
        ("planner", None, "customers", "main .rows .row"),
        ("dispatcher", None, "routes", "main .rows .row"),
        ("dispatcher", None, "deliveries", "main .rows .row"),
        ("dispatcher", None, "tracking", "table.tracking tbody tr"),
        ("driver", Some(&driver), "my-deliveries", "article.delivery"),
        ("auditor", None, "audit", "main .rows .row"),
        ("operator", None, "operations", "table.read-models tbody tr"),
    ];
    browser
        .client
        .goto(&format!("{}/", demo.url()))
        .await
        .unwrap();
    browser.wait("select[name=role]").await;
    browser.assert_accessible("the login").await;
    browser.screenshot("login").await;
    let mut role_now = "";
    for (role, driver, screen, filled) in screens {
        if *role != role_now {
            if !role_now.is_empty() {
                browser.press("header.top", "Log out").await;
                browser.wait("select[name=role]").await;
            }
            browser.resize(1280, 800).await;
            browser.log_in(role, *driver).await;
            role_now = role;
        }
        browser.open_screen(screen).await;
        browser.wait(filled).await;
        for width in [360, 1920] {
            browser.resize(width, 800).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(
                !browser.overflows_sideways().await,
                "{role}'s {screen} is wider than a {width} px window"
            );
        }
        let width = if *role == "driver" { 390 } else { 1280 };
        browser.resize(width, 800).await;
        if *screen == "routes" || *screen == "customers" {
            // The detail beside the list, as a person would open it.
            browser.all("main .rows .row").await[0]
                .click()
                .await
                .unwrap();
            browser.wait(".panel h2").await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        browser
            .assert_accessible(&format!("{role}'s {screen}"))
            .await;
        browser.screenshot(&format!("{role}-{screen}")).await;
    }
}
