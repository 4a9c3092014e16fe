//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): the secret is `whsec_`
//! and base64 of random bytes; a message is signed as
//! `v1,base64(HMAC-SHA256(secret, "{webhook-id}.{webhook-timestamp}.{body}"))`, so receivers
//! can verify with the published `standardwebhooks` libraries.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// A new secret: 32 random bytes.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{PREFIX}{}", B64.encode(bytes))
}

/// The `webhook-signature` header value for a message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> anyhow::Result<String> {
    let key = B64.decode(secret.strip_prefix(PREFIX).unwrap_or(secret))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_specification_example() {
        // The example of the Standard Webhooks specification.
        let sig = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_fresh_and_carry_256_bits() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(B64.decode(a.strip_prefix(PREFIX).unwrap()).unwrap().len(), 32);
    }
}
