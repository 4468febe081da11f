//! The README's walks run as written against `pitlane up` (issue 12: "the README's curl
//! walks and the auditors' example use tokens and still work verbatim"). The blocks are
//! read from README.md itself; the only changes are the platform's addresses (free
//! ports instead of 8080/50051, so tests can run side by side) and a `curl` wrapper that
//! reports each answer's status on stderr.

mod support;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::PITLANE;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The `count` fenced blocks of language `lang` that follow the heading `heading`.
fn blocks_after(readme: &str, heading: &str, lang: &str, count: usize) -> Vec<String> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has `{heading}`"));
    let mut rest = &readme[start..];
    let mut found = Vec::new();
    let fence = format!("```{lang}\n");
    while found.len() < count {
        let open = rest
            .find(&fence)
            .unwrap_or_else(|| panic!("a {lang} block after `{heading}`"));
        let body = &rest[open + fence.len()..];
        let close = body.find("```\n").expect("a closed block");
        found.push(body[..close].to_owned());
        rest = &body[close..];
    }
    found
}

fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// `pitlane up` in `dir` (data in `dir/data`, as the README's "run it where `data/` is").
struct Platform {
    child: Child,
    rest: String,
    command: String,
}

impl Platform {
    fn start(dir: &Path) -> Platform {
        let (rest, command, query) = (free_address(), free_address(), free_address());
        let child = support::pitlane()
            .args(["up", "--rest-addr", &rest, "--command-addr", &command])
            .args(["--query-addr", &query])
            .current_dir(dir)
            .env("PITLANE_RATE_LIMIT", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let platform = Platform {
            child,
            rest,
            command,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(&platform.rest).is_err() {
            assert!(Instant::now() < deadline, "pitlane up did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        platform
    }

    /// Runs `script` with bash in `dir`, as a reader pastes it: `pitlane` on PATH,
    /// the platform's addresses for 8080 and 50051. Returns stdout and every answer's
    /// HTTP status, in order.
    fn run(&self, dir: &Path, script: &str) -> (String, Vec<u16>) {
        let bin = Path::new(PITLANE).parent().unwrap();
        let script = script
            .replace("127.0.0.1:8080", &self.rest)
            .replace("localhost:8080", &self.rest);
        let prelude =
            "curl() { command curl --write-out '%{stderr}HTTP %{http_code}\\n' \"$@\"; }\n";
        let out = support::clean("bash")
            .arg("-c")
            .arg(format!("{prelude}{script}"))
            .current_dir(dir)
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env("PITLANE_COMMAND_URL", format!("http://{}", self.command))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let statuses: Vec<u16> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("HTTP ")?.parse().ok())
            .collect();
        let other: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("HTTP ")).collect();
        assert!(
            other.is_empty(),
            "the walk wrote errors: {other:?}\n{stdout}"
        );
        (stdout, statuses)
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_readme_curl_walk_runs_as_written_with_tokens() {
    let walk = blocks_after(
        &readme(),
        "### A walk through both flows with curl",
        "sh",
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let platform = Platform::start(dir.path());
    let (stdout, statuses) = platform.run(dir.path(), &walk[0]);

    let curls = walk[0].matches("curl -s").count();
    assert_eq!(statuses.len(), curls, "every curl answered: {statuses:?}");
    assert_eq!(statuses[0], 401, "the first call has no token");
    assert!(stdout.starts_with("HTTP/1.1 401"), "{stdout}");
    let conflicts: Vec<usize> = (0..statuses.len())
        .filter(|&i| statuses[i] == 409)
        .collect();
    assert_eq!(
        conflicts.len(),
        1,
        "one 409 (Grace booked twice): {statuses:?}"
    );
    assert!(
        stdout.contains("0193a000-0000-7000-8000-00000000000f"),
        "the 409 names the first parcel"
    );
    for (i, status) in statuses.iter().enumerate().skip(1) {
        assert!(
            (200..300).contains(status) || conflicts.contains(&i),
            "call {i} answered {status}: {statuses:?}\n{stdout}"
        );
    }
    assert!(stdout.contains(r#""status":"delivered""#), "{stdout}");
}

#[test]
fn the_readme_auditors_example_runs_as_written_and_shows_who_did_what() {
    let readme = readme();
    let onboarding = blocks_after(&readme, "### A worked example", "sh", 1);
    let consoles = blocks_after(&readme, "### A worked example", "console", 2);
    // The commands of the two console blocks (the third edits a stopped platform's file).
    let commands: String = consoles
        .iter()
        .flat_map(|block| block.lines())
        .filter_map(|line| line.strip_prefix("$ "))
        .map(|command| format!("{command}\necho '-----'\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let platform = Platform::start(dir.path());
    let (stdout, statuses) = platform.run(dir.path(), &format!("{}\n{commands}", onboarding[0]));

    assert_eq!(statuses, [201, 201, 200, 200], "{stdout}");
    for expected in [
        "request onboarding-ada: 2 events in 2 streams",
        "by kate (planner)",
        "v1 → v2: 4 fields changed by 1 event",
        r#""name": "Ada Lovelace""#,
        "intact: 3 events in 2 streams",
        r#""personal_data":null"#,
        "intact: 3 events in 1 streams",
    ] {
        assert!(stdout.contains(expected), "`{expected}` in:\n{stdout}");
    }
}
