//! WeCom callback message crypto (WXBizMsgCrypt), from the official
//! algorithm description:
//!
//! * signature = hex(sha1(concat(sort([token, timestamp, nonce, encrypt]))))
//! * key = base64(EncodingAESKey + "="), 32 bytes; IV = key[..16]
//! * AES-256-CBC with PKCS#7 padding to 32-byte blocks
//! * plaintext = 16 random bytes ‖ u32be(len(msg)) ‖ msg ‖ receiveid

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;
use sha1::{Digest, Sha1};

type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;

const BLOCK: usize = 32;

/// Why a callback was refused; the official error numbers, for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// -40001
    Signature,
    /// -40004
    IllegalAesKey,
    /// -40005
    ReceiveId,
    /// -40007
    Decrypt,
    /// -40008
    IllegalBuffer,
    /// -40010
    Base64,
}

impl CryptoError {
    pub fn official_code(self) -> i32 {
        match self {
            CryptoError::Signature => -40001,
            CryptoError::IllegalAesKey => -40004,
            CryptoError::ReceiveId => -40005,
            CryptoError::Decrypt => -40007,
            CryptoError::IllegalBuffer => -40008,
            CryptoError::Base64 => -40010,
        }
    }
}

/// One corp's callback credentials.
#[derive(Clone)]
pub struct MsgCrypt {
    token: String,
    key: [u8; 32],
    receive_id: String,
}

impl std::fmt::Debug for MsgCrypt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsgCrypt").field("receive_id", &self.receive_id).finish_non_exhaustive()
    }
}

pub fn signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    let mut parts = [token, timestamp, nonce, encrypt];
    parts.sort_unstable();
    hex::encode(Sha1::digest(parts.concat().as_bytes()))
}

