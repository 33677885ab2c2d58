//! The HTML report and the swimlane pictures: deterministic bytes (pinned by snapshots for a
//! counterexample of each protocol and of a protocol file), what the clobber picture must show,
//! and a real browser that renders the page (headless Chromium: `cargo test` skips it, saying
//! why, where no browser is installed; `.ci/run` installs one and requires it).

use crate::support;
use support::{lockstep, tempdir};

/// `run --svg` for one counterexample.
fn svg(file: &str, variant: &str) -> String {
    let out = format!("{}/cx.svg", tempdir());
    let r = lockstep(&["run", file, "--variant", variant, "--svg", &out]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{file} {variant}: {e}\n{}", r.stderr))
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// The clobber: A's, B's and C's lanes, B's and C's init bars overlapping, the max-inits step
/// ringed.
#[test]
fn the_clobber_picture_shows_the_overlap_and_the_violating_step() {
    let s = svg("scenarios/init-lock/clobber.toml", "v1-reclaim");
    assert!(s.starts_with("<?xml"));
    for lane in ["A", "B", "C", "shared state"] {
        assert!(
            s.contains(&format!("<g class=\"lane\" data-lane=\"{lane}\">")),
            "{lane}"
        );
    }
    assert_eq!(count(&s, "<g class=\"lane\""), 4);
    // One bar each: A 0-400 ms, B from 320 ms, C from 440 ms; B's and C's overlap at the end.
    let bars: Vec<(usize, usize)> = ["A", "B", "C"]
        .iter()
        .map(|a| {
            let i = s
                .find(&format!("<rect class=\"section\" data-lane=\"{a}\" x=\""))
                .unwrap_or_else(|| panic!("{a}'s bar"));
            let rest = &s[i..];
            let num = |key: &str| -> usize {
                let j = rest.find(key).unwrap() + key.len();
                rest[j..].split('"').next().unwrap().parse().unwrap()
            };
            (num(" x=\""), num(" x=\"") + num(" width=\""))
        })
        .collect();
    let (b, c) = (bars[1], bars[2]);
    assert!(
        c.0 >= b.0 && c.0 < b.1,
        "C's bar starts inside B's: {bars:?}"
    );
    assert_eq!(count(&s, "<g class=\"violation\">"), 1);
    assert!(s.contains("✗ max-inits"));
    // Steps: 19 moves, the 15 routine polls folded into one mark.
    assert_eq!(count(&s, "<g class=\"mark\""), 5);
    assert!(s.contains("×15"));
    // The README shows this very picture.
    let shipped = std::fs::read_to_string(format!(
        "{}/docs/img/clobber-v1-reclaim.svg",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(
        shipped == s,
        "docs/img/clobber-v1-reclaim.svg is stale: `lockstep run scenarios/init-lock/clobber.toml --variant v1-reclaim --svg docs/img/clobber-v1-reclaim.svg`"
    );
}

/// Same inputs, same bytes: two reports of the same scenarios are identical, and one
/// counterexample of each protocol (and of a protocol file) is pinned.
#[test]
fn pictures_and_pages_are_deterministic() {
    let (a, b) = (tempdir(), tempdir());
    for dir in [&a, &b] {
        let r = lockstep(&[
            "report",
            "--html",
            "scenarios/init-lock/clobber.toml",
            "scenarios/prewarm-lock/two-reclaimers.toml",
            "--out",
            dir,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let page = std::fs::read_to_string(format!("{a}/index.html")).unwrap();
    assert_eq!(
        page,
        std::fs::read_to_string(format!("{b}/index.html")).unwrap()
    );
    assert!(!page.contains(&a) && !page.contains("/tmp/") && !page.contains("<script"));
    // Self-contained: nothing is fetched (the SVG namespace is a name, not a fetch).
    assert!(!page.contains(" src=") && !page.contains("href=\"http") && !page.contains("@import"));
    for (file, variant, name) in [
        (
            "scenarios/init-lock/clobber.toml",
            "v1-reclaim",
            "init_lock_clobber",
        ),
        (
            "scenarios/restart-lock/long-restart.toml",
            "v1-unlink-recreate",
            "restart_lock_long_restart",
        ),
        (
            "scenarios/prewarm-lock/two-reclaimers.toml",
            "v1-pid-liveness",
            "prewarm_lock_two_reclaimers",
        ),
        (
            "scenarios/isolate/dynamic-outstanding.toml",
            "w3-shipped",
            "isolate_dynamic_outstanding",
        ),
        (
            "examples/migration-lease/scenarios/slow-migration.toml",
            "v1-single-lease",
            "protocol_file_slow_migration",
        ),
    ] {
        let s = svg(file, variant);
        assert_eq!(s, svg(file, variant), "{file}");
        insta::assert_snapshot!(format!("svg_{name}"), s);
    }
}

fn browser() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(str::to_string)
}

/// Opens the report in headless Chromium: the page renders with no console error or failed
/// load, the DOM after rendering has the matrix, one swimlane per counterexample with the
/// expected lanes and marks, and the screenshot is not blank.
#[test]
fn the_report_renders_in_a_real_browser() {
    let Some(chrome) = browser() else {
        assert!(
            std::env::var_os("LOCKSTEP_REQUIRE_BROWSER").is_none(),
            "LOCKSTEP_REQUIRE_BROWSER is set and no chromium is installed"
        );
        eprintln!("skipped: no chromium on PATH (apt-get install chromium; .ci/run does)");
        return;
    };
    let dir = tempdir();
    let r = lockstep(&[
        "report",
        "--html",
        "scenarios/init-lock/clobber.toml",
        "scenarios/restart-lock/long-restart.toml",
        "--out",
        &dir,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let page = format!("file://{dir}/index.html");
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let dom = std::process::Command::new(&chrome)
        .args(flags)
        .args(["--dump-dom", &page])
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(html.contains("<table class=\"matrix\">"), "{log}");
    for bad in ["CONSOLE", "Uncaught", "Failed to load resource", "net::ERR"] {
        assert!(!log.contains(bad), "{bad} in the browser's log:\n{log}");
    }
    // clobber v1 and v2, long-restart v1 and v2: four counterexamples, each a swimlane.
    let svgs = count(&html, "<svg ");
    let cxs = count(&html, "<section class=\"counterexample\">");
    assert!(
        cxs >= 3 && svgs == cxs,
        "{svgs} pictures for {cxs} counterexamples"
    );
    assert!(count(&html, "<g class=\"lane\" data-lane=\"C\">") >= 1);
    assert!(count(&html, "<g class=\"mark\"") >= 4 * cxs);
    let shot = format!("{dir}/shot.png");
    let run = std::process::Command::new(&chrome)
        .args(flags)
        .args([
            "--window-size=1280,1800",
            &format!("--screenshot={shot}"),
            &page,
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let png = std::fs::File::open(&shot).expect("a screenshot");
    let mut reader = png::Decoder::new(png).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let pixels = &buf[..info.buffer_size()];
    let distinct: std::collections::BTreeSet<&[u8]> =
        pixels.chunks(info.color_type.samples()).collect();
    assert!(
        distinct.len() > 16,
        "a blank screenshot: {} colours",
        distinct.len()
    );
    let dark = pixels
        .chunks(info.color_type.samples())
        .filter(|p| p[0] < 100)
        .count();
    assert!(dark > 2_000, "too little ink: {dark} dark pixels");
}
