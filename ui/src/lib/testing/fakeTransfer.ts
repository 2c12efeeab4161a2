/**
 * The stand-in's transfer between vaults (core's `transfer`, the shell's `transfer_*`
 * commands): this vault's identity, other vaults it knows the identities of, files on a
 * "stick" (identities and receipts by path, bundles by path with what importing them does),
 * paired vaults and conflicts. Refusals use core's codes and words.
 */
import type {
  Action,
  Applied,
  ApiError,
  Backend,
  BundleImported,
  Conflict,
  Counts,
  IdentityPreview,
  Patient,
  Peer,
  Progress,
  VaultIdentity,
} from '../backend';

/** Another vault the stand-in knows: its identity token and fingerprint. */
export type FakeVault = { vault_id: string; fingerprint: string; token: string };

/**
 * A bundle on the stick: who sent it and what importing it does. `refused` or `damaged`
 * (core's text) refuse it as core would; `conflicts` are listed once it is imported.
 */
export type FakeBundle = {
  from_vault: string;
  bundle: number;
  to_seq: number;
  counts: Counts;
  outcome: Applied;
  /** Imported before, or carried by a later bundle: nothing is applied, with this note. */
  note?: string;
  /** Refused by core with this reason (its `name`) and text. */
  refused?: { reason: string; message: string };
  damaged?: string;
  conflicts?: Conflict[];
};

export type FakeTransferState = {
  identity: VaultIdentity;
  /** Other vaults, whose identity files or QR codes this vault may be shown. */
  vaults: FakeVault[];
  peers: Peer[];
  /** Identity and receipt files, by path: their text. */
  files: Map<string, string>;
  /** Bundles, by the path of their file (a split one: of its first part). */
  bundles: Map<string, FakeBundle>;
  /** Folders that are read-only (a locked stick): nothing can be saved there. */
  readOnlyFolders: string[];
  conflicts: Conflict[];
  /** What the system's file chooser answers: a file to open, or null as when cancelled. */
  chosenFile: string | null;
  /** Where the file chooser saves: a folder, or null as when cancelled. */
  saveFolder: string | null;
};

const zero: Applied = {
  added: 0,
  updated: 0,
  unchanged: 0,
  conflicts: 0,
  possible_duplicates: 0,
  erased_here: 0,
};

export function emptyCounts(): Counts {
  return {
    patients: 0,
    encounters: 0,
    narratives: 0,
    consents: 0,
    photos: 0,
    images: 0,
    audit_entries: 0,
  };
}

/** A bundle's outcome, nothing but `applied`. */
export const outcome = (applied: Partial<Applied>): Applied => ({ ...zero, ...applied });

/** The receipt token the stand-in writes for what this vault holds of `from`. */
export const receiptToken = (from: string, to_seq: number) => `TS1:RCPT-${from}-${to_seq}`;

