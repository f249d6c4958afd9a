//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root (where `scripts/` and `tests/fixtures/` are).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

/// The `hotelcare` binary, uncolored, run from the repository root so that paths in messages are
/// short and stable.
pub(crate) fn hotelcare() -> Command {
    let mut command = Command::cargo_bin("hotelcare").expect("the binary is built by cargo test");
    command
        .current_dir(root())
        .arg("--color")
        .arg("never")
        .env_remove("NO_COLOR")
        .env_remove("HOTELCARE_CONFIG");
    command
}

/// A path relative to the repository root, with `/` separators on every platform (for snapshots).
pub(crate) fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Waits (at most 20 s) until `condition` holds.
pub(crate) fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Output as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

use std::process::Output;
use std::time::Duration;

use hotelcare::sim::{self, Faults, Record, Seed, Simulator};

/// The password of the test simulator's MiXML user. Tests grep for it: it must appear nowhere.
/// How many reports of a PBX a minute get a log line each (`engine::flood::TOLD`).
pub(crate) const FLOOD_TOLD: usize = 20;

pub(crate) const PASSWORD: &str = "Pa55-w0rd-&<secret>";
const PASSWORD_ENV: &str = "HOTELCARE_TEST_PBX_PASSWORD";

/// A simulator on loopback HTTPS, in this test process, and a configuration directory for the
/// binary that points at it (trusting its certificate through `ca_file`).
pub(crate) struct TestPbx {
    runtime: tokio::runtime::Runtime,
    simulator: Option<Simulator>,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) config: PathBuf,
}

/// What the configuration of a `TestPbx` says.
pub(crate) struct Setup {
    pub(crate) number_transfer: bool,
    pub(crate) timeout_secs: u64,
    pub(crate) attempts: u32,
    pub(crate) max_concurrency: usize,
    pub(crate) rooms: Seed,
    /// Extra TOML appended to `[pbx]` (e.g. a different trust).
    pub(crate) pbx_extra: String,
    /// Use `ca_file` (the usual way) or nothing (system roots: the certificate is not trusted).
    pub(crate) trust_certificate: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            number_transfer: true,
            timeout_secs: 2,
            attempts: 3,
            max_concurrency: 4,
            rooms: Seed::vendor_example(2),
            pbx_extra: String::new(),
            trust_certificate: true,
        }
    }
}

impl TestPbx {
    pub(crate) fn start() -> Self {
        Self::with(Setup::default())
    }

    pub(crate) fn with(setup: Setup) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut options = sim::Options::new("hotelcare", PASSWORD);
        options.seed = setup.rooms;
        let simulator = runtime.block_on(Simulator::start(options)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("sim.pem"),
            simulator.certificate_pem().unwrap(),
        )
        .unwrap();
        let trust = if setup.trust_certificate {
            "ca_file = \"sim.pem\"\n"
        } else {
            ""
        };
        let transfer = if setup.number_transfer {
            "[number_transfer]\nenabled = true\nrange = \"3000-3005\"\n"
        } else {
            ""
        };
        let config = format!(
            "[pbx]\nserver = \"{address}\"\nuser = \"hotelcare\"\npassword_env = \"{PASSWORD_ENV}\"\ntimeout_secs = {timeout}\n{trust}{extra}\n\
             [class_of_restriction]\nallow = 1\nblock = 2\n\n[class_of_service]\nLOCAL = 3\n\n{transfer}\n\
             [run]\nmax_concurrency = {concurrency}\nstate_dir = \"state\"\nlog_dir = \"logs\"\n\n\
             [run.retry]\nattempts = {attempts}\ninitial_backoff_ms = 20\nmax_backoff_ms = 200\n\n\
             [service]\nlisten = \"127.0.0.1:0\"\n",
            address = simulator.address(),
            timeout = setup.timeout_secs,
            extra = setup.pbx_extra,
            concurrency = setup.max_concurrency,
            attempts = setup.attempts,
        );
        let config_path = dir.path().join("hotelcare.toml");
        std::fs::write(&config_path, config).unwrap();
        Self {
            runtime,
            simulator: Some(simulator),
            dir,
            config: config_path,
        }
    }

    pub(crate) fn simulator(&self) -> &Simulator {
        self.simulator.as_ref().unwrap()
    }

    pub(crate) fn record(&self, dn: &str) -> Record {
        self.simulator()
            .record(dn)
            .unwrap_or_else(|| panic!("no room {dn}"))
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        self.simulator().set_faults(faults);
        // A refused or reopened socket needs the accept loop to notice.
        std::thread::sleep(Duration::from_millis(50));
    }

    /// `hotelcare ARGS --config <this PBX's configuration>` with the password in the environment.
    pub(crate) fn hotelcare(&self) -> Command {
        let mut command = hotelcare();
        command
            .current_dir(self.dir.path())
            .arg("--config")
            .arg(&self.config)
            .env(PASSWORD_ENV, PASSWORD);
        command
    }

    /// The same as a plain `std::process::Command` (to spawn, signal or close its pipes).
    pub(crate) fn command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("hotelcare"));
        command
            .current_dir(self.dir.path())
            .args(["--color", "never", "--config"])
            .arg(&self.config)
            .env(PASSWORD_ENV, PASSWORD)
            .env_remove("NO_COLOR");
        command
    }

    /// Writes `script` to a file and runs it.
    pub(crate) fn run(&self, script: &str) -> Output {
        let path = self.dir.path().join("script.hc");
        std::fs::write(&path, script).unwrap();
        self.hotelcare().arg("run").arg(&path).output().unwrap()
    }

    /// Every file the binary wrote under this PBX's directory (logs, journal), as text.
    pub(crate) fn written_files(&self) -> Vec<(PathBuf, String)> {
        let mut out = Vec::new();
        let mut stack = vec![self.dir.path().to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        }
        out
    }
}

