//! What the EXIF block says about a photo, read before it is stripped: when it was taken,
//! with what camera, and where (kept only when the vault is set to keep locations).
//! Unreadable or absent metadata is not an error: it is simply not known.

use std::io::Cursor;

use exif::{In, Tag, Value};

/// Capture metadata worth keeping in the (encrypted) database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Capture {
    /// When it was taken, as the camera's clock said: `YYYY-MM-DDTHH:MM:SS`, with the UTC
    /// offset appended when the camera recorded one.
    pub taken_at: Option<String>,
    /// Camera maker.
    pub camera_make: Option<String>,
    /// Camera model.
    pub camera_model: Option<String>,
    /// Latitude and longitude in degrees, only when asked for.
    pub location: Option<(f64, f64)>,
}

/// Reads the capture metadata of a JPEG, PNG or WebP; `keep_location` keeps GPS.
pub fn read(bytes: &[u8], keep_location: bool) -> Capture {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return Capture::default();
    };
    let text = |tag| {
        exif.get_field(tag, In::PRIMARY)
            .and_then(|f| ascii(&f.value))
    };
    let taken_at = [Tag::DateTimeOriginal, Tag::DateTimeDigitized, Tag::DateTime]
        .into_iter()
        .find_map(|tag| {
            let raw = exif.get_field(tag, In::PRIMARY)?;
            let Value::Ascii(parts) = &raw.value else {
                return None;
            };
            let mut when = exif::DateTime::from_ascii(parts.first()?).ok()?;
            let offset_tag = match tag {
                Tag::DateTimeOriginal => Tag::OffsetTimeOriginal,
                Tag::DateTimeDigitized => Tag::OffsetTimeDigitized,
                _ => Tag::OffsetTime,
            };
            if let Some(Value::Ascii(offset)) =
                exif.get_field(offset_tag, In::PRIMARY).map(|f| &f.value)
            {
                let _ = offset.first().map(|o| when.parse_offset(o));
            }
            Some(iso(&when))
        });
    Capture {
        taken_at,
        camera_make: text(Tag::Make),
        camera_model: text(Tag::Model),
        location: keep_location.then(|| location(&exif)).flatten(),
    }
}

/// The first string of an ASCII value, trimmed; `None` when blank or not text.
fn ascii(value: &Value) -> Option<String> {
    let Value::Ascii(parts) = value else {
        return None;
    };
    let text = String::from_utf8_lossy(parts.first()?);
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!text.is_empty()).then(|| text.chars().take(120).collect())
}

fn iso(when: &exif::DateTime) -> String {
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        when.year, when.month, when.day, when.hour, when.minute, when.second
    );
    if let Some(minutes) = when.offset {
        let sign = if minutes < 0 { '-' } else { '+' };
        let minutes = minutes.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
    }
    out
}

fn location(exif: &exif::Exif) -> Option<(f64, f64)> {
    let coordinate = |value_tag, ref_tag, negative: &[u8]| -> Option<f64> {
        let Value::Rational(dms) = &exif.get_field(value_tag, In::PRIMARY)?.value else {
            return None;
        };
        let [d, m, s] = dms.as_slice() else {
            return None;
        };
        let degrees = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let reference = exif
            .get_field(ref_tag, In::PRIMARY)
            .and_then(|f| match &f.value {
                Value::Ascii(parts) => parts.first().cloned(),
                _ => None,
            });
        let sign = if reference.as_deref() == Some(negative) {
            -1.0
        } else {
            1.0
        };
        Some(degrees * sign).filter(|v| v.is_finite())
    };
    let latitude = coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, b"S")?;
    let longitude = coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, b"W")?;
    ((-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude))
        .then_some((latitude, longitude))
}
