//! Records given as JSON (`--json FILE`, `-` for stdin) or assembled from flags: a JSON
//! object is built, then deserialised into the core's type, with errors naming the field.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::secrets::UsageError;

/// A record as a JSON object, before it is checked.
pub type Object = Map<String, Value>;

/// Reads a JSON object from `path`, or from stdin when it is `-`.
pub fn read_object(path: &Path, password_stdin: bool) -> Result<Object> {
    let (name, text) = if path.as_os_str() == "-" {
        if password_stdin {
            bail!(UsageError(
                "--json -: stdin already carries the password (--password-stdin); name a file \
                 or set TESSERA_PASSWORD"
                    .into()
            ));
        }
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read stdin")?;
        ("stdin".to_owned(), text)
    } else {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        (name, text)
    };
    match serde_json::from_str(&text).with_context(|| format!("{name} is not valid JSON"))? {
        Value::Object(object) => Ok(object),
        _ => bail!("{name}: expected a JSON object, {{ ... }}"),
    }
}

/// Drops the bookkeeping fields a `show --json` prints (`ignored`) so its output can be
/// edited and given back, and takes its `version`, if any.
pub fn take_version(object: &mut Object, ignored: &[&str]) -> Result<Option<u32>> {
    for key in ignored {
        object.remove(*key);
    }
    match object.remove("version") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| anyhow!("version: {v} is not a version number")),
    }
}

/// Sets an optional text field; a blank value removes it.
pub fn set_text(object: &mut Object, key: &str, value: &str) {
    if value.trim().is_empty() {
        object.remove(key);
    } else {
        object.insert(key.to_owned(), Value::from(value));
    }
}

/// Replaces a list of texts; blank items are dropped, so `--flag ''` clears the list.
pub fn set_list(object: &mut Object, key: &str, items: &[String]) {
    let items: Vec<Value> = items
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Value::from(s.as_str()))
        .collect();
    if items.is_empty() {
        object.remove(key);
    } else {
        object.insert(key.to_owned(), Value::Array(items));
    }
}

/// Deserialises `object` into `T`. When that fails, the field at fault is named: each
/// field is tried alone on top of `base`, a minimal object that deserialises.
pub fn from_object<T: DeserializeOwned>(object: Object, base: &Object) -> Result<T> {
    let error = match serde_json::from_value::<T>(Value::Object(object.clone())) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    for (key, value) in object {
        let mut probe = base.clone();
        probe.insert(key.clone(), value);
        if let Err(e) = serde_json::from_value::<T>(Value::Object(probe)) {
            let message = e.to_string().replace("unknown variant", "unknown value");
            if message.contains(&format!("`{key}`")) {
                bail!("{message}");
            }
            bail!("{}: {message}", key.replace('_', " "));
        }
    }
    Err(anyhow!(
        "{}",
        error
            .to_string()
            .replace("unknown variant", "unknown value")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        #[serde(default)]
        blood_type: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    enum Kind {
        A,
    }

    fn object(value: Value) -> Object {
        match value {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }

    #[test]
    fn errors_name_the_field_at_fault() {
        let base = object(serde_json::json!({ "name": "x" }));
        let bad = object(serde_json::json!({ "name": "x", "blood_type": "C" }));
        let msg = from_object::<Sample>(bad, &base).unwrap_err().to_string();
        assert!(msg.starts_with("blood type: unknown value `C`"), "{msg}");
        let typo = object(serde_json::json!({ "name": "x", "birth": 1 }));
        let msg = from_object::<Sample>(typo, &base).unwrap_err().to_string();
        assert!(msg.starts_with("unknown field `birth`"), "{msg}");
        let missing = object(serde_json::json!({}));
        let msg = from_object::<Sample>(missing, &base)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("missing field `name`"), "{msg}");
    }

    #[test]
    fn bookkeeping_is_dropped_and_the_version_kept() {
        let mut o = object(serde_json::json!({ "id": "x", "version": 3, "name": "y" }));
        assert_eq!(take_version(&mut o, &["id"]).unwrap(), Some(3));
        assert_eq!(o.keys().collect::<Vec<_>>(), ["name"]);
        let mut o = object(serde_json::json!({ "version": "three" }));
        assert!(take_version(&mut o, &[]).is_err());
    }
}
