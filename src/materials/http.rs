//! The public end of radar tracking: `GET /r/{token}`, opened by customers
//! in WeChat, so no login; the token is the only credential and grants
//! only this.

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};

use super::tracking::{self, Landing};
use crate::state::AppState;

pub async fn open_tracked(State(app): State<AppState>, Path(token): Path<String>) -> Response {
    match tracking::open(&app.db, &app.radar_opens, &token, app.clock.now()).await {
        Ok(Some(Landing::Url(url))) => (StatusCode::FOUND, [(header::LOCATION, url)]).into_response(),
        Ok(Some(Landing::File { corp_id, file_id })) => {
            let (url, _) = crate::files::signed_url(&app, corp_id, file_id);
            (StatusCode::FOUND, [(header::LOCATION, url)]).into_response()
        }
        Ok(None) => {
            (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "链接无效或已失效 / This link is not valid")
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = ?e, "recording a tracked open failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
