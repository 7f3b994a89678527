import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MINIMUM_NODE_MAJOR, unsupportedNodeMessage } from '../../../app/library/node/supported-node-version.ts';

describe('unsupportedNodeMessage', () => {
  it('refuses Node 20 and 21 with one line naming the version and where to read more', () => {
    expect(unsupportedNodeMessage('20.20.2')).toBe('Node 22 or newer is needed (this is 20.20.2): see README.md, Quick start');
    expect(unsupportedNodeMessage('21.7.3')).toBe('Node 22 or newer is needed (this is 21.7.3): see README.md, Quick start');
  });

  it('accepts Node 22, 24 and later', () => {
    for (const version of ['22.0.0', '22.23.5', '24.22.3', '26.1.0']) expect(unsupportedNodeMessage(version)).toBeUndefined();
  });

  it("is the minimum package.json's engines field promises", async () => {
    const manifest = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(`>=${MINIMUM_NODE_MAJOR}`);
  });
});
