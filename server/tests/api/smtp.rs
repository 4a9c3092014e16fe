//! A real SMTP server for the tests: aiosmtpd (PyPI), started on a free port, storing every
//! message in a maildir that the tests read back.

use crate::helpers::python;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// A message as received.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    #[allow(dead_code)]
    pub attachments: Vec<(String, Vec<u8>)>,
}

impl Mail {
    /// The first signing link in the message.
    pub fn sign_link(&self) -> String {
        let at = self.text.find("/sign/").unwrap_or_else(|| panic!("no signing link in: {}", self.text));
        let start = self.text[..at].rfind("http").unwrap();
        self.text[start..].split_whitespace().next().unwrap().to_owned()
    }

    pub fn token(&self) -> String {
        self.sign_link().rsplit('/').next().unwrap().to_owned()
    }
}

impl SmtpSink {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd (run scripts/setup.sh --test)");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Mail> {
        let new = self.dir.path().join("maildir/new");
        let mut files: Vec<_> = std::fs::read_dir(&new).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files.iter().filter_map(|p| std::fs::read(p).ok()).map(|raw| parse(&raw)).collect()
    }

    /// Waits until `n` messages have arrived for `to`, and returns them.
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<Mail> {
        let start = Instant::now();
        loop {
            let got: Vec<Mail> = self.messages().into_iter().filter(|m| m.to.contains(to)).collect();
            if got.len() >= n {
                return got;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "expected {n} message(s) for {to}, got {}", got.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn count_for(&self, to: &str) -> usize {
        self.messages().iter().filter(|m| m.to.contains(to)).count()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn parse(raw: &[u8]) -> Mail {
    let m = mail_parser::MessageParser::default().parse(raw).expect("a parsable message");
    let to = m.to().map(|a| a.iter().filter_map(|x| x.address()).collect::<Vec<_>>().join(",")).unwrap_or_default();
    Mail {
        to,
        subject: m.subject().unwrap_or_default().to_owned(),
        text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        attachments: m.attachments().map(|a| (mail_parser::MimeHeaders::attachment_name(a).unwrap_or_default().to_owned(), a.contents().to_vec())).collect(),
    }
}
