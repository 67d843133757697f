//! What WeChat's platforms share on the wire: an HTTP client configured
//! alike (timeout, no redirects, the outbound proxy), the `errcode` in every
//! answer, and how a refusal or an outage reaches clients (`UPSTREAM`, with
//! the errcode and errmsg as extensions; transport detail only in the log).

use std::time::Duration;

use serde_json::Value;

use crate::error::{AppError, Code, Msg};

/// How a platform client reaches its host.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub base_url: String,
    pub proxy: Option<String>,
    pub timeout: Duration,
    /// First backoff after a frequency-limit answer; doubles per retry.
    pub rate_backoff: Duration,
    pub rate_retries: u32,
}

/// The HTTP client every platform client uses.
pub fn http_client(config: &ClientConfig) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder().timeout(config.timeout).redirect(reqwest::redirect::Policy::none());
    if let Some(proxy) = &config.proxy {
        builder = builder.proxy(reqwest::Proxy::all(proxy)?);
    }
    Ok(builder.build()?)
}

/// The answer's `(errcode, errmsg)` when it is a refusal (errcode ≠ 0).
pub fn refusal(v: &Value) -> Option<(i64, String)> {
    let errcode = v.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    (errcode != 0).then(|| (errcode, v.get("errmsg").and_then(Value::as_str).unwrap_or("").to_string()))
}

/// A platform's refusal: the remedy's message when there is one, else the
/// generic one, with the errcode and errmsg for clients to read.
pub fn refused(errcode: i64, errmsg: &str, remedy: Option<Msg>, generic: impl FnOnce() -> Msg) -> AppError {
    AppError::new(Code::Upstream, remedy.unwrap_or_else(generic)).with_extra("errcode", errcode).with_extra("errmsg", errmsg.to_string())
}

/// The platform could not be reached or answered nonsense; `detail` is for
/// the log only (each client logs it under its own name).
pub fn unreachable(msg: Msg, detail: String) -> AppError {
    let mut err = AppError::new(Code::Upstream, msg);
    err.source = Some(anyhow::anyhow!(detail));
    err
}
