//! Error finalisation, shared by HTTP and WebSocket: every error leaves with
//! a stable `code`, its message in the caller's language, and (for
//! `INTERNAL`) the request id; the text of foreign errors (database, HTTP, …)
//! goes to the log only.
//!
//! It wraps the schema as an `Executor` that both transports run, rather than
//! being a schema extension: any extension makes async-graphql route every
//! field through the extension chain, which cost the 100-customer page 6%.

use std::{any::TypeId, sync::Arc};

use async_graphql::{futures_util::stream::BoxStream, Data, Executor, Request, Response, ServerError};
use futures_util::StreamExt;

use super::{limits, schema::AppSchema};
use crate::{
    error::{Code, Lang, EN_MESSAGE_KEY},
    graphql::context::RequestCtx,
};

/// The schema, with every response's errors finalised for its caller.
#[derive(Clone)]
pub struct Finalizing(pub AppSchema);

/// The caller's language and request id, from the request's data (HTTP) or
/// the connection's (WebSocket).
fn caller_of(request: &Request, session: Option<&Data>) -> (Lang, String) {
    let found =
        |d: &Data| d.get(&TypeId::of::<RequestCtx>()).and_then(|c| c.downcast_ref::<RequestCtx>()).map(|c| (c.lang, c.request_id.clone()));
    found(&request.data).or_else(|| session.and_then(found)).unwrap_or_else(|| (Lang::Zh, uuid::Uuid::new_v4().to_string()))
}

impl Executor for Finalizing {
    async fn execute(&self, mut request: Request) -> Response {
        let (lang, request_id) = caller_of(&request, None);
        let mut response = match limits::admit(&mut request, None).await {
            Ok(()) => self.0.execute(request).await,
            Err(refused) => Response::from_errors(vec![limits::refusal(refused)]),
        };
        finalize_errors(&mut response.errors, lang, &request_id);
        response
    }

    fn execute_stream(&self, mut request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let (lang, request_id) = caller_of(&request, session_data.as_deref());
        let schema = self.0.clone();
        futures_util::stream::once(async move {
            match limits::admit(&mut request, session_data.as_deref()).await {
                Ok(()) => schema.execute_stream_with_session_data(request, session_data.unwrap_or_default()),
                Err(refused) => {
                    futures_util::stream::once(std::future::ready(Response::from_errors(vec![limits::refusal(refused)]))).boxed()
                }
            }
        })
        .flatten()
        .map(move |mut response| {
            finalize_errors(&mut response.errors, lang, &request_id);
            response
        })
        .boxed()
    }
}

/// Every error leaves with a code, in the caller's language. Errors that came
/// from a foreign error type (database, HTTP, …) are replaced by `INTERNAL`
/// with the request id; their text goes to the log only.
pub fn finalize_errors(errors: &mut [ServerError], lang: Lang, request_id: &str) {
    for err in errors.iter_mut() {
        let ext = err.extensions.get_or_insert_with(Default::default);
        let has_code = ext.get("code").is_some();
        if !has_code && err.source.is_some() {
            tracing::error!(request_id, message = %err.message, path = ?err.path, "unclassified resolver error");
            err.message = crate::error::msg::INTERNAL.text(lang).to_string();
            ext.set("code", Code::Internal.as_str());
        } else if !has_code {
            // async-graphql's own parse, validation and input-coercion errors.
            ext.set("code", Code::BadUserInput.as_str());
        }
        let internal = ext.get("code").is_some_and(|c| *c == async_graphql::Value::from(Code::Internal.as_str()));
        if internal {
            ext.set("requestId", request_id);
        }
        if ext.get("reason").is_none() {
            // Only errors not made from an `AppError` lack one.
            ext.set("reason", if internal { "INTERNAL" } else { "GRAPHQL_VALIDATION" });
        }
        if let Some(async_graphql::Value::String(en)) = ext.get(EN_MESSAGE_KEY).cloned() {
            if lang == Lang::En {
                err.message = en;
            }
            ext.unset(EN_MESSAGE_KEY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_error_reaches_clients_only_as_internal_with_the_request_id() {
        let db_err = sea_orm::DbErr::Custom("relation \"secret_table\" does not exist".into());
        let mut errors =
            vec![ServerError { source: Some(std::sync::Arc::new(db_err.to_string())), ..ServerError::new(db_err.to_string(), None) }];
        errors[0].path = vec![async_graphql::PathSegment::Field("employees".into())];
        finalize_errors(&mut errors, Lang::Zh, "req-42");
        let v = serde_json::to_value(&errors[0]).unwrap();
        assert_eq!(v["message"], "服务器内部错误");
        assert_eq!(v["extensions"]["code"], "INTERNAL");
        assert_eq!(v["extensions"]["requestId"], "req-42");
        assert!(!v.to_string().contains("secret_table"));
    }

    #[test]
    fn app_errors_keep_their_code_and_field_and_pick_the_language() {
        let e: async_graphql::Error = crate::error::AppError::bad_input("name", crate::error::msg::DEPT_NAME_INVALID).into();
        let mut errors = vec![e.into_server_error(async_graphql::Pos::default())];
        finalize_errors(&mut errors, Lang::En, "req");
        let v = serde_json::to_value(&errors[0]).unwrap();
        assert_eq!(v["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(v["extensions"]["field"], "name");
        assert!(v["message"].as_str().unwrap().starts_with("Department name"));
        assert!(v["extensions"].get(EN_MESSAGE_KEY).is_none());
    }
}
