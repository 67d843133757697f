//! `GET /templates/leads.xlsx`: the lead import template (CRM-2). It holds
//! no tenant data, so it needs no login (a console links to it directly).

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};

pub async fn template() -> Response {
    match super::import::template() {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"leads-template.xlsx\"; filename*=UTF-8''%E7%BA%BF%E7%B4%A2%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(code = e.code.as_str(), "lead template not built");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
