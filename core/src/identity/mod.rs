//! Who is signing. Each recipient may have checks to pass before their signing page shows
//! anything of the contract: codes by email or SMS, an access code the sender shares, or
//! what they know (their phone number and birth date). This module owns a recipient's
//! settings (checked and stored with the draft); `gate` runs the checks on the signing page
//! and records what passed; `provider` is the interface a check is run through (email and
//! SMS codes first, a certificate provider such as Kakao later); `phone` parses numbers.

pub mod gate;
pub mod phone;
pub mod provider;

use crate::error::{AppResult, FieldError};
use crate::ids::{EnvelopeId, RecipientId};
use crate::infra::config::{Secret, Settings};
use crate::infra::crypto::keyed_hash;
use crate::infra::db::{Timestamp, Tx};
use crate::model::{AuthMethod, Channel};
use phone::Phone;

/// Wrong answers (over all checks) after which the recipient is locked out.
pub const MAX_FAILURES: i64 = 5;

const ACCESS_CODE_LABEL: &[u8] = b"identity-access-code-v1";
const BIRTH_DATE_LABEL: &[u8] = b"identity-birth-date-v1";

/// What the sender sets for a recipient, as given.
#[derive(Clone, Debug, Default)]
pub struct IdentitySpec {
    pub methods: Vec<AuthMethod>,
    pub phone: Option<String>,
    pub channel: Option<Channel>,
    /// For `accessCode`: the code the sender shares (4–64 characters).
    pub access_code: Option<String>,
    /// For `knowledge`: `YYYY-MM-DD` or `YYYYMMDD`.
    pub birth_date: Option<String>,
}

/// A checked spec, as it is stored (secrets as keyed hashes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stored {
    pub methods: Vec<AuthMethod>,
    pub phone: Option<Phone>,
    pub channel: Channel,
    pub access_code_hash: Option<String>,
    pub birth_date_hash: Option<String>,
}

impl Stored {
    /// Nothing beyond an emailed link: no row is kept.
    fn is_plain(&self) -> bool {
        self.methods.is_empty() && self.phone.is_none() && self.channel == Channel::Email
    }
}

/// An access code as compared: trimmed.
pub fn access_code_hash(secret: &Secret, code: &str) -> String {
    keyed_hash(secret, ACCESS_CODE_LABEL, code.trim())
}

/// A birth date as compared: `YYYYMMDD` of a real date (`YYYY-MM-DD`, `YYYY.MM.DD` and
/// `YYYYMMDD` are read); `None` when it is not one.
pub fn birth_date(raw: &str) -> Option<String> {
    let digits: String = raw.trim().chars().filter(|c| !matches!(c, '-' | '.' | '/' | ' ')).collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = (digits[..4].parse::<i32>().ok()?, digits[4..6].parse::<u8>().ok()?, digits[6..].parse::<u8>().ok()?);
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    (y >= 1900 && date <= time::OffsetDateTime::now_utc().date()).then_some(digits)
}

pub fn birth_date_hash(secret: &Secret, normalized: &str) -> String {
    keyed_hash(secret, BIRTH_DATE_LABEL, normalized)
}

/// Checks a recipient's spec, reporting each problem under `path` (`recipients[1]`). Secrets
/// are write-only: an access code or birth date left out keeps the one `kept` holds (the
/// recipient's stored settings) while its check stays on. Without an SMS gateway, production
/// refuses what would need one (development captures SMS at `/dev/sms`).
pub fn check(settings: &Settings, spec: &IdentitySpec, kept: Option<&Identity>, path: &str, errors: &mut Vec<FieldError>) -> Stored {
    let secret = &settings.secret_key;
    let mut err =
        |field: &str, code: &str, message: &str| errors.push(FieldError { field: format!("{path}.{field}"), code: code.into(), message: message.into() });
    let mut methods: Vec<AuthMethod> = Vec::new();
    for m in &spec.methods {
        if !methods.contains(m) {
            methods.push(*m);
        }
    }
    let channel = spec.channel.unwrap_or_default();
    let texts = settings.sms_gateway.is_some() || !settings.is_production();
    if !texts && methods.contains(&AuthMethod::SmsCode) {
        err("authMethod", "sms_unavailable", "This server sends no SMS (DOJANG_SMS_URL is not set): choose another check");
    }
    if !texts && channel.texts() {
        err("channel", "sms_unavailable", "This server sends no SMS (DOJANG_SMS_URL is not set): invite by email");
    }
    let kept_methods = kept.and_then(|k| k.checks().ok()).unwrap_or_default();
    let kept_secret = |m: AuthMethod, h: Option<&String>| h.filter(|_| kept_methods.contains(&m)).cloned();
    let phone = match spec.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => {
            let p = Phone::parse(raw);
            if p.is_none() {
                err("phone", "invalid", "Give a valid phone number (010-1234-5678, or with its country code: +82 10 1234 5678)");
            }
            p
        }
        None => {
            if methods.iter().any(|m| matches!(m, AuthMethod::SmsCode | AuthMethod::Knowledge)) || channel.texts() {
                err("phone", "required", "SMS and the phone-number check need the recipient's phone number");
            }
            None
        }
    };
    let access_code_hash = match spec.access_code.as_deref().map(str::trim) {
        Some(code) if methods.contains(&AuthMethod::AccessCode) => {
            if !(4..=64).contains(&code.chars().count()) || code.chars().any(char::is_control) {
                err("accessCode", "invalid", "An access code has 4–64 characters");
                None
            } else {
                Some(access_code_hash(secret, code))
            }
        }
        Some(_) => {
            err("accessCode", "not_allowed", "An access code goes with the accessCode check");
            None
        }
        None if methods.contains(&AuthMethod::AccessCode) => {
            let k = kept_secret(AuthMethod::AccessCode, kept.and_then(|k| k.access_code_hash.as_ref()));
            if k.is_none() {
                err("accessCode", "required", "The accessCode check needs the code you will share with the recipient");
            }
            k
        }
        None => None,
    };
    let birth_date_hash = match spec.birth_date.as_deref() {
        Some(raw) if methods.contains(&AuthMethod::Knowledge) => match birth_date(raw) {
            Some(d) => Some(birth_date_hash(secret, &d)),
            None => {
                err("birthDate", "invalid", "Give the birth date as YYYY-MM-DD");
                None
            }
        },
        Some(_) => {
            err("birthDate", "not_allowed", "A birth date goes with the knowledge check");
            None
        }
        None if methods.contains(&AuthMethod::Knowledge) => {
            let k = kept_secret(AuthMethod::Knowledge, kept.and_then(|k| k.birth_date_hash.as_ref()));
            if k.is_none() {
                err("birthDate", "required", "The knowledge check needs the recipient's birth date");
            }
            k
        }
        None => None,
    };
    Stored { methods, phone, channel, access_code_hash, birth_date_hash }
}

