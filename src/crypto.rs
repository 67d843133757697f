//! Secrets at rest (AES-256-GCM under the master key) and session tokens
//! (random, handed out once, stored only as SHA-256 digests).

use aes_gcm::{
    aead::{Aead, AeadCore, KeyInit, OsRng},
    Aes256Gcm, Key, Nonce,
};
use anyhow::{anyhow, Context};
use base64::{engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{KeyInit as _, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = hmac::Hmac<sha2_11::Sha256>;

use crate::config::Config;

#[derive(Clone)]
pub struct MasterKey(Key<Aes256Gcm>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn from_base64(text: &str) -> anyhow::Result<Self> {
        let bytes = STANDARD.decode(text.trim()).context("master key is not base64")?;
        if bytes.len() != 32 {
            return Err(anyhow!("master key must be 32 bytes, got {}", bytes.len()));
        }
        Ok(MasterKey(*Key::<Aes256Gcm>::from_slice(&bytes)))
    }

    pub fn generate() -> (Self, String) {
        let key = Aes256Gcm::generate_key(OsRng);
        let text = STANDARD.encode(key);
        (MasterKey(key), text)
    }

    /// The configured key, or for development a key kept in `data_dir/master.key`.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        if let Some(text) = &config.master_key {
            return Self::from_base64(text.expose());
        }
        let path = config.data_dir.join("master.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Self::from_base64(&text);
        }
        std::fs::create_dir_all(&config.data_dir)?;
        let (key, text) = Self::generate();
        std::fs::write(&path, text)?;
        tracing::warn!(path = %path.display(), "WECRM_MASTER_KEY unset: generated a development master key");
        Ok(key)
    }

    /// `v1.` + base64(nonce ‖ ciphertext).
    pub fn encrypt(&self, plaintext: &str) -> anyhow::Result<String> {
        let cipher = Aes256Gcm::new(&self.0);
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = cipher.encrypt(&nonce, plaintext.as_bytes()).map_err(|_| anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("v1.{}", STANDARD.encode(out)))
    }

    /// HMAC-SHA256 (hex) of `message` under a key derived from the master
    /// key for `purpose`, so a signature for one purpose proves nothing for
    /// another and the encryption key itself never signs.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        hex::encode(self.mac(purpose, message).finalize().into_bytes())
    }

    /// Whether `signature` is `sign(purpose, message)`, compared in constant time.
    pub fn verify(&self, purpose: &str, message: &str, signature: &str) -> bool {
        let Ok(bytes) = hex::decode(signature) else { return false };
        self.mac(purpose, message).verify_slice(&bytes).is_ok()
    }

    fn mac(&self, purpose: &str, message: &str) -> HmacSha256 {
        // Any key length is valid for HMAC, so neither `new_from_slice` fails.
        let derived = match HmacSha256::new_from_slice(self.0.as_slice()) {
            Ok(mut m) => {
                m.update(purpose.as_bytes());
                m.finalize().into_bytes()
            }
            Err(_) => Default::default(),
        };
        let mut mac = match HmacSha256::new_from_slice(&derived) {
            Ok(m) => m,
            Err(_) => HmacSha256::new(&Default::default()),
        };
        mac.update(message.as_bytes());
        mac
    }

    pub fn decrypt(&self, sealed: &str) -> anyhow::Result<String> {
        let body = sealed.strip_prefix("v1.").ok_or_else(|| anyhow!("unknown secret format"))?;
        let bytes = STANDARD.decode(body)?;
        if bytes.len() < 12 {
            return Err(anyhow!("secret too short"));
        }
        let (nonce, ct) = bytes.split_at(12);
        let plain = Aes256Gcm::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| anyhow!("secret cannot be decrypted with this master key"))?;
        Ok(String::from_utf8(plain)?)
    }
}

/// A new opaque bearer token (256 random bits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What we store instead of a token.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::{password_hash::SaltString, Argon2, PasswordHasher};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| anyhow!("hashing password: {e}"))
}

/// `hash_password` on the blocking pool: Argon2 takes tens of milliseconds
/// of CPU, which would stall every request sharing the async thread.
pub async fn hash_password_blocking(password: &str) -> anyhow::Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password)).await?
}

/// `verify_password` on the blocking pool.
pub async fn verify_password_blocking(password: &str, hash: String) -> anyhow::Result<bool> {
    let password = password.to_string();
    Ok(tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await?)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::{Argon2, PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_fail_under_another_key() {
        let (key, _) = MasterKey::generate();
        let sealed = key.encrypt("corp-secret").unwrap();
        assert_ne!(sealed, "corp-secret");
        assert_eq!(key.decrypt(&sealed).unwrap(), "corp-secret");
        let (other, _) = MasterKey::generate();
        assert!(other.decrypt(&sealed).is_err());
    }

    #[test]
    fn passwords_verify_only_when_equal() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
    }
}
