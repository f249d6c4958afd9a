//! The status page of `hotelcare serve`, in a real headless Chromium against the simulator: a
//! guest in the grid, a live command in the monitor without a reload, a PBX that stops shown
//! down, and "retry" running the queue once it is back. Then the same page refused without a
//! session, at a foreign `Host`, with a used ticket, and a change without the page's form.
//!
//! With `HOTELCARE_SCREENSHOTS=1` the screenshots go to `docs/dashboard/` (for
//! `docs/dashboard.md`); otherwise to a temporary directory.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use hotelcare::sim::Faults;

use crate::browser::Browser;
use crate::service::{start_serve, stop};
use crate::support::{TestPbx, root, text};

/// `hotelcare dashboard`'s link.
fn dashboard_link(pbx: &TestPbx) -> String {
    let output = pbx.hotelcare().arg("dashboard").output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("within 60 s"),
        "{}",
        text(&output.stderr)
    );
    text(&output.stdout).trim().to_owned()
}

/// One HTTP/1.1 request with the given headers; the status, the head and the body.
fn fetch(
    address: SocketAddr,
    head: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut request = format!(
        "{head}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

fn screenshots() -> (PathBuf, Option<tempfile::TempDir>) {
    if std::env::var_os("HOTELCARE_SCREENSHOTS").is_some() {
        let dir = root().join("docs/dashboard");
        std::fs::create_dir_all(&dir).unwrap();
        (dir, None)
    } else {
        let dir = tempfile::tempdir().unwrap();
        (dir.path().to_owned(), Some(dir))
    }
}

#[test]
fn the_status_page_shows_the_house_live_and_its_retry_runs_the_queue() {
    let pbx = TestPbx::start();
    let (service, address) = start_serve(&pbx, None);
    let (shots, _keep) = screenshots();
    let output = pbx.run("CHECKIN 1000 \"Solo,Alina\" DID 3000\n");
    assert!(output.status.success(), "{}", text(&output.stderr));

    let link = dashboard_link(&pbx);
    assert!(
        link.starts_with(&format!("http://{address}/login?ticket=")),
        "{link}"
    );
    let mut browser = Browser::open(&link);
    // The ticket became a cookie and the page came: a checked-in guest in the grid.
    browser.wait_for(
        "the guest in the grid",
        r#"document.querySelector('#rooms li.room[data-room="1000"][data-state="occupied"]')?.innerText.includes('Solo,Alina')"#,
    );
    browser.wait_for(
        "the live stream",
        "document.getElementById('connection').innerText.endsWith('on')",
    );
    assert_eq!(browser.eval("location.pathname"), "/");

    // A command from elsewhere appears in the monitor and the grid, without a reload.
    browser.eval("window.stillTheSamePage = true");
    let output = pbx.run("CHECKIN 2000 \"Organa,Leia\"\n");
    assert!(output.status.success(), "{}", text(&output.stderr));
    browser.wait_for(
        "the live command in the monitor",
        "[...document.querySelectorAll('#monitor li')].some(li => li.dataset.room === '2000' && li.dataset.outcome === 'done')",
    );
    browser.wait_for(
        "room 2000 occupied in the grid",
        r#"document.querySelector('#rooms li.room[data-room="2000"][data-state="occupied"]')"#,
    );
    assert_eq!(browser.eval("window.stillTheSamePage === true"), true);
    browser.screenshot(&shots.join("rooms-and-monitor.png"));

    // The PBX stops: the page says so, and the command waits in the queue.
    pbx.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    let output = pbx.run("COS 1000 BLOCK\n");
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    browser.wait_for(
        "the PBX shown down",
        "document.querySelector('#links tr.link[data-state=\"down\"]')?.innerText.includes('DOWN')",
    );
    browser.wait_for(
        "the command pending in the queue",
        "document.querySelector('#queue tr.command[data-state=\"pending\"]')?.innerText.includes('COS 1000 BLOCK')",
    );
    // The service's own next try is 4 s away: the retry below is the page's, not the
    // service's.
    browser.wait_for(
        "the service's pause to grow",
        "document.getElementById('monitor').innerText.includes('trying again in 4 s')",
    );
    browser.screenshot(&shots.join("queue-and-links.png"));
    // Readable on a tablet too: nothing wider than the screen, the buttons reachable.
    browser.resize(768, 1024);
    assert_eq!(
        browser.eval("document.documentElement.scrollWidth <= window.innerWidth"),
        true,
        "the page is wider than a tablet's screen: {}",
        browser.eval("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + (e.innerText||'').slice(0,40)).slice(0,10).join(' | ') + ' of ' + window.innerWidth")
    );
    browser.screenshot(&shots.join("tablet.png"));
    browser.resize(1366, 768);

    // The PBX is back; "retry" asks first, then runs the queue.
    pbx.set_faults(Faults::default());
    browser.eval(r#"document.querySelector('#queue form[action="/queue/retry"] button').click()"#);
    browser.wait_for(
        "the question",
        "location.pathname === '/queue/retry' && document.querySelector('form[method=post] button')",
    );
    assert!(
        pbx.record("1000").cor_day != "2",
        "nothing ran before the answer"
    );
    browser.eval("document.querySelector('form[method=post] button').click()");
    browser.wait_for(
        "the retry's outcome",
        "document.querySelector('pre.outcome')?.innerText.includes('1 pending command(s) running now')",
    );
    browser.navigate(&format!("http://{address}/"));
    browser.wait_for(
        "an empty queue",
        "document.querySelector('#queue p')?.innerText === '0 pending, 0 failed'",
    );
    browser.wait_for(
        "the PBX shown up",
        "!document.querySelector('#links tr.link[data-state=\"down\"]')",
    );
    browser.wait_for(
        "room 1000 blocked",
        r#"document.querySelector('#rooms li.room[data-room="1000"][data-state="blocked"]')"#,
    );
    assert_eq!(pbx.record("1000").cor_day, "2");

    // With nothing queued, "Test the PBX links now" shows a PBX that stopped, and one that is
    // back.
    browser.navigate(&format!("http://{address}/"));
    pbx.set_faults(Faults {
        refuse_connections: true,
        ..Faults::default()
    });
    browser.eval(r#"document.querySelector('form[action="/links/test"] button').click()"#);
    browser.wait_for(
        "the test's outcome",
        "document.querySelector('pre.outcome')?.dataset.good === 'false'",
    );
    browser.navigate(&format!("http://{address}/"));
    browser.wait_for(
        "the PBX shown down again",
        "document.querySelector('#links tr.link[data-state=\"down\"]')",
    );
    pbx.set_faults(Faults::default());
    browser.eval(r#"document.querySelector('form[action="/links/test"] button').click()"#);
    browser.wait_for(
        "the test's outcome",
        "document.querySelector('pre.outcome')?.dataset.good === 'true'",
    );
    browser.navigate(&format!("http://{address}/"));
    browser.wait_for(
        "the PBX shown up",
        "document.querySelector('#links tr.link[data-state=\"up\"]')",
    );

    // A room's own page: its state and its recent commands.
    browser.navigate(&format!("http://{address}/rooms/1000"));
    let page = browser.text();
    assert!(page.contains("Solo,Alina"), "{page}");
    assert!(
        page.contains("DID\n3000") || page.contains("DID\t3000"),
        "{page}"
    );
    assert!(page.contains("blocked\nGuest"), "{page}");
    assert!(
        page.lines()
            .any(|line| line.contains(" 1000  COS ") && line.contains(" done ")),
        "the done COS among the recent commands: {page}"
    );
    browser.screenshot(&shots.join("room.png"));
    drop(browser);
    stop(service);
}

#[test]
fn the_status_page_is_refused_without_a_session_at_a_foreign_host_and_with_a_used_ticket() {
    let pbx = TestPbx::start();
    let (service, address) = start_serve(&pbx, None);
    let host = address.to_string();
    let own = [("Host", host.as_str())];

    // Without a session: no guest data, and what to do.
    let (status, head, body) = fetch(address, "GET / HTTP/1.1", &own, "");
    assert_eq!(status, 401, "{head}");
    assert!(body.contains("hotelcare dashboard"), "{body}");
    let (status, _, _) = fetch(address, "GET /events HTTP/1.1", &own, "");
    assert_eq!(status, 401);
    let (status, _, _) = fetch(address, "GET /rooms/1000 HTTP/1.1", &own, "");
    assert_eq!(status, 401);

    // A ticket opens one session, once.
    let link = dashboard_link(&pbx);
    let path = link.strip_prefix(&format!("http://{address}")).unwrap();
    let (status, head, _) = fetch(address, &format!("HEAD {path} HTTP/1.1"), &own, "");
    assert_eq!(
        status, 200,
        "a link preview does not use the ticket: {head}"
    );
    let (status, head, body) = fetch(address, &format!("GET {path} HTTP/1.1"), &own, "");
    assert_eq!(status, 200, "{head}");
    assert!(
        body.contains(r#"http-equiv="refresh" content="0; url=/""#),
        "{body}"
    );
    let cookie = head
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .unwrap_or_else(|| panic!("a cookie in {head}"));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let (status, _, body) = fetch(address, &format!("GET {path} HTTP/1.1"), &own, "");
    assert_eq!(status, 403, "a used ticket");
    assert!(body.contains("Run `hotelcare dashboard` again"), "{body}");

    // With the session, the page; never cached.
    let with_session = [("Host", host.as_str()), ("Cookie", session.as_str())];
    let (status, head, body) = fetch(address, "GET / HTTP/1.1", &with_session, "");
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("cache-control: no-store"), "{head}");
    assert!(body.contains("<h2 id=\"rooms-title\">Rooms</h2>"), "{body}");

    // The same session at another name (DNS rebinding): refused.
    let foreign = [("Host", "rebind.example:80"), ("Cookie", session.as_str())];
    let (status, _, body) = fetch(address, "GET / HTTP/1.1", &foreign, "");
    assert_eq!(status, 421);
    assert!(body.contains(&format!("http://{address}/")), "{body}");
    assert!(!body.contains("Rooms"), "{body}");
    for path in ["/events", "/rooms/1000", "/part/rooms", "/login?ticket=00"] {
        let (status, _, _) = fetch(address, &format!("GET {path} HTTP/1.1"), &foreign, "");
        assert_eq!(status, 421, "{path} at a foreign Host");
    }

    // A change without the page's CSRF value, or from another origin: refused, nothing done.
    let form = [
        ("Host", host.as_str()),
        ("Cookie", session.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let (status, _, _) = fetch(address, "POST /queue/retry HTTP/1.1", &form, "csrf=00");
    assert_eq!(status, 403);
    let (status, _, page) = fetch(address, "GET /queue/retry HTTP/1.1", &with_session, "");
    assert_eq!(status, 200);
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let mut foreign_origin = form.to_vec();
    foreign_origin.push(("Origin", "http://rebind.example"));
    let body = format!("csrf={csrf}");
    let (status, _, _) = fetch(
        address,
        "POST /queue/retry HTTP/1.1",
        &foreign_origin,
        &body,
    );
    assert_eq!(status, 403);
    let (status, _, page) = fetch(address, "POST /queue/retry HTTP/1.1", &form, &body);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Queue retried"), "{page}");

    // The ticket needs the API's token.
    let (status, _, _) = fetch(address, "POST /v1/dashboard/ticket HTTP/1.1", &own, "");
    assert_eq!(status, 401);
    stop(service);
}
