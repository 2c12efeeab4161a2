//! The commands' TypeScript signatures, gathered from the `#[command]` functions (see
//! `tessera-app-macros`) and written by `bindings.rs` into `ui/src/lib/bindings/commands.ts`:
//! an interface the UI's backend implements and a table of command names it calls.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt::Write as _;
use std::path::PathBuf;

use ts_rs::{Config, TS, TypeVisitor};

/// Implemented by the type `#[command]` emits beside each command function.
pub trait Command {
    /// The command's signature; its types are exported through `types`.
    fn signature(types: &mut TypeCollector) -> Signature;
}

/// One command as the UI sees it.
#[derive(Debug)]
pub struct Signature {
    /// The command's name, as `invoke` takes it.
    pub name: &'static str,
    /// The function's doc comment.
    pub docs: &'static str,
    /// Each argument the UI passes: its name and TypeScript type.
    pub args: Vec<(&'static str, String)>,
    /// Takes its input as a raw request body and headers instead of named arguments.
    pub raw_body: bool,
    /// What a successful call resolves to.
    pub returns: String,
}

/// Exports every type a signature names, and remembers which files the signatures import.
#[allow(missing_debug_implementations)] // ts-rs's Config has no Debug
pub struct TypeCollector<'c> {
    cfg: &'c Config,
    /// File stem (as imported) by TypeScript name.
    imports: BTreeMap<String, String>,
    /// The Rust type that writes each file, and what it writes: two types of the same name
    /// (a patient's `Identity` and a vault's) would otherwise overwrite each other's file
    /// unseen.
    owners: BTreeMap<PathBuf, (&'static str, String)>,
    error: Option<String>,
}

impl<'c> TypeCollector<'c> {
    pub fn new(cfg: &'c Config) -> Self {
        TypeCollector {
            cfg,
            imports: BTreeMap::new(),
            owners: BTreeMap::new(),
            error: None,
        }
    }

    /// Exports `T` and what it depends on, without naming it in `commands.ts`: a type that
    /// reaches the UI outside a command's signature (an event, the error).
    pub fn export<T: TS + 'static + ?Sized>(&mut self) {
        if let Err(e) = T::export_all(self.cfg) {
            self.error.get_or_insert(e.to_string());
        }
        Owners(self).visit::<T>();
    }

    /// The TypeScript name of `T`; exports it and what it depends on.
    pub fn add<T: TS + 'static + ?Sized>(&mut self) -> String {
        self.visit::<T>();
        T::name(self.cfg)
    }

    /// A callback that receives `T` (an argument of type `Channel<T>`).
    pub fn callback<T: TS + 'static + ?Sized>(&mut self) -> String {
        format!("(message: {}) => void", self.add::<T>())
    }

    /// The first error of an export, if any.
    pub fn finish(self) -> Result<BTreeMap<String, String>, String> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.imports),
        }
    }
}

/// Walks a type and everything it names, noting which Rust type writes each file.
struct Owners<'a, 'c>(&'a mut TypeCollector<'c>);

impl TypeVisitor for Owners<'_, '_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        let Some(path) = T::output_path() else {
            return T::visit_generics(self);
        };
        // Types that write the same declaration are one (serde_json's `Value` is written
        // as ts-rs's own `JsonValue`); a generic one is one file whatever its arguments.
        let rust = std::any::type_name::<T>();
        let decl = T::decl(self.0.cfg);
        match self.0.owners.entry(path) {
            Entry::Vacant(slot) => {
                slot.insert((rust, decl));
                T::visit_dependencies(self);
                T::visit_generics(self);
            }
            Entry::Occupied(owner) if owner.get().1 != decl => {
                let clash = format!(
                    "{} and {rust} would both be written to {}: rename one for TypeScript \
                     (a type of the shell's own, or #[ts(rename)])",
                    owner.get().0,
                    owner.key().display()
                );
                self.0.error.get_or_insert(clash);
            }
            Entry::Occupied(_) => T::visit_generics(self),
        }
    }
}

impl TypeVisitor for TypeCollector<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        match T::output_path() {
            Some(path) => {
                self.export::<T>();
                let stem = path.with_extension("").to_string_lossy().replace('\\', "/");
                self.imports.insert(T::ident(self.cfg), stem);
            }
            // A wrapper (`Vec`, `Option`, a tuple) names only its type arguments.
            None => T::visit_generics(self),
        }
    }
}

/// `commands.ts`: the `Commands` interface and the `COMMANDS` table of names.
pub fn typescript(signatures: &[Signature], imports: &BTreeMap<String, String>) -> String {
    let mut ts = String::from(
        "// Generated by src-tauri/src/bindings.rs from the shell's #[command] functions; \
         do not edit.\n",
    );
    for (name, stem) in imports {
        let _ = writeln!(ts, "import type {{ {name} }} from './{stem}';");
    }
    ts.push_str("\n/** Every command of the desktop shell, as the UI calls it. */\n");
    ts.push_str("export interface Commands {\n");
    for s in signatures {
        if !s.docs.is_empty() {
            ts.push_str("  /**\n");
            for line in s.docs.lines() {
                let _ = writeln!(ts, "   *{}{line}", if line.is_empty() { "" } else { " " });
            }
            ts.push_str("   */\n");
        }
        let params = if s.raw_body {
            "args: { body: ArrayBuffer | Uint8Array; headers: Record<string, string> }".to_owned()
        } else if s.args.is_empty() {
            String::new()
        } else {
            let fields: Vec<String> = s
                .args
                .iter()
                .map(|(name, ty)| match ty.strip_suffix(" | null") {
                    // Tauri reads a missing argument as `None`.
                    Some(_) => format!("{name}?: {ty}"),
                    None => format!("{name}: {ty}"),
                })
                .collect();
            format!("args: {{ {} }}", fields.join("; "))
        };
        let _ = writeln!(
            ts,
            "  {}({params}): Promise<{}>;",
            camel_case(s.name),
            s.returns
        );
    }
    ts.push_str("}\n\n/** The name `invoke` takes for each method of `Commands`. */\n");
    ts.push_str("export const COMMANDS = {\n");
    for s in signatures {
        let _ = writeln!(ts, "  {}: '{}',", camel_case(s.name), s.name);
    }
    ts.push_str("} as const satisfies Record<keyof Commands, string>;\n");
    ts
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    mod patients {
        /// A patient's identity.
        #[derive(ts_rs::TS)]
        #[allow(dead_code)] // only its TypeScript is read
        pub struct Identity {
            pub name: String,
        }
    }

    mod vaults {
        /// A vault's identity, with a patient's in it.
        #[derive(ts_rs::TS)]
        #[allow(dead_code)] // only its TypeScript is read
        pub struct Identity {
            pub key: String,
            pub owner: Vec<super::patients::Identity>,
        }
    }

    #[test]
    fn two_types_named_alike_for_typescript_are_refused_not_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = Config::new().with_out_dir(tmp.path());
        let mut types = TypeCollector::new(&cfg);
        types.add::<patients::Identity>();
        types.add::<Vec<patients::Identity>>();
        assert!(types.finish().is_ok(), "the same type twice is one file");

        // Met as a command's type, or only inside another type (the patient's is a field).
        let mut types = TypeCollector::new(&cfg);
        types.add::<vaults::Identity>();
        let clash = types.finish().unwrap_err();
        assert!(
            clash.contains("patients::Identity") && clash.contains("vaults::Identity"),
            "{clash}"
        );
    }
}