/// A recipient's stored settings and where their checks stand.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Identity {
    pub recipient_id: RecipientId,
    pub envelope_id: EnvelopeId,
    pub methods: String,
    pub phone: Option<String>,
    pub channel: Channel,
    pub access_code_hash: Option<String>,
    pub birth_date_hash: Option<String>,
    pub failures: i64,
    pub locked_at: Option<Timestamp>,
    pub verified_at: Option<Timestamp>,
}

impl Identity {
    /// A recipient's settings, if they have any.
    pub async fn load(conn: &mut sqlx::AnyConnection, recipient: &RecipientId) -> AppResult<Option<Self>> {
        Ok(sqlx::query_as(
            "SELECT recipient_id, envelope_id, methods, phone, channel, access_code_hash, birth_date_hash, failures, locked_at, verified_at \
             FROM recipient_identity WHERE recipient_id = $1",
        )
        .bind(recipient)
        .fetch_optional(conn)
        .await?)
    }

    /// The checks in order; a name this build does not know is an error (dropping it would
    /// let a signer past a check).
    pub fn checks(&self) -> AppResult<Vec<AuthMethod>> {
        AuthMethod::split(&self.methods).map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("recipient {}: {e}", self.recipient_id)))
    }
}

/// Within a draft's transaction: sets the settings of the recipients named (a plain spec
/// removes them), and drops those of recipients no longer in the envelope.
pub async fn store(tx: &mut Tx, envelope: &EnvelopeId, specs: &[(RecipientId, Stored)]) -> AppResult<()> {
    let now = Timestamp::now();
    for (rid, s) in specs {
        if s.is_plain() {
            sqlx::query("DELETE FROM recipient_identity WHERE recipient_id = $1").bind(rid).execute(&mut **tx).await?;
            continue;
        }
        sqlx::query(
            "INSERT INTO recipient_identity (recipient_id, envelope_id, methods, phone, channel, access_code_hash, birth_date_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (recipient_id) DO UPDATE SET methods = $3, phone = $4, channel = $5, access_code_hash = $6, birth_date_hash = $7, updated_at = $8",
        )
        .bind(rid)
        .bind(envelope)
        .bind(AuthMethod::join(&s.methods))
        .bind(s.phone.as_ref().map(Phone::e164))
        .bind(s.channel)
        .bind(s.access_code_hash.as_deref())
        .bind(s.birth_date_hash.as_deref())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM recipient_identity WHERE envelope_id = $1 AND recipient_id NOT IN (SELECT id FROM recipients WHERE envelope_id = $1)")
        .bind(envelope)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "a-secret-of-some-length-for-testing-only";

    fn secret() -> Secret {
        Secret::new(KEY)
    }

    /// Settings of a server (production or not, with an SMS gateway or not).
    fn settings(production: bool, gateway: bool) -> Settings {
        let exe = std::env::current_exe().unwrap().display().to_string();
        let mut vars = vec![("DOJANG_PDFIUM_LIB", exe.as_str()), ("DOJANG_SECRET_KEY", KEY)];
        if production {
            vars.extend([("DOJANG_ENV", "production"), ("DOJANG_PUBLIC_URL", "https://sign.example.com"), ("DOJANG_SMTP_URL", "smtp://localhost:25")]);
        }
        if gateway {
            vars.push(("DOJANG_SMS_URL", "https://sms.example.com/send"));
        }
        let map: std::collections::HashMap<&str, &str> = vars.into_iter().collect();
        Settings::from_lookup(|k| map.get(k).map(|v| v.to_string())).unwrap()
    }

    #[test]
    fn birth_dates_are_real_dates_in_the_past() {
        assert_eq!(birth_date("1990-05-17").as_deref(), Some("19900517"));
        assert_eq!(birth_date("19900517").as_deref(), Some("19900517"));
        assert_eq!(birth_date("1990.05.17").as_deref(), Some("19900517"));
        for bad in ["1990-02-30", "2990-01-01", "1890-01-01", "900517", "abcdefgh", "", "1990-13-01"] {
            assert_eq!(birth_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_check_needs_what_it_compares() {
        let mut errors = Vec::new();
        let spec = IdentitySpec { methods: vec![AuthMethod::SmsCode, AuthMethod::AccessCode, AuthMethod::Knowledge], ..Default::default() };
        check(&settings(false, false), &spec, None, "recipients[0]", &mut errors);
        let got: Vec<(String, String)> = errors.into_iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            got,
            [("recipients[0].phone", "required"), ("recipients[0].accessCode", "required"), ("recipients[0].birthDate", "required")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }

    #[test]
    fn secrets_are_kept_as_keyed_hashes() {
        let mut errors = Vec::new();
        let spec = IdentitySpec {
            methods: vec![AuthMethod::AccessCode, AuthMethod::Knowledge, AuthMethod::AccessCode],
            phone: Some("010-1234-5678".into()),
            channel: Some(Channel::Both),
            access_code: Some(" 4821 ".into()),
            birth_date: Some("1990-05-17".into()),
        };
        let s = check(&settings(false, false), &spec, None, "r", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(s.methods, [AuthMethod::AccessCode, AuthMethod::Knowledge]);
        assert_eq!(s.phone.unwrap().e164(), "+821012345678");
        let (code, birth) = (s.access_code_hash.unwrap(), s.birth_date_hash.unwrap());
        assert!(!code.contains("4821") && code.len() == 64);
        assert_eq!(code, access_code_hash(&secret(), "4821"));
        assert_ne!(code, access_code_hash(&Secret::new("another secret entirely, long enough"), "4821"));
        assert_eq!(birth, birth_date_hash(&secret(), "19900517"));
    }

    fn stored_identity(s: &Stored) -> Identity {
        Identity {
            recipient_id: RecipientId::new(),
            envelope_id: EnvelopeId::new(),
            methods: AuthMethod::join(&s.methods),
            phone: s.phone.as_ref().map(|p| p.e164().to_owned()),
            channel: s.channel,
            access_code_hash: s.access_code_hash.clone(),
            birth_date_hash: s.birth_date_hash.clone(),
            failures: 0,
            locked_at: None,
            verified_at: None,
        }
    }

    #[test]
    fn secrets_left_out_keep_the_stored_ones_while_their_check_stays() {
        let st = settings(false, false);
        let full = IdentitySpec {
            methods: vec![AuthMethod::AccessCode, AuthMethod::Knowledge],
            phone: Some("010-1234-5678".into()),
            access_code: Some("4821".into()),
            birth_date: Some("1990-05-17".into()),
            ..Default::default()
        };
        let mut errors = Vec::new();
        let first = check(&st, &full, None, "r", &mut errors);
        let kept = stored_identity(&first);
        // The form sends the checks again without the secrets it never shows.
        let again = IdentitySpec { access_code: None, birth_date: None, ..full.clone() };
        let second = check(&st, &again, Some(&kept), "r", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(second, first);
        // A check newly switched on needs its secret, even with others stored.
        let only_code =
            check(&st, &IdentitySpec { methods: vec![AuthMethod::AccessCode], access_code: Some("4821".into()), ..Default::default() }, None, "r", &mut errors);
        let kept = stored_identity(&only_code);
        check(&st, &again, Some(&kept), "r", &mut errors);
        let got: Vec<(String, String)> = errors.into_iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(got, [("r.birthDate".to_owned(), "required".to_owned())]);
    }

    #[test]
    fn production_without_a_gateway_refuses_what_needs_sms() {
        let spec = IdentitySpec { methods: vec![AuthMethod::SmsCode], phone: Some("010-1234-5678".into()), channel: Some(Channel::Both), ..Default::default() };
        let mut errors = Vec::new();
        check(&settings(true, false), &spec, None, "r", &mut errors);
        let got: Vec<(String, String)> = errors.drain(..).map(|e| (e.field, e.code)).collect();
        assert_eq!(got, [("r.authMethod", "sms_unavailable"), ("r.channel", "sms_unavailable")].map(|(a, b)| (a.to_owned(), b.to_owned())));
        check(&settings(true, true), &spec, None, "r", &mut errors);
        check(&settings(false, false), &spec, None, "r", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
    }
}
