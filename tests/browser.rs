//! A headless Chromium driven over the `DevTools` protocol (a `WebSocket` on loopback): just what
//! the status page's tests need — open a page, evaluate a script in it, wait for a condition,
//! take a screenshot. Debian's `chromium` (`.ci/run` installs it).

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket, stream::MaybeTlsStream};

/// The browser, killed when dropped.
pub(crate) struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

/// The browser's program: `HOTELCARE_CHROMIUM`, else `chromium` on the path.
fn program() -> String {
    std::env::var("HOTELCARE_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

impl Browser {
    /// Starts the browser with one page (1366×768, a hotel's laptop) open at `url`.
    pub(crate) fn open(url: &str) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(program())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--window-size=1366,768",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start `{}` ({error}): the status page's tests need Debian's `chromium` (apt-get install chromium), or HOTELCARE_CHROMIUM naming one",
                    program()
                )
            });
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = sender.send(url.trim().to_owned());
                }
            }
        });
        let endpoint = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium tells its DevTools address");
        assert!(endpoint.starts_with("ws://127.0.0.1:"), "{endpoint}");
        let (socket, _) = tungstenite::connect(endpoint.as_str()).unwrap();
        let mut browser = Self {
            child,
            socket,
            session: String::new(),
            next_id: 1,
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", &json!({ "url": "about:blank" }));
        let target = target["targetId"].as_str().unwrap().to_owned();
        let attached = browser.call(
            "Target.attachToTarget",
            &json!({ "targetId": target, "flatten": true }),
        );
        attached["sessionId"]
            .as_str()
            .unwrap()
            .clone_into(&mut browser.session);
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            &json!({ "width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": false }),
        );
        browser.navigate(url);
        browser
    }

    /// The window's size in CSS pixels (a laptop's 1366×768, a tablet's 768×1024).
    pub(crate) fn resize(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            &json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
        );
    }

    /// One `DevTools` command (of the page, once attached); its result.
    fn call(&mut self, method: &str, params: &Value) -> Value {
        match self.try_call(method, params) {
            Ok(result) => result,
            Err(error) => panic!("{method} failed: {error}"),
        }
    }

    /// One `DevTools` command; its result, or the error `DevTools` answered.
    fn try_call(&mut self, method: &str, params: &Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .unwrap();
        loop {
            let Message::Text(text) = self.socket.read().unwrap() else {
                continue;
            };
            let answer: Value = serde_json::from_str(&text).unwrap();
            if answer["id"] == json!(id) {
                return match answer.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(answer["result"].clone()),
                };
            }
        }
    }

    /// Goes to `url` and waits until its document has loaded.
    pub(crate) fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", &json!({ "url": url }));
        self.wait_for(
            &format!("the page {url}"),
            "document.readyState === 'complete' && location.href !== 'about:blank'",
        );
    }

    /// The value of `expression` in the page.
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            &json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "`{expression}` threw: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }

    /// Waits (up to 20 s) until `expression` is true in the page.
    pub(crate) fn wait_for(&mut self, what: &str, expression: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // A page that is navigating (a form just sent) cannot be asked: not yet, then.
            let result = self.try_call(
                "Runtime.evaluate",
                &json!({ "expression": format!("Boolean({expression})"), "returnByValue": true }),
            );
            if result.is_ok_and(|result| result["result"]["value"] == json!(true)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited 20 s for {what}; the page at {} says:\n{}",
                self.eval("location.href"),
                self.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The page's text as a reader sees it.
    pub(crate) fn text(&mut self) -> String {
        self.eval("document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A PNG of the whole page, written to `path`.
    pub(crate) fn screenshot(&mut self, path: &Path) {
        let shot = self.call(
            "Page.captureScreenshot",
            &json!({ "format": "png", "captureBeyondViewport": true }),
        );
        let data = shot["data"].as_str().unwrap();
        let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
