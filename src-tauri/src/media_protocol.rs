//! The `tessera:` URI scheme: the only way images reach the webview. A request for
//! `media/<photo id>/<thumb|preview|original>` (or `grant/<grant id>/media/...`, through an
//! access grant) is checked against the open session (policy, privacy and grant, in core), decrypted in memory and answered; nothing is written to disk and
//! the response forbids caching.
//!
//! URLs are made by Tauri's `convertFileSrc(path, "tessera")`, which gives
//! `tessera://localhost/<encoded path>` on Linux and macOS and
//! `http://tessera.localhost/<encoded path>` on Windows.

use std::sync::{Arc, Mutex};

use tauri::http::{Request, Response, StatusCode, header};
use tessera_core::access;
use tessera_core::media::{self, Variant};

use crate::boot_clock::BootInstant;
use crate::state::{self, Unlocked};

/// The scheme's name.
pub const SCHEME: &str = "tessera";

/// Answers one request.
pub fn serve(
    unlocked: &Arc<Mutex<Option<Unlocked>>>,
    request: &Request<Vec<u8>>,
) -> Response<Vec<u8>> {
    // `convertFileSrc` encodes the whole path, slashes included.
    let path = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8_lossy();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    // `grant/<grant id>/media/...` is a photo seen through an access grant: core checks
    // the grant (live, opens photos, this patient's, shared with staff) on every request.
    let (grant, media) = match parts.as_slice() {
        ["grant", grant, rest @ ..] => (Some(*grant), rest),
        rest => (None, rest),
    };
    let (id, variant) = match media {
        ["media", id, "thumb"] => (*id, Variant::Thumbnail),
        ["media", id, "preview"] => (*id, Variant::Preview),
        ["media", id, "original"] => (*id, Variant::Original),
        _ => return plain(StatusCode::NOT_FOUND, "no such image"),
    };
    let mut guard = state::lock(unlocked);
    let Some(open) = guard.as_mut() else {
        return plain(StatusCode::UNAUTHORIZED, "the vault is locked");
    };
    open.last_activity = BootInstant::now();
    let file = match (grant, variant) {
        (Some(grant), variant) => access::photo(&mut open.session, grant, id, variant),
        // Gallery thumbnails are covered by the audited listing that showed them.
        (None, Variant::Thumbnail) => media::thumbnail(&mut open.session, id),
        (None, other) => media::open(&mut open.session, id, other),
    };
    drop(guard);
    match file {
        Ok(file) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, file.mime)
            .header(header::CACHE_CONTROL, "no-store")
            .header("X-Content-Type-Options", "nosniff")
            .body(file.bytes.to_vec())
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response failed")),
        // Short fixed answers: an error's own text can name paths inside the vault.
        Err(e) => match e.class() {
            tessera_core::ErrorClass::Refused => plain(StatusCode::FORBIDDEN, "not allowed"),
            _ if matches!(e, tessera_core::Error::NotFound { .. }) => {
                plain(StatusCode::NOT_FOUND, "no such image")
            }
            _ => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the image cannot be read",
            ),
        },
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(text.as_bytes().to_vec());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Response<Vec<u8>> {
        let request = Request::builder()
            .uri(format!("tessera://localhost{path}"))
            .body(Vec::new())
            .unwrap();
        serve(&Arc::new(Mutex::new(None)), &request)
    }

    #[test]
    fn only_media_paths_are_served_and_only_to_an_open_session() {
        let id = "01a209cc-aa37-7150-880c-326983584084";
        for path in [
            format!("/media%2F{id}%2Fthumb"),
            format!("/media/{id}/preview"),
            format!("/media%2F{id}%2Foriginal"),
        ] {
            let locked = get(&path);
            assert_eq!(locked.status(), StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(locked.headers()[header::CACHE_CONTROL], "no-store");
        }
        for path in [
            "/",
            "/media",
            &format!("/media/{id}"),
            &format!("/media/{id}/raw"),
            "/etc/passwd",
        ] {
            assert_eq!(get(path).status(), StatusCode::NOT_FOUND, "{path}");
        }
    }
}
