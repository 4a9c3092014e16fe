//! The SMTP transport mail leaves by (lettre), or — without an SMTP server configured — none:
//! messages are then captured (kept in the outbox, shown on the development mailbox page).

use crate::infra::config::Settings;
use anyhow::Context as _;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use std::sync::Arc;
use tokio::sync::Notify;

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Capture,
}

/// Sends mail from the outbox; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: Arc<Transport>,
    pub from: Mailbox,
    /// Wakes the outbox worker after a transaction queued mail.
    pub wake: Arc<Notify>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("capturing", &self.is_capturing()).field("from", &self.from.to_string()).finish()
    }
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let transport = match &settings.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .context("DOJANG_SMTP_URL is not a valid smtp:// or smtps:// URL")?
                    .timeout(Some(std::time::Duration::from_secs(30)))
                    .build(),
            ),
            None => Transport::Capture,
        };
        let from: Mailbox = settings.mail_from.parse().context("DOJANG_MAIL_FROM is not a valid mailbox")?;
        Ok(Self { transport: Arc::new(transport), from, wake: Arc::new(Notify::new()) })
    }

    /// True when mail is kept locally instead of sent (no SMTP server configured).
    pub fn is_capturing(&self) -> bool {
        matches!(*self.transport, Transport::Capture)
    }

    /// Hands a built message to the SMTP server. Ok(false) means captured, not sent.
    pub async fn deliver(&self, message: lettre::Message) -> Result<bool, String> {
        use lettre::AsyncTransport as _;
        match &*self.transport {
            Transport::Smtp(t) => t.send(message).await.map(|_| true).map_err(|e| e.to_string()),
            Transport::Capture => Ok(false),
        }
    }
}