/** A small QR-like SVG (not readable: the stand-in only draws a pattern). */
const fakeQr = (token: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21" width="232" height="232"><rect width="21" height="21" fill="#fff"/><text x="1" y="11" font-size="3">${token.length}</text></svg>`;

export function freshTransferState(): FakeTransferState {
  const token = 'TS1:VAULT-CLINIC';
  return {
    identity: {
      vault_id: '0190a1b2-0000-7000-8000-00000000c11c',
      fingerprint: '3F2A 9C41 07BD E5A8',
      recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
      token,
      qr_svg: fakeQr(token),
    },
    vaults: [
      {
        vault_id: '0190a1b2-0000-7000-8000-0000000f1e1d',
        fingerprint: 'B7E1 04C9 5A3D 22F0',
        token: 'TS1:VAULT-FIELD',
      },
    ],
    peers: [],
    files: new Map([['/media/usb/TESSERA/field.identity', 'TS1:VAULT-FIELD']]),
    bundles: new Map(),
    readOnlyFolders: [],
    conflicts: [],
    chosenFile: '/media/usb/TESSERA/field.identity',
    saveFolder: '/media/usb/TESSERA',
  };
}

/** What the transfer commands need of the rest of the stand-in. */
type Context = {
  state: FakeTransferState;
  calls: string[];
  /** The open session's user, if they may take `action` (else core's refusal). */
  authorize: (action: Action) => { username: string };
  /** The open session (else `no_session`). */
  signedIn: () => void;
  fullPath: (field: string, text: string) => string;
  invalid: (field: string, message: string) => never;
  fail: (code: ApiError['code'], message: string) => never;
  audit: (action: string, resource_type: string, resource_id: string | null) => void;
  patient: (id: string) => Patient | undefined;
  /** Awaited between the images a bundle writes (two of them). */
  step: () => Promise<void>;
  now: () => string;
};

export type TransferCommands = Pick<
  Backend,
  | 'fileChoose'
  | 'transferIdentity'
  | 'transferIdentitySave'
  | 'transferTokenRead'
  | 'transferIdentityPreview'
  | 'transferPair'
  | 'transferPeers'
  | 'transferExport'
  | 'transferImport'
  | 'transferReceiptAccept'
  | 'transferConflicts'
  | 'transferConflictResolve'
>;

const folderOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';

export function transferCommands(c: Context): TransferCommands {
  const { state } = c;
  const refused = (reason: string, message: string): never => {
    throw { code: 'bundle_refused', reason, message } satisfies ApiError;
  };
  const openConflicts = (vault: string) =>
    state.conflicts.filter((x) => x.from_vault === vault && x.resolved_at === null).length;
  const peerCopy = (p: Peer): Peer => ({ ...p, open_conflicts: openConflicts(p.vault_id) });
  const findPeer = (key: string) =>
    state.peers.find(
      (p) => p.vault_id === key.trim() || p.name.toLowerCase() === key.trim().toLowerCase(),
    );
  const readIdentity = (token: string) =>
    state.vaults.find((v) => v.token === token.trim()) ??
    (token.trim() === state.identity.token
      ? { ...state.identity }
      : refused(
          'not_identity',
          'not a usable transfer identity: not a Tessera token, or altered: its signature does not match',
        ));
  const writeFile = (path: string, text: string) => {
    if (state.readOnlyFolders.includes(folderOf(path))) {
      throw `cannot write ${path}: Read-only file system (os error 30)`;
    }
    const there = state.files.get(path);
    if (there !== undefined && !there.startsWith('TS1:')) {
      throw `${path} is there already and is not a Tessera file: choose another name`;
    }
    state.files.set(path, `${text}\n`);
  };
  const copy = (x: Conflict): Conflict => structuredClone(x);

  return {
    // Like the shell: the system's chooser, over the window, whoever is signed in.
    async fileChoose({ save_as = null }) {
      c.calls.push('file_choose');
      if (save_as) return state.saveFolder === null ? null : `${state.saveFolder}/${save_as}`;
      return state.chosenFile;
    },
    async transferIdentity() {
      c.calls.push('transfer_identity');
      c.authorize('transfer.pair');
      return { ...state.identity };
    },
    async transferIdentitySave({ file }) {
      c.calls.push('transfer_identity_save');
      const path = c.fullPath('file', file);
      c.authorize('transfer.pair');
      try {
        writeFile(path, state.identity.token);
      } catch (why) {
        c.invalid('file', String(why));
      }
      return path;
    },
    async transferTokenRead({ file }) {
      c.calls.push('transfer_token_read');
      c.signedIn();
      const path = c.fullPath('file', file);
      const text = state.files.get(path);
      if (text === undefined) {
        return c.invalid('file', `cannot read ${path}: No such file or directory (os error 2)`);
      }
      if (!text.trim().startsWith('TS1:')) {
        c.invalid('file', `${path} is not an identity or receipt file written by Tessera`);
      }
      return text.trim();
    },
    async transferIdentityPreview({ token }): Promise<IdentityPreview> {
      c.calls.push('transfer_identity_preview');
      c.authorize('transfer.pair');
      const vault = readIdentity(token);
      return {
        vault_id: vault.vault_id,
        fingerprint: vault.fingerprint,
        paired_as: state.peers.find((p) => p.vault_id === vault.vault_id)?.name ?? null,
      };
    },
    async transferPair({ token, name }) {
      c.calls.push('transfer_pair');
      const vault = readIdentity(token);
      if (!name.trim()) c.invalid('name', 'is required');
      if (vault.vault_id === state.identity.vault_id) {
        c.invalid('identity', 'this is this vault’s own identity');
      }
      const s = c.authorize('transfer.pair');
      let peer = state.peers.find((p) => p.vault_id === vault.vault_id);
      if (peer) {
        peer.name = name.trim();
      } else {
        peer = {
          vault_id: vault.vault_id,
          name: name.trim(),
          fingerprint: vault.fingerprint,
          paired_at: c.now(),
          paired_by: s.username,
          sent_bundles: 0,
          acknowledged_to: 0,
          received_bundle: 0,
          open_conflicts: 0,
        };
        state.peers.push(peer);
        state.peers.sort((a, b) => a.name.localeCompare(b.name));
      }
      c.audit('transfer.pair', 'transfer_peer', vault.vault_id);
      return peerCopy(peer);
    },
    async transferPeers() {
      c.calls.push('transfer_peers');
      c.authorize('transfer.send');
      return state.peers.map(peerCopy);
    },
    async transferExport({ to, folder, split_mb = null, on_progress }) {
      c.calls.push('transfer_export');
      const dir = c.fullPath('folder', folder);
      if (split_mb !== null && split_mb < 1) c.invalid('split', 'a part holds at least 1 MB');
      c.authorize('transfer.send');
      const peer = findPeer(to) ?? c.fail('not_found', `paired vault not found: ${to}`);
      if (state.readOnlyFolders.includes(dir)) {
        c.fail(
          'internal',
          `cannot write the bundle in ${dir}: Read-only file system (os error 30)`,
        );
      }
      for (let done = 1; done <= 2; done++) {
        await c.step();
        const progress: Progress = { done_bytes: done, total_bytes: 2 };
        on_progress(progress);
      }
      peer.sent_bundles += 1;
      const name = `${dir}/tessera-${state.identity.vault_id.slice(0, 8)}-to-${peer.vault_id.slice(0, 8)}-${String(peer.sent_bundles).padStart(4, '0')}.tbundle`;
      const bytes = 2_600_000;
      const parts =
        split_mb !== null && split_mb * 1_000_000 < bytes
          ? Math.ceil(bytes / (split_mb * 1_000_000))
          : 1;
      const files =
        parts === 1
          ? [name]
          : Array.from({ length: parts }, (_, i) => `${name}.${String(i + 1).padStart(3, '0')}`);
      c.audit('transfer.send', 'transfer_bundle', peer.vault_id);
      return {
        files,
        bundle: peer.sent_bundles,
        from_seq: peer.acknowledged_to,
        to_seq: peer.acknowledged_to + 40,
        counts: {
          ...emptyCounts(),
          patients: 2,
          encounters: 3,
          narratives: 1,
          photos: 2,
          images: 2,
          audit_entries: 11,
        },
        bytes,
      };
    },
    async transferImport({ file }): Promise<BundleImported> {
      c.calls.push('transfer_import');
      const path = c.fullPath('file', file);
      c.authorize('transfer.receive');
      const first = path.replace(/\.\d{3}$/, '.001');
      const bundle =
        state.bundles.get(path) ??
        state.bundles.get(first) ??
        c.fail('not_found', `bundle file not found: ${path}`);
      if (bundle.damaged)
        c.fail('bundle_damaged', `the transfer bundle is damaged or incomplete: ${bundle.damaged}`);
      if (bundle.refused) refused(bundle.refused.reason, bundle.refused.message);
      const peer =
        state.peers.find((p) => p.vault_id === bundle.from_vault) ??
        refused(
          'not_paired',
          `this comes from vault ${bundle.from_vault}, which this vault is not paired with`,
        );
      const applied = !bundle.note;
      if (applied) {
        peer.received_bundle = Math.max(peer.received_bundle, bundle.bundle);
        for (const x of bundle.conflicts ?? []) {
          if (!state.conflicts.some((y) => y.id === x.id)) state.conflicts.push(copy(x));
        }
        c.audit('transfer.receive', 'transfer_bundle', bundle.from_vault);
      }
      const token = receiptToken(state.identity.vault_id, bundle.to_seq);
      const receipt = `${path.replace(/\.\d{3}$/, '')}.receipt`;
      let receipt_file: string | null = receipt;
      let receipt_problem: string | null = null;
      try {
        writeFile(receipt, token);
      } catch (why) {
        receipt_file = null;
        receipt_problem = String(why);
      }
      return {
        report: {
          from_vault: bundle.from_vault,
          from_name: peer.name,
          bundle: bundle.bundle,
          applied,
          note: bundle.note ?? null,
          counts: { ...bundle.counts },
          outcome: applied ? { ...bundle.outcome } : { ...zero },
          receipt: token,
          receipt_qr_svg: fakeQr(token),
        },
        receipt_file,
        receipt_problem,
      };
    },
    async transferReceiptAccept({ token }) {
      c.calls.push('transfer_receipt_accept');
      c.authorize('transfer.send');
      const found = /^TS1:RCPT-(.+)-(\d+)$/.exec(token.trim());
      if (!found)
        return refused(
          'not_receipt',
          'not a usable transfer receipt: not a Tessera token, or altered',
        );
      const [, from = '', seq = '0'] = found;
      const peer =
        state.peers.find((p) => p.vault_id === from) ??
        refused('not_paired', `this comes from vault ${from}, which this vault is not paired with`);
      const advanced = Number(seq) > peer.acknowledged_to;
      peer.acknowledged_to = Math.max(peer.acknowledged_to, Number(seq));
      c.audit('transfer.send', 'transfer_receipt', peer.vault_id);
      return {
        from_vault: peer.vault_id,
        from_name: peer.name,
        acknowledged_to: peer.acknowledged_to,
        advanced,
      };
    },
    async transferConflicts({ all }) {
      c.calls.push('transfer_conflicts');
      c.authorize('transfer.resolve');
      return state.conflicts.filter((x) => all || x.resolved_at === null).map(copy);
    },
    async transferConflictResolve({ id, choice }) {
      c.calls.push('transfer_conflict_resolve');
      const s = c.authorize('transfer.resolve');
      const x =
        state.conflicts.find((y) => y.id === id) ??
        c.fail('not_found', `transfer conflict not found: ${id}`);
      if (x.resolved_at) c.fail('conflict', `conflict ${id} is settled already`);
      const duplicate = x.kind === 'possible_duplicate';
      if (duplicate !== (choice === 'different')) {
        c.invalid(
          'keep',
          duplicate
            ? 'a possible duplicate is settled as different people, or by merging the two records'
            : 'a record edited on both sides is settled by keeping ours or theirs',
        );
      }
      const p = c.patient(x.patient_id);
      if (choice === 'theirs' && x.record === 'patient' && p) {
        const record = p as Record<string, unknown>;
        for (const d of x.differences) record[d.field] = d.theirs;
        p.version += 1;
        p.updated_at = c.now();
      }
      x.resolved_at = c.now();
      x.resolved_by = s.username;
      x.resolution = { ours: 'kept_ours', theirs: 'took_theirs', different: 'different_people' }[
        choice
      ];
      c.audit('transfer.resolve', x.record, x.record_id);
      return copy(x);
    },
  };
}
