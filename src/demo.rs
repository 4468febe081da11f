//! `pitlane up --demo`: a believable operator, made through the platform's own REST API
//! (so every rule of the domain and of the BFF holds), around *today* by the clock: a
//! workshop day with finished, planned and cancelled jobs on three workstations;
//! customers with a mix of EVs; technicians with different skills; drivers (one
//! suspended) and fleet vans (one out of service); routes in planning, active, completed
//! and cancelled; deliveries in every state, one in transit with an open incident.
//!
//! The benchmarks' data set stays separate (`bench::workload`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::http::{Client, Target};

/// Name, address, postal code, city, telephone, email.
type Contact = [&'static str; 6];
/// License number, brand, model.
type Car = [&'static str; 3];

const CUSTOMERS: [(Contact, Car); 12] = [
    (
        [
            "Sanne de Jong",
            "Prinsengracht 263",
            "1016 GV",
            "Amsterdam",
            "+31 20 555 0142",
            "sanne.dejong@example.nl",
        ],
        ["HX-412-K", "Polestar", "2 Long Range"],
    ),
    (
        [
            "Mehmet Yılmaz",
            "Kanaalweg 17",
            "3526 KL",
            "Utrecht",
            "+31 30 555 0177",
            "m.yilmaz@example.com",
        ],
        ["KT-88-NB", "Tesla", "Model 3"],
    ),
    (
        [
            "Aoife Byrne",
            "Oudegracht 120",
            "3511 AX",
            "Utrecht",
            "+31 30 555 0118",
            "aoife.byrne@example.ie",
        ],
        ["ZN-905-P", "Volkswagen", "ID.4 Pro"],
    ),
    (
        [
            "Joris Verbeek",
            "Zijlweg 44",
            "2013 DK",
            "Haarlem",
            "+31 23 555 0163",
            "joris@verbeek.example",
        ],
        ["RB-31-TT", "Kia", "EV6 GT-Line"],
    ),
    (
        [
            "Priya Raman",
            "Stationsplein 8",
            "1012 AB",
            "Amsterdam",
            "+31 20 555 0199",
            "priya.raman@example.in",
        ],
        ["GL-270-S", "Hyundai", "Ioniq 5"],
    ),
    (
        [
            "Lucas Moreau",
            "Coolsingel 55",
            "3012 AC",
            "Rotterdam",
            "+31 10 555 0131",
            "lucas.moreau@example.fr",
        ],
        ["FD-6-XR", "Renault", "Megane E-Tech"],
    ),
    (
        [
            "Emma Visser",
            "Hoofdweg 301",
            "1056 CS",
            "Amsterdam",
            "+31 20 555 0107",
            "emma.visser@example.nl",
        ],
        ["PJ-447-D", "BMW", "i4 eDrive40"],
    ),
    (
        [
            "Tomasz Nowak",
            "Laan van Meerdervoort 90",
            "2517 AN",
            "Den Haag",
            "+31 70 555 0150",
            "t.nowak@example.pl",
        ],
        ["VS-52-LM", "Nissan", "Leaf e+"],
    ),
    (
        [
            "Fatima El Idrissi",
            "Grote Markt 12",
            "2011 RD",
            "Haarlem",
            "+31 23 555 0124",
            "fatima.elidrissi@example.com",
        ],
        ["BT-818-H", "Skoda", "Enyaq iV 80"],
    ),
    (
        [
            "Noah Bakker",
            "Vismarkt 3",
            "3581 KN",
            "Utrecht",
            "+31 30 555 0188",
            "noah.bakker@example.nl",
        ],
        ["SX-39-VV", "Peugeot", "e-208"],
    ),
    (
        [
            "Ingrid Larsen",
            "Keizersgracht 410",
            "1016 GC",
            "Amsterdam",
            "+31 20 555 0173",
            "ingrid.larsen@example.no",
        ],
        ["LK-640-R", "Volvo", "EX30"],
    ),
    (
        [
            "Giulia Romano",
            "Witte de Withstraat 21",
            "3012 BL",
            "Rotterdam",
            "+31 10 555 0166",
            "giulia.romano@example.it",
        ],
        ["DN-7-GZ", "Fiat", "500e"],
    ),
];

/// `(name, skills)`.
const TECHNICIANS: [(&str, &[&str]); 5] = [
    ("Chen Wei", &["maintenance", "repairs"]),
    ("Marloes Kuipers", &["paint", "repairs"]),
    ("Kwame Mensah", &["installation", "maintenance"]),
    ("Ilse Drost", &["maintenance"]),
    ("Rafael Ortega", &["installation", "paint"]),
];

/// `(name, driving licence number)`.
const DRIVERS: [(&str, &str); 5] = [
    ("Bram de Vries", "NL-5523-981"),
    ("Yasmin Haddad", "NL-7731-204"),
    ("Pieter Smit", "NL-1189-655"),
    ("Olena Kovalenko", "NL-4407-318"),
    ("Daan Mulder", "NL-9026-447"),
];

/// `(plate, brand, model)` of the operator's own vans.
const VANS: [(&str, &str, &str); 4] = [
    ("VN-101-E", "Mercedes-Benz", "eSprinter"),
    ("VN-102-E", "Ford", "E-Transit"),
    ("VN-103-E", "Renault", "Master E-Tech"),
    ("VN-104-E", "Volkswagen", "ID. Buzz Cargo"),
];

/// A job of today's workshop day, and what became of it.
struct Job {
    /// Index into [`CUSTOMERS`]: the customer and their car.
    customer: usize,
    service: &'static str,
    /// `hh:mm` to `hh:mm`, today.
    slot: (&'static str, &'static str),
    /// Index into [`TECHNICIANS`].
    technician: Option<usize>,
    /// `finished`, `cancelled` or `planned`.
    outcome: &'static str,
    description: &'static str,
}

const fn job(
    customer: usize,
    service: &'static str,
    slot: (&'static str, &'static str),
    technician: Option<usize>,
    outcome: &'static str,
    description: &'static str,
) -> Job {
    Job {
        customer,
        service,
        slot,
        technician,
        outcome,
        description,
    }
}

const JOBS: [Job; 8] = [
    job(
        0,
        "tire_rotation",
        ("08:00", "09:30"),
        Some(0),
        "finished",
        "Rotate and balance; the customer feels a vibration at 100 km/h",
    ),
    job(
        1,
        "panel_paint",
        ("08:00", "11:30"),
        Some(1),
        "finished",
        "Respray the rear left door after a parking scrape",
    ),
    job(
        2,
        "cabin_air_filter_replacement",
        ("08:30", "09:30"),
        None,
        "cancelled",
        "Replace the cabin air filter; musty smell with the air conditioning on",
    ),
    job(
        3,
        "brake_system",
        ("09:30", "11:00"),
        Some(3),
        "planned",
        "Brake fluid and pads; the car squeals when braking downhill",
    ),
    job(
        4,
        "home_charger",
        ("10:00", "13:00"),
        Some(2),
        "planned",
        "Install an 11 kW wall box in the customer's garage",
    ),
    job(
        5,
        "curb_rash_repair",
        ("12:00", "13:30"),
        Some(1),
        "planned",
        "Repair curb rash on both front rims",
    ),
    job(
        6,
        "suspension",
        ("13:00", "15:30"),
        Some(0),
        "planned",
        "Front suspension knocks over speed bumps",
    ),
    job(
        7,
        "window_film",
        ("14:00", "16:00"),
        None,
        "planned",
        "Tint the rear windows",
    ),
];

/// A van in the garage (out of service).
const GARAGE_VAN: (&str, &str, &str) = ("VN-105-E", "Nissan", "e-NV200");

/// The demo loader: an admin's connection to the BFF, failing loudly on any refusal
/// (the demo is made of commands that must all be accepted).
struct Loader {
    http: Client,
    today: NaiveDate,
    /// Commands sent.
    sent: u64,
}

impl Loader {
    async fn send(
        &mut self,
        method: hyper::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let body = (!body.is_null()).then_some(&body);
        let answer = self.http.send(method.clone(), path, body).await?;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        anyhow::ensure!(
            answer.status.is_success(),
            "demo data: {method} {path} answered {}: {text}",
            answer.status
        );
        self.sent += 1;
        // The next command's checks read the read models: they wait for this write.
        if answer.token.is_some() {
            self.http.consistency = answer.token;
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&mut self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(hyper::Method::POST, path, body).await
    }

    async fn put(&mut self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(hyper::Method::PUT, path, body).await
    }

    /// An instant today (UTC), `hh:mm`.
    fn at(&self, time: &str) -> String {
        self.on(self.today, time)
    }

    fn on(&self, date: NaiveDate, time: &str) -> String {
        format!("{date}T{time}:00Z")
    }

    /// Creates a route with its checkpoints (`location`, `hh:mm`) on `date`, starting
    /// at `start`; returns its id.
    async fn route(
        &mut self,
        (origin, destination): (&str, &str),
        date: NaiveDate,
        start: &str,
        checkpoints: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        let scheduled_start = self.on(date, start);
        let created = self
            .post(
                "/api/v1/routes",
                json!({ "origin": origin, "destination": destination,
                        "scheduled_start": scheduled_start }),
            )
            .await?;
        let id = created["id"].as_str().unwrap_or_default().to_owned();
        for (sequence, (location, time)) in checkpoints.iter().enumerate() {
            let expected_at = self.on(date, time);
            self.post(
                &format!("/api/v1/routes/{id}/checkpoints"),
                json!({ "sequence": sequence + 1, "location": location,
                        "expected_at": expected_at }),
            )
            .await?;
        }
        Ok(id)
    }

    async fn delivery(&mut self, route: &str, driver: &str, van: &str) -> anyhow::Result<String> {
        let created = self
            .post(
                "/api/v1/deliveries",
                json!({ "route_id": route, "driver_id": driver, "vehicle_license_number": van }),
            )
            .await?;
        Ok(created["id"].as_str().unwrap_or_default().to_owned())
    }

    /// Takes a delivery through its route's checkpoints, `reached` of them.
    async fn drive(
        &mut self,
        delivery: &str,
        checkpoints: &[(&str, &str)],
        reached: usize,
    ) -> anyhow::Result<()> {
        self.post(
            &format!("/api/v1/deliveries/{delivery}/start-transit"),
            Value::Null,
        )
        .await?;
        for (sequence, (location, _)) in checkpoints.iter().take(reached).enumerate() {
            self.post(
                &format!(
                    "/api/v1/deliveries/{delivery}/checkpoints/{}/reach",
                    sequence + 1
                ),
                json!({ "location": location }),
            )
            .await?;
        }
        Ok(())
    }
}

/// Loads the demo through the BFF at `target` (an admin's token); returns how many
/// commands it sent.
pub async fn load(target: &Target, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let mut loader = Loader {
        http: Client::connect(target).await?,
        today: now.date_naive(),
        sent: 0,
    };

    // Customers and their cars.
    let mut customers = Vec::new();
    for ([name, address, postal_code, city, telephone, email], [plate, brand, model]) in CUSTOMERS {
        let registered = loader
            .post(
                "/api/v1/customers",
                json!({ "name": name, "address": address, "postal_code": postal_code,
                        "city": city, "telephone": telephone, "email": email }),
            )
            .await?;
        let id = registered["id"].as_str().unwrap_or_default().to_owned();
        loader
            .post(
                "/api/v1/vehicles",
                json!({ "license_number": plate, "brand": brand, "model": model,
                        "usage": "customer", "owner_customer_id": id }),
            )
            .await?;
        customers.push((id, plate));
    }

    // The workshop's people.
    let mut technicians = Vec::new();
    for (name, skills) in TECHNICIANS {
        let registered = loader
            .post(
                "/api/v1/technicians",
                json!({ "name": name, "skills": skills }),
            )
            .await?;
        technicians.push(registered["id"].as_str().unwrap_or_default().to_owned());
    }

    // Today's workshop day on three workstations (at most three jobs at once).
    let day = format!("/api/v1/workshop/plannings/{}/jobs", loader.today);
    for job in JOBS {
        let (customer_id, plate) = &customers[job.customer];
        let (from, to) = job.slot;
        let mut body = json!({
            "slot": { "start": loader.at(from), "end": loader.at(to) },
            "vehicle_license_number": plate, "customer_id": customer_id,
            "service": job.service, "description": job.description,
        });
        if let Some(technician) = job.technician {
            body["technician_id"] = technicians[technician].clone().into();
        }
        let planned = loader.post(&day, body).await?;
        let id = planned["id"].as_str().unwrap_or_default().to_owned();
        match job.outcome {
            "finished" => {
                let (start, end) = (loader.at(from), loader.at(to));
                loader
                    .post(
                        &format!("{day}/{id}/finish"),
                        json!({ "actual_start": start, "actual_end": end,
                                "notes": "Done as planned; the customer was informed" }),
                    )
                    .await?;
            }
            "cancelled" => {
                loader
                    .post(
                        &format!("{day}/{id}/cancel"),
                        json!({ "reason": "The customer asked to come back next week" }),
                    )
                    .await?;
            }
            _ => {}
        }
    }

    // The delivery fleet.
    let mut drivers = Vec::new();
    for (name, licence) in DRIVERS {
        let registered = loader
            .post(
                "/api/v1/drivers",
                json!({ "name": name, "driving_licence_number": licence }),
            )
            .await?;
        drivers.push(registered["id"].as_str().unwrap_or_default().to_owned());
    }
    for (plate, brand, model) in VANS {
        loader
            .post(
                "/api/v1/vehicles",
                json!({ "license_number": plate, "brand": brand, "model": model, "usage": "fleet" }),
            )
            .await?;
    }

    // Routes: this morning's to Utrecht (active), today's to Haarlem (active),
    // tomorrow's to Rotterdam (planning), and a cancelled one.
    let today = loader.today;
    let utrecht = [
        ("Amstel Business Park, gate B", "07:40"),
        ("Maarssen distribution centre", "08:30"),
        ("Utrecht Centraal, Jaarbeursplein", "09:15"),
    ];
    let haarlem = [
        ("Sloterdijk station", "09:30"),
        ("Halfweg, Haarlemmerweg 12", "10:00"),
        ("Haarlem, Grote Markt", "10:45"),
    ];
    let rotterdam = [
        ("Schiphol Cargo, building 4", "08:40"),
        ("Leiden Centraal", "09:30"),
        ("Rotterdam, Coolsingel", "10:45"),
    ];
    let to_utrecht = loader
        .route(
            ("Depot Amsterdam-Noord", "Utrecht Centraal"),
            today,
            "07:00",
            &utrecht,
        )
        .await?;
    let to_haarlem = loader
        .route(
            ("Depot Amsterdam-Noord", "Haarlem Grote Markt"),
            today,
            "09:00",
            &haarlem,
        )
        .await?;
    let tomorrow = today + Duration::days(1);
    loader
        .route(
            ("Depot Amsterdam-Noord", "Rotterdam Coolsingel"),
            tomorrow,
            "08:00",
            &rotterdam,
        )
        .await?;
    let cancelled = loader
        .route(
            ("Depot Amsterdam-Noord", "Almere Centrum"),
            tomorrow,
            "13:00",
            &[("Diemen, Weesperstraat", "13:30")],
        )
        .await?;
    for route in [&to_utrecht, &to_haarlem] {
        loader
            .post(&format!("/api/v1/routes/{route}/activate"), Value::Null)
            .await?;
    }
    loader
        .post(&format!("/api/v1/routes/{cancelled}/cancel"), Value::Null)
        .await?;

    // Deliveries in every state.
    // Delivered this morning: the whole route, then the proof.
    let delivered = loader.delivery(&to_utrecht, &drivers[0], VANS[0].0).await?;
    loader.drive(&delivered, &utrecht, utrecht.len()).await?;
    loader
        .post(
            &format!("/api/v1/deliveries/{delivered}/out-for-delivery"),
            Value::Null,
        )
        .await?;
    loader
        .post(
            &format!("/api/v1/deliveries/{delivered}/proof-of-delivery"),
            json!({ "receiver_name": "Dewi Santoso", "signature_reference": "signatures/demo/0001.png" }),
        )
        .await?;
    // Failed on the same route: nobody at the address.
    let failed = loader.delivery(&to_utrecht, &drivers[0], VANS[0].0).await?;
    loader
        .post(
            &format!("/api/v1/deliveries/{failed}/fail"),
            json!({ "reason": "Nobody at the address; card left" }),
        )
        .await?;
    // In transit to Haarlem with an open incident, one checkpoint reached.
    let in_transit = loader.delivery(&to_haarlem, &drivers[1], VANS[1].0).await?;
    loader.drive(&in_transit, &haarlem, 1).await?;
    loader
        .post(
            &format!("/api/v1/deliveries/{in_transit}/incidents"),
            json!({ "incident_type": "delay",
                    "description": "Closed bridge at Halfweg; detour adds 20 minutes" }),
        )
        .await?;
    // Out for delivery in Haarlem, an incident reported and resolved on the way.
    let out = loader.delivery(&to_haarlem, &drivers[2], VANS[2].0).await?;
    loader.drive(&out, &haarlem, haarlem.len()).await?;
    let incident_id = uuid::Uuid::now_v7().to_string();
    loader
        .post(
            &format!("/api/v1/deliveries/{out}/incidents"),
            json!({ "incident_id": incident_id, "incident_type": "damage",
                    "description": "Dented parcel corner; photographed" }),
        )
        .await?;
    loader
        .post(
            &format!("/api/v1/deliveries/{out}/incidents/{incident_id}/resolve"),
            json!({ "resolution": "Receiver accepted the parcel" }),
        )
        .await?;
    loader
        .post(
            &format!("/api/v1/deliveries/{out}/out-for-delivery"),
            Value::Null,
        )
        .await?;
    // Picked up, its driver and van assigned, not left yet.
    loader.delivery(&to_haarlem, &drivers[3], VANS[3].0).await?;

    // A suspended driver and a van in the garage.
    loader
        .post(
            &format!("/api/v1/drivers/{}/suspend", drivers[4]),
            Value::Null,
        )
        .await?;
    let (plate, brand, model) = GARAGE_VAN;
    loader
        .post(
            "/api/v1/vehicles",
            json!({ "license_number": plate, "brand": brand, "model": model, "usage": "fleet" }),
        )
        .await?;
    loader
        .put(
            &format!("/api/v1/vehicles/{plate}/status"),
            json!({ "status": "out_of_service" }),
        )
        .await?;
    Ok(loader.sent)
}
