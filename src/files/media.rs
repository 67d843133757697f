//! What an upload may be, by kind (MAT-3's limits, which WeCom's
//! `media/upload` also sets): the type is sniffed from the content's first
//! bytes (the `infer` crate), never taken from the name or the client's
//! declared type, and the size is checked before anything is stored.

use crate::{
    error::{AppError, AppResult, Msg},
    integrations::wecom::media::amr_millis,
};

/// What a file is for: WeCom sends images, voice, videos and files differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// JPG or PNG, at most 2 MB.
    Image,
    /// AMR (what WeCom plays as voice), at most 2 MB and 60 s.
    Voice,
    /// MP4, at most 10 MB.
    Video,
    /// Anything, at most 20 MB.
    File,
}

const MB: u64 = 1024 * 1024;
/// The longest voice message WeCom sends.
pub const MAX_VOICE_SECS: u32 = 60;

const IMAGE_TOO_LARGE: Msg = Msg::new("IMAGE_TOO_LARGE", "图片不能超过2MB", "Images must be at most 2 MB");
const VOICE_TOO_LARGE: Msg = Msg::new("VOICE_TOO_LARGE", "语音不能超过2MB", "Voice files must be at most 2 MB");
const VIDEO_TOO_LARGE: Msg = Msg::new("VIDEO_TOO_LARGE", "视频不能超过10MB", "Videos must be at most 10 MB");
pub const FILE_TOO_LARGE: Msg = Msg::new("FILE_TOO_LARGE", "附件不能超过20MB", "Attachments must be at most 20 MB");
const IMAGE_TYPE: Msg = Msg::new("IMAGE_NOT_JPG_OR_PNG", "图片仅支持JPG、PNG格式", "Images must be JPG or PNG");
const VOICE_TYPE: Msg = Msg::new("VOICE_NOT_AMR", "语音仅支持AMR格式", "Voice files must be AMR");
const VIDEO_TYPE: Msg = Msg::new("VIDEO_NOT_MP4", "视频仅支持MP4格式", "Videos must be MP4");
const VOICE_TOO_LONG: Msg = Msg::new("VOICE_TOO_LONG", "语音时长不能超过60秒", "Voice messages must be at most 60 seconds");
const EMPTY: Msg = Msg::new("FILE_EMPTY", "文件不能为空", "The file is empty");

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "IMAGE",
            Kind::Voice => "VOICE",
            Kind::Video => "VIDEO",
            Kind::File => "FILE",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Image, Kind::Voice, Kind::Video, Kind::File].into_iter().find(|k| k.as_str() == s)
    }

    /// WeCom's `media/upload` type.
    pub fn wecom_type(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Voice => "voice",
            Kind::Video => "video",
            Kind::File => "file",
        }
    }

    pub fn max_bytes(self) -> u64 {
        match self {
            Kind::Image | Kind::Voice => 2 * MB,
            Kind::Video => 10 * MB,
            Kind::File => 20 * MB,
        }
    }

    fn too_large(self) -> Msg {
        match self {
            Kind::Image => IMAGE_TOO_LARGE,
            Kind::Voice => VOICE_TOO_LARGE,
            Kind::Video => VIDEO_TOO_LARGE,
            Kind::File => FILE_TOO_LARGE,
        }
    }

    /// The sniffed types this kind accepts (`None`: any).
    fn accepts(self) -> Option<(&'static [&'static str], Msg)> {
        match self {
            Kind::Image => Some((&["image/jpeg", "image/png"], IMAGE_TYPE)),
            Kind::Voice => Some((&["audio/amr"], VOICE_TYPE)),
            Kind::Video => Some((&["video/mp4"], VIDEO_TYPE)),
            Kind::File => None,
        }
    }
}

/// The size rule, checked before the content is read.
pub fn check_size(kind: Kind, size: u64) -> AppResult<()> {
    if size == 0 {
        return Err(AppError::bad_input("file", EMPTY));
    }
    if size > kind.max_bytes() {
        return Err(AppError::bad_input("file", kind.too_large()));
    }
    Ok(())
}

/// The content type sniffed from `head` (the first bytes), if the kind accepts it.
pub fn check_type(kind: Kind, head: &[u8]) -> AppResult<String> {
    let sniffed = infer::get(head).map(|t| t.mime_type());
    match kind.accepts() {
        None => Ok(sniffed.unwrap_or("application/octet-stream").to_string()),
        Some((allowed, refusal)) => match sniffed.filter(|m| allowed.contains(m)) {
            Some(m) => Ok(m.to_string()),
            None => Err(AppError::bad_input("file", refusal)),
        },
    }
}

/// A voice file's length in whole seconds (rounded up), refused past 60 s.
pub fn check_voice_length(amr: &[u8]) -> AppResult<u32> {
    let secs = amr_millis(amr).div_ceil(1000) as u32;
    if secs > MAX_VOICE_SECS {
        return Err(AppError::bad_input("file", VOICE_TOO_LONG));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amr_of(frames: usize) -> Vec<u8> {
        let mut v = b"#!AMR\n".to_vec();
        for _ in 0..frames {
            // Frame type 7 (12.2 kbit/s): a header byte and 31 bytes of speech.
            v.push(7 << 3 | 0x04);
            v.extend_from_slice(&[0u8; 31]);
        }
        v
    }

    #[test]
    fn amr_length_counts_frames() {
        assert_eq!(amr_millis(&amr_of(50)), 1000);
        assert_eq!(check_voice_length(&amr_of(3000)).unwrap(), 60);
        assert_eq!(check_voice_length(&amr_of(3001)).unwrap_err().msg.reason, "VOICE_TOO_LONG");
        assert_eq!(amr_millis(b"not amr"), 0);
    }

    #[test]
    fn types_are_sniffed_not_named() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(check_type(Kind::Image, png).unwrap(), "image/png");
        assert_eq!(check_type(Kind::Image, b"%PDF-1.7\n").unwrap_err().msg.reason, "IMAGE_NOT_JPG_OR_PNG");
        assert_eq!(check_type(Kind::File, b"%PDF-1.7\n").unwrap(), "application/pdf");
        assert_eq!(check_type(Kind::File, b"plain words").unwrap(), "application/octet-stream");
        assert_eq!(check_type(Kind::Voice, &amr_of(1)).unwrap(), "audio/amr");
        assert_eq!(check_size(Kind::Image, 2 * MB + 1).unwrap_err().msg.reason, "IMAGE_TOO_LARGE");
        assert_eq!(check_size(Kind::Video, 0).unwrap_err().msg.reason, "FILE_EMPTY");
    }
}
