//! The window never leaves the app: a navigation to anything but the UI built into the
//! binary (or, in a development build, the dev server) is refused, so a link, a redirect or
//! injected script cannot take the window, and the IPC it can call, to a page of someone
//! else's.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Manager, Runtime, Url};

/// A plugin whose only work is the navigation guard on every webview.
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("navigation-guard")
        .on_navigation(|webview, url| {
            let config = webview.app_handle().config();
            let dev_url = cfg!(not(feature = "custom-protocol"))
                .then_some(config.build.dev_url.as_ref())
                .flatten();
            is_app_page(url, dev_url)
        })
        .build()
}

/// Whether `url` is one of the app's own pages: the embedded UI's origin on every system
/// (`tauri://localhost`; `http(s)://tauri.localhost` on Windows), or `dev_url`'s origin.
fn is_app_page(url: &Url, dev_url: Option<&Url>) -> bool {
    let embedded = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    };
    embedded || dev_url.is_some_and(|dev| dev.origin() == url.origin())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn the_window_cannot_be_navigated_away_from_the_app() {
        for own in [
            "tauri://localhost/",
            "tauri://localhost/index.html#chart",
            "http://tauri.localhost/",
        ] {
            assert!(is_app_page(&url(own), None), "{own}");
        }
        for foreign in [
            "https://example.org/",
            "http://127.0.0.1:9/",
            "tauri://evil.example/",
            "http://tauri.localhost.evil.example/",
            "file:///etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "about:blank",
            "http://localhost:5173/",
        ] {
            assert!(!is_app_page(&url(foreign), None), "{foreign}");
        }
        let dev = url("http://localhost:5173");
        assert!(is_app_page(
            &url("http://localhost:5173/index.html"),
            Some(&dev)
        ));
        assert!(!is_app_page(&url("http://localhost:5174/"), Some(&dev)));
    }
}
