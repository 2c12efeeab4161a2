//! What the user typed into the UI, read as the commands need it: secrets, where an empty
//! field means none, and paths, where `~` is the home directory.

use std::path::PathBuf;

use crate::api_error::{ApiError, ErrorCode};

/// A refusal of one field, named in the message and in `field`.
pub(crate) fn invalid(field: &str, message: &str) -> ApiError {
    ApiError {
        field: Some(field.to_owned()),
        ..ApiError::new(ErrorCode::Invalid, format!("{field}: {message}"))
    }
}

/// A secret typed in a form: an empty field is none. Not trimmed (spaces may be part of it).
pub(crate) fn given<T: AsRef<str>>(value: Option<T>) -> Option<T> {
    value.filter(|s| !s.as_ref().is_empty())
}

/// A path typed by the user: `~` is the home directory, and anything else must be absolute
/// (a relative path would depend on where the app was started).
pub(crate) fn typed_path(field: &str, text: &str) -> Result<PathBuf, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(field, "type the full path of a folder or file"));
    }
    let path = match text.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            let home = dirs::home_dir()
                .ok_or_else(|| invalid(field, "there is no home directory to start from"))?;
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(text),
    };
    if !path.is_absolute() {
        return Err(invalid(
            field,
            &format!(
                "{text} is not a full path; start from the root, e.g. /media/usb/tessera-backups"
            ),
        ));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_paths_are_absolute_or_start_at_home() {
        assert_eq!(
            typed_path("destination", " /media/usb/backups ").unwrap(),
            PathBuf::from("/media/usb/backups")
        );
        if let Some(home) = dirs::home_dir() {
            assert_eq!(typed_path("file", "~").unwrap(), home);
            assert_eq!(
                typed_path("file", "~/backups/x.age").unwrap(),
                home.join("backups/x.age")
            );
        }
        for bad in ["", "   ", "backups", "./backups", "~someone/backups"] {
            let e = typed_path("destination", bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::Invalid, "{bad:?}");
            assert_eq!(e.field.as_deref(), Some("destination"), "{bad:?}");
            assert!(e.message.starts_with("destination: "), "{}", e.message);
        }
    }
}
