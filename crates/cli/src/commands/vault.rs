//! `tessera vault ...`.

use anyhow::Result;
use tessera_core::vault;

use crate::args::{Cli, VaultCommand};
use crate::output;

pub fn run(cli: &Cli, command: &VaultCommand) -> Result<()> {
    let mut session = super::unlock(cli)?;
    match command {
        VaultCommand::Info => {
            let info = vault::info(&mut session)?;
            output::emit(cli.json, &info, |i| {
                println!("vault          {}", i.path.display());
                println!("id             {}", i.vault_id);
                println!(
                    "format         {} (schema {})",
                    i.format_version, i.schema_version
                );
                println!("created        {}", i.created_at);
                println!("cipher         {}", i.cipher);
                println!(
                    "argon2id       {} MiB, {} passes, {} lane(s)",
                    i.kdf.memory_kib / 1024,
                    i.kdf.iterations,
                    i.kdf.parallelism
                );
                println!("key slots      {}", i.key_slots);
                println!(
                    "staff          {} ({} active)",
                    i.counts.staff, i.counts.active_staff
                );
                println!(
                    "patients       {} ({} in the bin)",
                    i.counts.patients, i.counts.deleted_patients
                );
                println!("encounters     {}", i.counts.encounters);
                println!(
                    "narratives     {} ({} revisions)",
                    i.counts.narratives, i.counts.narrative_revisions
                );
                println!("audit entries  {}", i.counts.audit_entries);
                println!(
                    "signed in as   {} ({})",
                    i.signed_in_as.username, i.signed_in_as.principal
                );
            })
        }
    }
}
