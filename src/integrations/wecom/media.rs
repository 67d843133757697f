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

/// An AMR file's playing time: 20 ms per frame, each frame's size given by
/// its header's frame type (RFC 4867 §5; narrow- and wide-band tables).
/// No maintained crate reads AMR, and the frame table is all it takes.
/// (WeCom plays voice messages only as AMR, at most 60 s.)
pub fn amr_millis(amr: &[u8]) -> u64 {
    const NB: [usize; 16] = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];
    const WB: [usize; 16] = [18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1];
    let (sizes, mut at) = if amr.starts_with(b"#!AMR-WB\n") {
        (&WB, 9)
    } else if amr.starts_with(b"#!AMR\n") {
        (&NB, 6)
    } else {
        return 0;
    };
    let mut frames = 0u64;
    while at < amr.len() {
        let frame_type = usize::from((amr[at] >> 3) & 0x0f);
        at += sizes[frame_type];
        frames += 1;
    }
    frames * 20
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
