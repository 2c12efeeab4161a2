//! `tessera init`.

use anyhow::Result;
use serde::Serialize;
use tessera_core::crypto::Argon2Params;
use tessera_core::vault::{self, NewVault};

use crate::args::{Cli, InitArgs};
use crate::output;
use crate::secrets;

#[derive(Serialize)]
struct Created<'a> {
    vault_id: String,
    path: String,
    admin: String,
    recovery_key: &'a str,
}

pub fn run(cli: &Cli, args: &InitArgs) -> Result<()> {
    let dir = super::vault_dir(cli)?;
    let password = secrets::first_admin_password(cli.password_stdin, &args.admin)?;
    let created = vault::create(
        &dir,
        &NewVault {
            admin_username: &args.admin,
            admin_display_name: args.display_name.as_deref().unwrap_or(&args.admin),
            admin_password: &password,
            kdf: Argon2Params {
                memory_kib: args.argon2_memory_mib.saturating_mul(1024),
                iterations: args.argon2_passes,
                parallelism: 1,
            },
        },
    )?;
    let recovery = created.recovery_key.display();
    let report = Created {
        vault_id: created.vault_id.to_string(),
        path: dir.display().to_string(),
        // As stored: user names are case-insensitive and kept in lower case.
        admin: args.admin.trim().to_lowercase(),
        recovery_key: &recovery,
    };
    output::emit(cli.json, &report, |r| {
        eprintln!("Created vault {} at {}.", r.vault_id, r.path);
        eprintln!("Recovery key (shown only this once; write it down and keep it locked away):");
        println!("{}", r.recovery_key);
        eprintln!("Anyone with this key can open the vault. Without it, a vault whose passwords");
        eprintln!("are all lost cannot be recovered.");
    })
}
