//! Temporary media (`media/upload`): what images, voice, videos and files
//! are sent by in WeCom messages and the JS-SDK. A media_id lives three days.

use reqwest::multipart::{Form, Part};
use serde::Deserialize;

use super::{Credentials, SecretKind, WecomClient, WecomError};

/// How long WeCom keeps a temporary media_id usable.
pub const MEDIA_LIFETIME: chrono::Duration = chrono::Duration::days(3);

#[derive(Debug, Deserialize)]
pub struct MediaUploaded {
    pub media_id: String,
    #[serde(rename = "type")]
    pub media_type: String,
}

impl WecomClient {
    /// Uploads `bytes` as `media_type` (image, voice, video or file) in the
    /// multipart field `media`, as WeCom requires.
    pub async fn media_upload(
        &self,
        creds: &Credentials,
        media_type: &str,
        file_name: &str,
        content_type: &str,
        bytes: axum::body::Bytes,
    ) -> Result<MediaUploaded, WecomError> {
        let query = [("type", media_type.to_string())];
        self.send(creds, SecretKind::Agent, "/cgi-bin/media/upload", &query, |http, url| {
            let part = Part::stream_with_length(bytes.clone(), bytes.len() as u64).file_name(file_name.to_string());
            let part = match part.mime_str(content_type) {
                Ok(p) => p,
                Err(_) => Part::stream_with_length(bytes.clone(), bytes.len() as u64).file_name(file_name.to_string()),
            };
            http.post(url).multipart(Form::new().part("media", part))
        })
        .await
    }
}
