import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PartRecord, UploadRecord } from '../../../infra/local/s3/model/object-record.ts';
import { UploadIndex } from '../../../infra/local/s3/model/upload-index.ts';

function uploadRecord(uploadId: string, key: string, initiated = '2026-01-01T00:00:00.000Z'): UploadRecord {
  return {
    uploadId,
    key,
    initiated,
    attributes: { headers: { contentType: 'application/octet-stream' }, userMetadata: {}, encryption: { algorithm: 'AES256' }, storageClass: 'STANDARD' },
    initiator: 'arn:aws:sts::000000000000:assumed-role/AuthRole/session',
  };
}

function partRecord(partNumber: number): PartRecord {
  return { partNumber, blobId: `blob-${partNumber}`, size: 5 * 1024 * 1024, etag: `"etag-${partNumber}"`, lastModified: '2026-01-01T00:00:01.000Z' };
}

/** Upload ids as the store generates them: 16 to 128 of [A-Za-z0-9_-]. */
const ID_A = 'AAAAAAAAAAAAAAAAAAAAAAAA';
const ID_B = 'BBBBBBBBBBBBBBBBBBBBBBBB';
const ID_C = 'CCCCCCCCCCCCCCCCCCCCCCCC';

describe('UploadIndex', () => {
  let bucketDirectory: string;
  const uploadsDirectory = () => join(bucketDirectory, 'uploads');

  beforeEach(async () => {
    bucketDirectory = await mkdtemp(join(tmpdir(), 'upload-index-'));
  });
  afterEach(() => rm(bucketDirectory, { recursive: true, force: true }));

  it('keeps an upload and its parts, replacing a part sent again, and reloads them after a restart', async () => {
    const index = await UploadIndex.load(bucketDirectory);
    await index.create(uploadRecord(ID_A, 'video.mp4'));
    await index.putPart(ID_A, partRecord(2));
    await index.putPart(ID_A, partRecord(1));
    await index.putPart(ID_A, { ...partRecord(1), etag: '"resent"' });
    expect(index.get(ID_A)?.upload).toEqual(uploadRecord(ID_A, 'video.mp4'));
    expect(index.get(ID_A)?.parts.get(1)?.etag).toBe('"resent"');

    const reloaded = await UploadIndex.load(bucketDirectory);
    const stored = reloaded.get(ID_A)!;
    expect(stored.upload).toEqual(uploadRecord(ID_A, 'video.mp4'));
    expect([...stored.parts.keys()].sort()).toEqual([1, 2]);
    expect(stored.parts.get(1)).toEqual({ ...partRecord(1), etag: '"resent"' });
    expect([...reloaded.allParts()]).toHaveLength(2);
  });

  it('refuses a part for an upload it does not know', async () => {
    const index = await UploadIndex.load(bucketDirectory);
    await expect(index.putPart(ID_B, partRecord(1))).rejects.toThrow(`Unknown upload ${ID_B}`);
    expect(await readdir(uploadsDirectory())).toEqual([]);
  });

  it('removes an upload with its parts from memory and disk; removing an unknown one does nothing', async () => {
    const index = await UploadIndex.load(bucketDirectory);
    await index.create(uploadRecord(ID_A, 'a'));
    await index.putPart(ID_A, partRecord(1));
    await index.create(uploadRecord(ID_B, 'b'));
    await index.remove(ID_A);
    await index.remove(ID_C);
    expect(index.get(ID_A)).toBeUndefined();
    expect(await readdir(uploadsDirectory())).toEqual([ID_B]);
    expect((await UploadIndex.load(bucketDirectory)).get(ID_A)).toBeUndefined();
  });

  it('sorts uploads as ListMultipartUploads does: by key in UTF-8 order, then initiation time, then upload id', async () => {
    const index = await UploadIndex.load(bucketDirectory);
    await index.create(uploadRecord(ID_C, '\u{1F600}', '2026-01-01T00:00:00.000Z'));
    await index.create(uploadRecord(ID_B, 'same', '2026-01-02T00:00:00.000Z'));
    await index.create(uploadRecord('DDDDDDDDDDDDDDDDDDDDDDDD', 'same', '2026-01-01T00:00:00.000Z'));
    await index.create(uploadRecord(ID_A, 'same', '2026-01-02T00:00:00.000Z'));
    await index.create(uploadRecord('EEEEEEEEEEEEEEEEEEEEEEEE', '\uFFFD', '2026-01-03T00:00:00.000Z'));
    expect(index.sorted().map(({ upload }) => `${upload.key} ${upload.initiated.slice(0, 10)} ${upload.uploadId[0]}`)).toEqual([
      'same 2026-01-01 D',
      'same 2026-01-02 A',
      'same 2026-01-02 B',
      '\uFFFD 2026-01-03 E',
      '\u{1F600} 2026-01-01 C',
    ]);
  });

  it('on load deletes what no upload can own: folders with an invalid id or no upload.json, and write temporaries', async () => {
    const first = await UploadIndex.load(bucketDirectory);
    await first.create(uploadRecord(ID_A, 'kept'));
    await first.putPart(ID_A, partRecord(1));
    await mkdir(join(uploadsDirectory(), 'short'), { recursive: true });
    await writeFile(join(uploadsDirectory(), 'short', 'upload.json'), JSON.stringify(uploadRecord('short', 'x')));
    await mkdir(join(uploadsDirectory(), ID_B), { recursive: true });
    await writeFile(join(uploadsDirectory(), ID_B, 'part-1.json'), JSON.stringify(partRecord(1)));
    await mkdir(join(uploadsDirectory(), ID_C), { recursive: true });
    await writeFile(join(uploadsDirectory(), ID_C, 'upload.json'), '{"uploadId": "CCCC');
    await writeFile(join(uploadsDirectory(), ID_A, '.part-2.json.0123456789ab.tmp'), '{"partNum');
    await writeFile(join(uploadsDirectory(), ID_A, 'part-123456.json'), JSON.stringify(partRecord(7)));

    const reloaded = await UploadIndex.load(bucketDirectory);
    expect(reloaded.sorted().map(({ upload }) => upload.uploadId)).toEqual([ID_A]);
    expect([...reloaded.get(ID_A)!.parts.keys()]).toEqual([1]);
    expect(await readdir(uploadsDirectory())).toEqual([ID_A]);
    expect((await readdir(join(uploadsDirectory(), ID_A))).sort()).toEqual(['part-1.json', 'part-123456.json', 'upload.json']);
  });
});
