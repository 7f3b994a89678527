import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectRecord, PartRecord, UploadRecord } from '../../../infra/local/s3/model/object-record.ts';
import { ATTRIBUTES } from './s3-database-fixture.ts';

/**
 * What the JSON-file version (commit b053333, `Bucket.open` and `BlobDirectory.open`) does to a
 * bucket's directory when it starts, written out here because that version's code is no longer
 * in the tree: it creates `objects/`, `uploads/`, `blobs/`, empties `tmp/`, and deletes every file
 * in `blobs/` that no object or part JSON record names. Returns the keys it would serve.
 */
export async function startEarlierVersion(bucketDirectory: string): Promise<string[]> {
  const objectsDirectory = join(bucketDirectory, 'objects');
  const uploadsDirectory = join(bucketDirectory, 'uploads');
  const blobsDirectory = join(bucketDirectory, 'blobs');
  for (const directory of [objectsDirectory, uploadsDirectory, blobsDirectory]) await mkdir(directory, { recursive: true });
  const referenced = new Set<string>();
  const keys: string[] = [];
  for (const name of await readdir(objectsDirectory)) {
    if (name.startsWith('.') || !name.endsWith('.json')) continue;
    const record = JSON.parse(await readFile(join(objectsDirectory, name), 'utf8')) as ObjectRecord;
    keys.push(record.key);
    for (const segment of record.segments) referenced.add(segment.blobId);
  }
  for (const uploadId of await readdir(uploadsDirectory)) {
    for (const name of await readdir(join(uploadsDirectory, uploadId))) {
      if (!/^part-\d+\.json$/.test(name)) continue;
      referenced.add((JSON.parse(await readFile(join(uploadsDirectory, uploadId, name), 'utf8')) as PartRecord).blobId);
    }
  }
  await rm(join(bucketDirectory, 'tmp'), { recursive: true, force: true });
  await mkdir(join(bucketDirectory, 'tmp'));
  for (const name of await readdir(blobsDirectory)) {
    if (!referenced.has(name)) await rm(join(blobsDirectory, name), { force: true });
  }
  return keys.sort();
}

const blobId = () => randomBytes(16).toString('hex');
const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;

/** A bucket directory as the JSON-file version wrote it, crash leftovers included. */
export async function writeEarlierBucket(bucketDirectory: string) {
  const objects = join(bucketDirectory, 'objects');
  const uploads = join(bucketDirectory, 'uploads');
  const blobs = join(bucketDirectory, 'blobs');
  for (const directory of [objects, uploads, blobs, join(bucketDirectory, 'tmp')]) await mkdir(directory, { recursive: true });
  const writeObject = async (key: string, body: string, id = blobId()) => {
    await writeFile(join(blobs, id), body);
    const record: ObjectRecord = { key, size: body.length, etag: md5(body), lastModified: '2026-01-01T00:00:00.000Z', segments: [{ blobId: id, size: body.length }], ...ATTRIBUTES };
    await writeFile(join(objects, `${createHash('sha256').update(key).digest('hex')}.json`), JSON.stringify(record));
    return record;
  };
  const plain = await writeObject('users/a/notes.txt', 'plain object');
  const unicode = await writeObject('users/a/\u{1f600}.txt', 'astral key');
  // An atomic write a crash interrupted, and a staged body that never became an object.
  await writeFile(join(objects, `.${'f'.repeat(64)}.json.0123456789ab.tmp`), '{"key":"half-writ');
  await writeFile(join(bucketDirectory, 'tmp', blobId()), 'staged, never kept');
  const orphan = blobId();
  await writeFile(join(blobs, orphan), 'no record refers to me');

  // An upload in progress with two parts.
  const uploadId = randomBytes(24).toString('base64url');
  const upload: UploadRecord = { uploadId, key: 'users/a/big.bin', initiated: '2026-01-02T00:00:00.000Z', attributes: ATTRIBUTES, initiator: 'arn:aws:sts::000000000000:assumed-role/r/s' };
  await mkdir(join(uploads, uploadId));
  await writeFile(join(uploads, uploadId, 'upload.json'), JSON.stringify(upload));
  const parts: PartRecord[] = [];
  for (const [partNumber, body] of [
    [1, 'part one '],
    [2, 'part two'],
  ] as const) {
    const part: PartRecord = { partNumber, blobId: blobId(), size: body.length, etag: md5(body), lastModified: '2026-01-02T00:00:01.000Z' };
    await writeFile(join(blobs, part.blobId), body);
    await writeFile(join(uploads, uploadId, `part-${partNumber}.json`), JSON.stringify(part));
    parts.push(part);
  }
  await writeFile(join(uploads, uploadId, '.part-3.json.0123456789ab.tmp'), '{');
  // A create a crash interrupted (no upload.json), and an upload whose completion committed its object just before a crash.
  await mkdir(join(uploads, randomBytes(24).toString('base64url')));
  const completedId = randomBytes(24).toString('base64url');
  const completed = await writeObject('users/a/completed.bin', 'completed');
  await mkdir(join(uploads, completedId));
  await writeFile(join(uploads, completedId, 'upload.json'), JSON.stringify({ ...upload, uploadId: completedId, key: 'users/a/completed.bin' }));
  await writeFile(join(uploads, completedId, 'part-1.json'), JSON.stringify({ ...parts[0], blobId: completed.segments[0]!.blobId }));
  return { plain, unicode, orphan, uploadId, parts, completedId };
}
