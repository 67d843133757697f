//! Error finalisation, as a schema extension so HTTP and WebSocket share it:
//! every error leaves with a stable `code`, its message in the caller's
//! language, and (for `INTERNAL`) the request id; the text of foreign errors
//! (database, HTTP, …) goes to the log only.

use std::sync::{Arc, OnceLock};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest, NextSubscribe},
    futures_util::stream::BoxStream,
    Request, Response, ServerError, ServerResult,
};
use futures_util::StreamExt;

use crate::{
    error::{Code, Lang, EN_MESSAGE_KEY},
    graphql::context::RequestCtx,
};

/// Installs [`finalize_errors`] on every response of the schema.
pub struct FinalizeErrors;

impl ExtensionFactory for FinalizeErrors {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Finalizer { caller: Arc::default() })
    }
}

/// One execution's finaliser: the caller's language and request id, read
/// from the request (HTTP) or the connection (WebSocket) when it is prepared.
struct Finalizer {
    caller: Arc<OnceLock<(Lang, String)>>,
}

fn finalize_response(mut response: Response, caller: &OnceLock<(Lang, String)>) -> Response {
    // Errors before the request was prepared (none today) read as Chinese with a fresh id.
    let (lang, request_id) = caller.get_or_init(|| (Lang::Zh, uuid::Uuid::new_v4().to_string()));
    finalize_errors(&mut response.errors, *lang, request_id);
    response
}

#[async_trait::async_trait]
impl Extension for Finalizer {
    async fn prepare_request(&self, ctx: &ExtensionContext<'_>, request: Request, next: NextPrepareRequest<'_>) -> ServerResult<Request> {
        let from_request = request.data.get(&std::any::TypeId::of::<RequestCtx>()).and_then(|d| d.downcast_ref::<RequestCtx>());
        if let Some(r) = from_request.or_else(|| ctx.data_opt::<RequestCtx>()) {
            let _ = self.caller.set((r.lang, r.request_id.clone()));
        }
        next.run(ctx, request).await
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        finalize_response(next.run(ctx).await, &self.caller)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let caller = self.caller.clone();
        next.run(ctx, stream).map(move |r| finalize_response(r, &caller)).boxed()
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
        if ext.get("code").is_some_and(|c| *c == async_graphql::Value::from(Code::Internal.as_str())) {
            ext.set("requestId", request_id);
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
