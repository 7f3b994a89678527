import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../persistence/atomic-file.ts';

interface LocalCertificate {
  /** Path of the CA certificate clients trust (it goes into the outputs as `caCertificate`). */
  caCertificatePath: string;
  caCertificatePem: string;
  serverCertificatePem: string;
  serverKeyPem: string;
}

const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

/**
 * A local CA and a server certificate it signs for localhost, 127.0.0.1 and ::1, created once
 * under `directory` and reused (so a client that trusted the CA keeps working across restarts),
 * renewed when it is about to expire.
 */
export async function loadOrCreateLocalCertificate(directory: string): Promise<LocalCertificate> {
  const paths = {
    caCertificatePath: join(directory, 'ca.pem'),
    caKey: join(directory, 'ca-key.pem'),
    serverCertificate: join(directory, 'server.pem'),
    serverKey: join(directory, 'server-key.pem'),
  };
  const existing = await readExisting(paths);
  if (existing) return existing;

  // Only a first start (or a renewal) makes certificates, so a restart never loads selfsigned and its ASN.1 stack.
  const { generate } = await import('selfsigned');
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 825 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'Scoped Storage local cloud CA' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 397 * 24 * 3600 * 1000),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  await writeFileAtomic(paths.caKey, ca.private);
  await writeFileAtomic(paths.serverKey, server.private);
  await writeFileAtomic(paths.serverCertificate, server.cert);
  await writeFileAtomic(paths.caCertificatePath, ca.cert);
  return { caCertificatePath: paths.caCertificatePath, caCertificatePem: ca.cert, serverCertificatePem: server.cert, serverKeyPem: server.private };
}

async function readExisting(paths: { caCertificatePath: string; serverCertificate: string; serverKey: string }): Promise<LocalCertificate | undefined> {
  try {
    const [caCertificatePem, serverCertificatePem, serverKeyPem] = await Promise.all([
      readFile(paths.caCertificatePath, 'utf8'),
      readFile(paths.serverCertificate, 'utf8'),
      readFile(paths.serverKey, 'utf8'),
    ]);
    const validTo = new Date(new X509Certificate(serverCertificatePem).validTo).getTime();
    if (validTo - Date.now() < RENEW_BEFORE_MS) return undefined;
    return { caCertificatePath: paths.caCertificatePath, caCertificatePem, serverCertificatePem, serverKeyPem };
  } catch {
    return undefined;
  }
}
