//! Official Accounts (公众号): the API client, the plain-mode callback
//! signature and wire types. Safe-mode callbacks use WeCom's message crypto
//! (`integrations::wecom::crypto::MsgCrypt`) with the appid as receive id.

pub mod client;
pub mod types;

pub use client::{OaClient, OaCredentials, OaError};

/// A plain-mode callback's `signature`: SHA-1 over the sorted token,
/// timestamp and nonce (WeChat's "接入指南").
pub fn plain_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    use sha1::Digest;
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    hex::encode(sha1::Sha1::digest(parts.concat().as_bytes()))
}

/// Compares two signatures without leaking where they differ.
pub fn same_signature(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.to_ascii_lowercase().into_bytes());
    a.len() == b.len() && a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_signature_sorts_its_three_parts() {
        // sha1("1409304348" + "1514711492" + "xxxxxx"), the parts sorted as strings.
        let sig = plain_signature("xxxxxx", "1409304348", "1514711492");
        assert_eq!(sig, plain_signature("xxxxxx", "1409304348", "1514711492"));
        assert_eq!(sig.len(), 40);
        use sha1::Digest;
        assert_eq!(sig, hex::encode(sha1::Sha1::digest(b"14093043481514711492xxxxxx")));
        assert!(same_signature(&sig, &sig.to_uppercase()));
        assert!(!same_signature(&sig, &plain_signature("xxxxxy", "1409304348", "1514711492")));
    }
}
