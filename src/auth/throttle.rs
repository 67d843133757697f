//! Password-guess throttling for login and password changes.
//!
//! Three counters per window, each *reserved* (incremented) before the
//! password is checked, so concurrent guesses cannot overtake the count:
//! - account + client address (`login_max_failures`): locks this client out of
//!   this account, not the account's owner on another client;
//! - account, any client (`login_account_max_failures`): bounds guesses spread
//!   over many addresses;
//! - client address, any account (`login_ip_max_failures`): bounds spraying,
//!   and is the only counter an unknown account touches.
//!
//! Counters are keyed on the resolved corp and employee ids, never on the
//! typed text, so spelling an account differently buys no extra guesses.

use std::{net::IpAddr, time::Duration};

use unicode_normalization::UnicodeNormalization;

use crate::{
    error::{msg, AppError, AppResult, Code},
    state::AppState,
};

/// The text a person typed, as we compare it: NFKC (full-width letters and
/// spaces become ASCII), trimmed.
pub fn normalize(typed: &str) -> String {
    typed.nfkc().collect::<String>().trim().to_string()
}

/// One reserved attempt; say how it ended.
pub struct Attempt<'a> {
    state: &'a AppState,
    pair: Option<String>,
    account: Option<String>,
    client: String,
}

fn window(state: &AppState) -> Duration {
    Duration::from_secs(state.config.login_lock_secs.max(1) as u64)
}

/// Reserves an attempt at `account` (corp id, employee id; `None` when the
/// account does not exist) from `client`, or refuses it with `RATE_LIMITED`
/// and `retryAfter` (seconds) when any counter is spent.
pub async fn reserve(state: &AppState, account: Option<(i64, i64)>, client: Option<IpAddr>) -> AppResult<Attempt<'_>> {
    let c = &state.config;
    let ip = client.map_or_else(|| "-".to_string(), |ip| ip.to_string());
    let attempt = Attempt {
        state,
        pair: account.map(|(corp, emp)| format!("login-fail:{corp}:{emp}:{ip}")),
        account: account.map(|(corp, emp)| format!("login-fail:{corp}:{emp}")),
        client: format!("login-fail-ip:{ip}"),
    };
    let limits = [
        (attempt.pair.as_deref(), c.login_max_failures),
        (attempt.account.as_deref(), c.login_account_max_failures),
        (Some(attempt.client.as_str()), c.login_ip_max_failures),
    ];
    let mut spent = None;
    for (key, limit) in limits {
        let Some(key) = key else { continue };
        let n = state.kv.incr(key, window(state)).await.map_err(AppError::internal)?;
        if n > limit && spent.is_none() {
            spent = Some(key.to_string());
        }
    }
    if let Some(key) = spent {
        // A refused attempt is not a guess: give the reservations back.
        attempt.release().await?;
        let retry_after = state.kv.ttl(&key).await.map_err(AppError::internal)?.unwrap_or_else(|| window(state));
        return Err(AppError::new(Code::RateLimited, msg::LOGIN_THROTTLED).with_extra("retryAfter", retry_after.as_secs().max(1)));
    }
    Ok(attempt)
}

impl Attempt<'_> {
    async fn release(&self) -> AppResult<()> {
        for key in [self.pair.as_deref(), self.account.as_deref(), Some(self.client.as_str())].into_iter().flatten() {
            self.state.kv.decr(key).await.map_err(AppError::internal)?;
        }
        Ok(())
    }

    /// The password was right: this client's count for the account starts
    /// over, and the attempt does not count against the others.
    pub async fn succeeded(self) -> AppResult<()> {
        self.release().await?;
        if let Some(pair) = &self.pair {
            self.state.kv.delete(pair).await.map_err(AppError::internal)?;
        }
        Ok(())
    }

    /// The password was wrong: the reservation stays as a failure.
    pub fn failed(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_is_compared_after_nfkc_and_trimming() {
        assert_eq!(normalize(" user00002\t"), "user00002");
        assert_eq!(normalize("\u{3000}ｕｓｅｒ００００２ "), "user00002");
        assert_eq!(normalize("Demo"), "Demo");
    }
}