/// Constant-time comparison, so signatures cannot be guessed byte by byte.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl MsgCrypt {
    pub fn new(token: &str, encoding_aes_key: &str, receive_id: &str) -> Result<Self, CryptoError> {
        if encoding_aes_key.len() != 43 {
            return Err(CryptoError::IllegalAesKey);
        }
        // The 43rd character carries 2 bits beyond the 32 bytes; WeCom's own
        // decoders ignore them, strict base64 would refuse the key.
        let lenient = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        let raw = lenient.decode(format!("{encoding_aes_key}=")).map_err(|_| CryptoError::IllegalAesKey)?;
        let key: [u8; 32] = raw.try_into().map_err(|_| CryptoError::IllegalAesKey)?;
        Ok(MsgCrypt { token: token.to_string(), key, receive_id: receive_id.to_string() })
    }

    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    pub fn verify(&self, msg_signature: &str, timestamp: &str, nonce: &str, encrypt: &str) -> Result<(), CryptoError> {
        if same(&signature(&self.token, timestamp, nonce, encrypt), &msg_signature.to_ascii_lowercase()) {
            Ok(())
        } else {
            Err(CryptoError::Signature)
        }
    }

    /// Checks the signature, decrypts, and checks the receive id.
    pub fn open(&self, msg_signature: &str, timestamp: &str, nonce: &str, encrypt: &str) -> Result<String, CryptoError> {
        self.verify(msg_signature, timestamp, nonce, encrypt)?;
        let (msg, receive_id) = self.decrypt(encrypt)?;
        if receive_id != self.receive_id {
            return Err(CryptoError::ReceiveId);
        }
        Ok(msg)
    }

    /// Decrypts without judging the receive id (returned beside the message).
    pub fn decrypt(&self, encrypt: &str) -> Result<(String, String), CryptoError> {
        let mut buf = STANDARD.decode(encrypt.trim()).map_err(|_| CryptoError::Base64)?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(CryptoError::Decrypt);
        }
        let plain = Dec::new(&self.key.into(), self.key[..16].into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CryptoError::Decrypt)?;
        // PKCS#7 over 32-byte blocks; the official decoder treats an
        // out-of-range pad byte as no padding.
        let pad = *plain.last().ok_or(CryptoError::Decrypt)? as usize;
        let pad = if (1..=BLOCK).contains(&pad) { pad } else { 0 };
        let content = &plain[..plain.len().saturating_sub(pad)];
        if content.len() < 20 {
            return Err(CryptoError::IllegalBuffer);
        }
        let len = u32::from_be_bytes([content[16], content[17], content[18], content[19]]) as usize;
        if 20 + len > content.len() {
            return Err(CryptoError::IllegalBuffer);
        }
        let msg = std::str::from_utf8(&content[20..20 + len]).map_err(|_| CryptoError::IllegalBuffer)?;
        let receive_id = std::str::from_utf8(&content[20 + len..]).map_err(|_| CryptoError::IllegalBuffer)?;
        Ok((msg.to_string(), receive_id.to_string()))
    }

    /// Encrypts `msg` for this receive id with a random 16-byte prefix.
    pub fn encrypt(&self, msg: &str) -> String {
        let mut random = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut random);
        self.encrypt_with_random(msg, &random)
    }

    pub fn encrypt_with_random(&self, msg: &str, random: &[u8; 16]) -> String {
        let mut plain = Vec::with_capacity(20 + msg.len() + self.receive_id.len() + BLOCK);
        plain.extend_from_slice(random);
        plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        plain.extend_from_slice(msg.as_bytes());
        plain.extend_from_slice(self.receive_id.as_bytes());
        let pad = BLOCK - plain.len() % BLOCK;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        // Padded to whole AES blocks above, so every chunk is one block.
        let mut cipher = Enc::new(&self.key.into(), self.key[..16].into());
        for block in plain.chunks_exact_mut(16) {
            cipher.encrypt_block_mut(aes::Block::from_mut_slice(block));
        }
        STANDARD.encode(plain)
    }

    /// Encrypts and signs: `(encrypt, msg_signature)` for `timestamp` and `nonce`.
    pub fn seal(&self, msg: &str, timestamp: &str, nonce: &str) -> (String, String) {
        let encrypt = self.encrypt(msg);
        let sig = signature(&self.token, timestamp, nonce, &encrypt);
        (encrypt, sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The official sample corp of the WeCom callback documentation.
    const TOKEN: &str = "QDG6eK";
    const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    const CORP: &str = "wx5823bf96d3bd56c7";

    fn official() -> MsgCrypt {
        MsgCrypt::new(TOKEN, KEY, CORP).unwrap()
    }

    #[test]
    fn the_documented_url_verification_sample_decrypts_to_its_echo() {
        let echo = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
        let plain = official().open("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", echo).unwrap();
        assert_eq!(plain, "1616140317555161061");
    }

    #[test]
    fn the_documented_message_sample_decrypts_to_its_xml() {
        let encrypt = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
        let xml = official().open("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", encrypt).unwrap();
        assert!(xml.contains("<Content><![CDATA[hello]]></Content>"), "{xml}");
        assert!(xml.contains("4561255354251345929"), "{xml}");
        // A tampered signature, and another corp's receive id, are refused.
        assert_eq!(official().open(&"0".repeat(40), "1409659813", "1372623149", encrypt), Err(CryptoError::Signature));
        let other = MsgCrypt::new(TOKEN, KEY, "another-corp").unwrap();
        assert_eq!(
            other.open("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", encrypt),
            Err(CryptoError::ReceiveId)
        );
    }

    #[test]
    fn sealing_round_trips_and_pads_to_32_byte_blocks() {
        let c = official();
        for msg in ["", "x", &"中".repeat(100), &"a".repeat(64 - 20 - CORP.len())] {
            let (enc, sig) = c.seal(msg, "1", "n");
            assert_eq!(STANDARD.decode(&enc).unwrap().len() % 32, 0);
            assert_eq!(c.open(&sig, "1", "n", &enc).unwrap(), msg);
        }
        // Already aligned plaintext gets a whole block of padding.
        let aligned = "a".repeat(64 - 20 - CORP.len());
        let enc = c.encrypt_with_random(&aligned, &[b'0'; 16]);
        assert_eq!(STANDARD.decode(&enc).unwrap().len(), 96);
    }

    #[test]
    fn keys_must_be_43_characters_of_base64() {
        assert_eq!(MsgCrypt::new(TOKEN, "short", CORP).unwrap_err(), CryptoError::IllegalAesKey);
    }
}