impl Drop for TestPbx {
    fn drop(&mut self) {
        if let Some(simulator) = self.simulator.take() {
            self.runtime.block_on(simulator.stop());
        }
    }
}

/// A spawned `hotelcare serve`, killed when dropped: a test that fails midway leaves no service
/// running behind it.
pub(crate) struct Service(Option<std::process::Child>);

impl Service {
    pub(crate) fn new(child: std::process::Child) -> Self {
        Self(Some(child))
    }
}

impl std::ops::Deref for Service {
    type Target = std::process::Child;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for Service {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.as_mut().expect("present until dropped")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            if child.try_wait().ok().flatten().is_none() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

/// One run of `hotelcare` and everything it must print, compared whole (as casey/just's
/// `Test`): the files it reads are written into a fresh directory, which is its working
/// directory, and stdout, stderr and the exit status are each compared exactly. What is not
/// said is expected empty (stdout, stderr) or 0 (the status), so a test states all of it, and a
/// changed word anywhere in a message shows as a failing comparison, not as a substring that
/// still matches. `$DIR` in an expectation stands for the directory, `$ROOT` for the repository.
#[must_use = "a Test checks nothing until it is `run()`"]
pub(crate) struct Test {
    dir: tempfile::TempDir,
    args: Vec<std::ffi::OsString>,
    stdin: Vec<u8>,
    stdout: String,
    stderr: String,
    status: i32,
}

impl Test {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
            args: Vec::new(),
            stdin: Vec::new(),
            stdout: String::new(),
            stderr: String::new(),
            status: 0,
        }
    }

    /// Writes `contents` to `name` in the directory (bytes: a script need not be UTF-8).
    pub(crate) fn file(self, name: &str, contents: impl AsRef<[u8]>) -> Self {
        std::fs::write(self.dir.path().join(name), contents).expect("a test file");
        self
    }

    /// Copies the repository's `path` (`scripts/vendor-example.toml`) into the directory, under
    /// its file name.
    pub(crate) fn copy(self, path: &str) -> Self {
        let name = Path::new(path).file_name().expect("a file name");
        std::fs::copy(root().join(path), self.dir.path().join(name)).expect("a repository file");
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub(crate) fn stdin(mut self, stdin: impl AsRef<[u8]>) -> Self {
        self.stdin = stdin.as_ref().to_vec();
        self
    }

    pub(crate) fn stdout(mut self, stdout: &str) -> Self {
        stdout.clone_into(&mut self.stdout);
        self
    }

    pub(crate) fn stderr(mut self, stderr: &str) -> Self {
        stderr.clone_into(&mut self.stderr);
        self
    }

    pub(crate) fn status(mut self, status: i32) -> Self {
        self.status = status;
        self
    }

    /// Runs the binary and compares. Returns the directory, for a look at what it left.
    pub(crate) fn run(self) -> tempfile::TempDir {
        let output = hotelcare()
            .current_dir(self.dir.path())
            .args(&self.args)
            .write_stdin(self.stdin.clone())
            .output()
            .expect("the binary runs");
        let dir = self.dir.path().to_string_lossy().into_owned();
        let root = root().to_string_lossy().into_owned();
        let shown = |bytes: &[u8]| text(bytes).replace(&dir, "$DIR").replace(&root, "$ROOT");
        let (stdout, stderr) = (shown(&output.stdout), shown(&output.stderr));
        assert_eq!(
            (stdout.as_str(), stderr.as_str(), output.status.code()),
            (
                self.stdout.as_str(),
                self.stderr.as_str(),
                Some(self.status)
            ),
            "\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}"
        );
        self.dir
    }
}
