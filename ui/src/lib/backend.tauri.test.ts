import { beforeEach, describe, expect, it, vi } from 'vitest';

// The Tauri API as the real backend sees it: what `invoke` is called with, and channels
// whose messages a test delivers by hand.
const { invoke } = vi.hoisted(() => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/core', () => ({
  invoke,
  convertFileSrc: (path: string, protocol: string) => `${protocol}://localhost/${path}`,
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

import type { ScanEvent } from './backend';
import { createTauriBackend } from './backend';

beforeEach(() => {
  invoke.mockReset();
});

describe('the Tauri backend', () => {
  it('passes scanStart’s callback as a channel', async () => {
    invoke.mockResolvedValue(null);
    const seen: ScanEvent[] = [];
    await createTauriBackend().scanStart({ camera: 'camera:0', on_event: (e) => seen.push(e) });
    expect(invoke).toHaveBeenCalledOnce();
    const [command, args] = invoke.mock.calls[0] as [string, Record<string, unknown>];
    expect(command).toBe('scan_start');
    expect(args.camera).toBe('camera:0');
    const channel = args.on_event as { onmessage: (message: unknown) => void };
    expect(typeof channel).toBe('object');
    channel.onmessage({ kind: 'found', text: 'TS1:X' });
    expect(seen).toEqual([{ kind: 'found', text: 'TS1:X' }]);
  });

  it('passes exportWrite’s progress as a channel, the rest as it is', async () => {
    invoke.mockResolvedValue({ id: 'e1' });
    const stages: string[] = [];
    await createTauriBackend().exportWrite({
      patient: 'TS-7K3M-9Q2X',
      kind: 'summary',
      format: 'pdf',
      out: '~/x.pdf',
      csv_bom: false,
      unencrypted: true,
      on_progress: (stage) => stages.push(stage),
    });
    const [command, args] = invoke.mock.calls[0] as [string, Record<string, unknown>];
    expect(command).toBe('export_write');
    expect(args).toMatchObject({ out: '~/x.pdf', unencrypted: true, csv_bom: false });
    (args.on_progress as { onmessage: (message: unknown) => void }).onmessage('writing');
    expect(stages).toEqual(['writing']);
  });

  it('sends an image to access_scan_image as the raw body', async () => {
    invoke.mockResolvedValue(['TS1:X']);
    const bytes = new Uint8Array([0xff, 0xd8, 0xff]).buffer;
    await expect(createTauriBackend().accessScanImage(bytes)).resolves.toEqual(['TS1:X']);
    expect(invoke).toHaveBeenCalledWith('access_scan_image', bytes);
  });

  it('turns a refusal into an ApiError', async () => {
    invoke.mockImplementation(() =>
      Promise.reject({ code: 'invalid', message: 'not an image', field: 'image' }),
    );
    const failure: unknown = await createTauriBackend()
      .accessScanImage(new ArrayBuffer(1))
      .catch((error: unknown) => error);
    expect(failure).toEqual({ code: 'invalid', message: 'not an image', field: 'image' });
  });
});
